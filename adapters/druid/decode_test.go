package druid_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// fixture returns the bytes of a file in testdata.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

// decoded returns a testdata fixture decoded as the handler decodes bodies.
func decoded(tb testing.TB, name string) any {
	tb.Helper()
	v, err := merge.Decode(fixture(tb, name), merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 12})
	require.NoError(tb, err)
	return v
}

func TestDecodeUpdate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		u, err := druid.DecodeUpdate(decoded(t, "update_full.json"))
		require.NoError(t, err)
		pw := "correct-horse-battery"
		assert.Equal(t, &druid.Update{
			Actor: "demo-app", Verb: "update", Source: "pc", UserID: "druid-user-1", Password: &pw,
			IDs: map[string]druid.ID{
				"email":        {Value: "jane.new@example.com"},
				"phone_number": {Value: "+34600111222", Confirmed: true},
				"screen_name":  {Value: "janed"},
			},
			Datas:      map[string]any{"name": "Jane", "surname": "Doe", "birthday": "1990-04-01"},
			Assertions: map[string]any{"optin": map[string]any{"value": true}},
			Addresses:  []any{map[string]any{"street": "Gran Via 1", "city": "Madrid", "country": "ES"}},
		}, u)
	})
	t.Run("InvalidListsEveryMember", func(t *testing.T) {
		_, err := druid.DecodeUpdate(decoded(t, "update_bad_structure.json"))
		require.Error(t, err)
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		var got [][2]string
		for _, f := range update.ErrorFields(err) {
			got = append(got, [2]string{f.Path, f.Rule})
		}
		assert.Equal(t, [][2]string{
			{"actor.objectType", "eq"},
			{"extra", update.RuleUnknown},
			{"object.addresses", update.RuleType},
			{"object.confirmed", update.RuleReadOnly},
			{"object.datas", update.RuleType},
			{"object.ids.email.value", update.RuleType},
			{"object.ids.nickname", update.RuleUnknown},
			{"object.ids.phone_number.confirmed", update.RuleType},
			{"source.id", "oneof"},
			{"verb", "oneof"},
		}, got)
	})
	t.Run("MalformedWhenNotAnObject", func(t *testing.T) {
		_, err := druid.DecodeUpdate([]any{})
		assert.Equal(t, update.Malformed, update.ErrorCode(err))
	})
	t.Run("InvalidWhenMembersMissing", func(t *testing.T) {
		_, err := druid.DecodeUpdate(map[string]any{})
		var paths []string
		for _, f := range update.ErrorFields(err) {
			paths = append(paths, f.Path)
		}
		assert.Equal(t, []string{"actor", "object", "source", "verb"}, paths)
	})
}

// view builds the engine's view of a DRUID user with the given document.
func view(doc map[string]any) *update.View {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &update.View{Type: druid.EntityType, ID: "druid-user-1", Version: 7, Created: t0, Updated: t0.Add(time.Hour), Doc: doc}
}

func confirmedJane() *update.View {
	return view(map[string]any{
		"email": "jane@example.com", "emailConfirmed": true,
		"phone_number": "+34600111222", "phoneNumberConfirmed": true,
		"datas": map[string]any{"name": "Jane"},
	})
}

func TestUpdateRequest(t *testing.T) {
	caller := druid.Caller{Client: "demo-app", Actor: "demo-entrypoint"}
	base := func() *druid.Update {
		return &druid.Update{Actor: "demo-app", Verb: "update", Source: "pc", UserID: "druid-user-1",
			IDs: map[string]druid.ID{
				"email":        {Value: "jane@example.com", Confirmed: true},
				"phone_number": {Value: "+34600111222"},
			}}
	}
	t.Run("Replaces", func(t *testing.T) {
		u := base()
		u.Datas = map[string]any{"name": "Janet"}
		req := u.Request(caller)
		assert.Equal(t, update.Replace, req.Mode)
		assert.Equal(t, druid.EntityType, req.Type)
		assert.Equal(t, update.ByID("druid-user-1"), req.Locator)
		assert.Equal(t, map[string]any{
			"email": "jane@example.com", "phone_number": "+34600111222", "datas": map[string]any{"name": "Janet"},
		}, req.Doc)
		assert.Nil(t, req.Expect.Version, "nothing is read first, so nothing is expected")
		assert.Equal(t, map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}, req.Delivery,
			"the engine decides whether confirmed: true restates a fact or asserts a new one")
		assert.Nil(t, req.Secrets)
		assert.True(t, req.IncludeRecord)
	})
	t.Run("ChangedValueConfirmedAsksAlreadyVerified", func(t *testing.T) {
		u := base()
		u.IDs["email"] = druid.ID{Value: "jane@work.example", Confirmed: true}
		req := u.Request(caller)
		assert.Equal(t, map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}, req.Delivery)
	})
	t.Run("PasswordGoesToSecrets", func(t *testing.T) {
		u := base()
		pw := "correct-horse-battery"
		u.Password = &pw
		req := u.Request(caller)
		assert.Equal(t, map[string]update.SecretValue{"/password": {Plain: pw}}, req.Secrets)
		assert.NotContains(t, req.Doc, "password")
	})
	t.Run("InvalidWhenConfirmedIDsLeftOut", func(t *testing.T) {
		e := newEnv(t)
		u := base()
		u.IDs = map[string]druid.ID{"screen_name": {Value: "janed"}}
		_, err := e.eng.Apply(context.Background(), u.Request(caller))
		require.Error(t, err)
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		_, body := druid.EncodeError(err, druid.OpUpdate)
		var msgs []string
		for _, m := range body.Result.Errors {
			msgs = append(msgs, m.Message)
		}
		assert.Equal(t, []string{"confirmed id cannot be removed, only replaced",
			"object.ids.email: is confirmed and cannot be removed, only replaced",
			"object.ids.phone_number: is confirmed and cannot be removed, only replaced"}, msgs)
	})
	t.Run("UnconfirmedIDMayBeLeftOut", func(t *testing.T) {
		e := newEnv(t)
		ctx := context.Background()
		_, err := e.eng.Create(ctx, update.CreateRequest{
			Type: druid.EntityType, ID: "druid-user-3", Client: druid.DemoClientID,
			Doc:      map[string]any{"email": "ann@example.com", "phone_number": "+34600333444"},
			Verified: []string{"/email"},
		})
		require.NoError(t, err)
		u := base()
		u.UserID = "druid-user-3"
		u.IDs = map[string]druid.ID{"email": {Value: "ann@example.com"}}
		res, err := e.eng.Apply(ctx, u.Request(caller))
		require.NoError(t, err)
		assert.NotContains(t, res.Record.Doc, "phone_number")
	})
}

func TestEncodeUser(t *testing.T) {
	v := confirmedJane()
	v.Doc["phoneNumberConfirmed"] = false
	v.Doc["screen_name"] = "janed"
	v.HasSecret = []string{"/password"}
	got, err := json.Marshal(druid.EncodeUser(v))
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "user_encoded.json")), string(got))
}

func TestEncodeResult(t *testing.T) {
	t.Run("NotModifiedWhenUnchanged", func(t *testing.T) {
		status, body := druid.EncodeResult(&update.Result{Unchanged: true, Version: 7})
		assert.Equal(t, 304, status)
		assert.Nil(t, body)
	})
	t.Run("PendingListsHeldIDs", func(t *testing.T) {
		status, body := druid.EncodeResult(&update.Result{
			Modified: true,
			Pending:  []update.PendingInfo{{Path: "/email", State: "pending", Held: true}},
			Record:   confirmedJane(),
		})
		assert.Equal(t, 200, status)
		require.NotNil(t, body)
		assert.Equal(t, druid.Outcome{Status: 200, Pending: []string{"email"}}, body.Result)
		require.NotNil(t, body.Object)
		assert.Equal(t, "jane@example.com", body.Object.IDs["email"].Value)
	})
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		status  int
		message string
	}{
		{"InvalidIs400", &update.Error{Code: update.Invalid, Fields: []update.FieldError{{Path: "/email", Message: "must be an email"}}}, 400, "invalid data"},
		{"NotFoundIs404", update.Errorf(update.NotFound, "record druid-user-9 not found"), 404, "user not found"},
		{"NotUniqueIs409", update.Errorf(update.NotUnique, "taken"), 409, "id already in use"},
		{"ForbiddenIs403", update.Errorf(update.Forbidden, "client may not write /email"), 403, "client may not write /email"},
		{"TooLargeIs413", update.Errorf(update.TooLarge, "the body is too large"), 413, "the body is too large"},
		{"CodeMismatchIsCodeNotFound", update.Errorf(update.CodeMismatch, "wrong"), 400, "code not found"},
		{"UsedCodeIsAlreadyUsed", &update.Error{Code: update.NothingPending, Reason: "confirmed"}, 400, "code has already been used"},
		{"NothingPendingIsCodeNotFound", &update.Error{Code: update.NothingPending, Reason: "none"}, 400, "code not found"},
		{"ThrottledIs429", &update.Error{Code: update.Throttled, Reason: "cooldown"}, 429, "notification already requested, try again later"},
		{"UnknownErrorIsInternal", os.ErrPermission, 500, "internal error"},
		{"UnknownCodeIsInternal", update.Errorf("somebody.else", "secret detail"), 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := druid.EncodeError(tt.err, druid.OpUpdate)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.status, body.Result.Status)
			require.NotEmpty(t, body.Result.Errors)
			assert.Equal(t, tt.message, body.Result.Errors[0].Message)
		})
	}
	t.Run("FieldsNamedAsTheVendorSpellsThem", func(t *testing.T) {
		_, body := druid.EncodeError(&update.Error{Code: update.Invalid, Fields: []update.FieldError{
			{Path: "/email", Message: "must be an email"},
			{Path: "/datas/first~1name", Message: "too long"},
		}}, druid.OpUpdate)
		assert.Equal(t, []druid.ErrorMessage{
			{Message: "invalid data"},
			{Message: "object.ids.email.value: must be an email"},
			{Message: "object.datas.first/name: too long"},
		}, body.Result.Errors)
	})
}

func TestS256Challenge(t *testing.T) {
	// RFC 7636, appendix B.
	assert.Equal(t, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		druid.S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
}
