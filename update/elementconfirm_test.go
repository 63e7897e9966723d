package update_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

const workEmail = "/emails/[type=work]/value"

// contactPolicy holds a changed work email (an element of the emails
// plural) until it is confirmed, and applies a changed primary phone
// unverified.
func contactPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			"/name":                        {Type: update.TypeString},
			"/workEmailVerified":           {Type: update.TypeBoolean},
			"/emails":                      {Type: update.TypeArray, Plural: &update.Plural{Primary: "primary"}},
			"/emails/*/value":              {Type: update.TypeString, Rules: "email", Normalize: update.NormalizeEmail},
			"/emails/*/type":               {Type: update.TypeString},
			"/emails/*/primary":            {Type: update.TypeBoolean},
			workEmail:                      {Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/workEmailVerified", MaxAttempts: 2}},
			"/phones":                      {Type: update.TypeArray, Plural: &update.Plural{Primary: "primary"}},
			"/phones/*/value":              {Type: update.TypeString},
			"/phones/*/primary":            {Type: update.TypeBoolean},
			"/phones/[primary=true]/value": {Confirm: &update.Confirm{Channel: "sms", Mode: update.ApplyUnverified}},
		}}},
		Grants: map[string]update.Grant{
			"admin": {Write: true, Create: true, AssertVerified: true, ReturnCode: true},
			"app":   {Write: true, ReturnCode: true},
		},
	}
}

// TestElementConfirmHold: a changed work email waits, hashed code and
// all, until confirmed, wherever the element moves; on every backend.
func TestElementConfirmHold(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), contactPolicy())
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin",
			Doc:      doc(t, `{"name":"A","emails":[{"value":"a@work.example","type":"work","primary":true},{"value":"a@home.example","type":"home"}]}`),
			Verified: []string{workEmail}})
		require.NoError(t, err)
		emails := func() string { return jsonOf(t, f.get(t, "u1").Doc["emails"]) }
		put := func(emailsJSON string) (*update.Result, error) {
			return f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app",
				Mode: update.Merge, Doc: doc(t, `{"emails":`+emailsJSON+`}`)})
		}

		// A new work address, moved to the end and sent with a changed home
		// address: the home change applies, the work one waits.
		res, err := put(`[{"value":"a@home2.example","type":"home"},{"value":"new@work.example","type":"work","primary":true}]`)
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		p := res.Pending[0]
		assert.Equal(t, workEmail, p.Path)
		assert.True(t, p.Held)
		assert.Equal(t, verify.Pending, p.State)
		assert.JSONEq(t, `[{"value":"a@home2.example","type":"home"},{"value":"a@work.example","type":"work","primary":true}]`, emails())
		assert.Equal(t, true, f.get(t, "u1").Doc["workEmailVerified"], "the held value leaves the established one verified")
		code, ok := f.sent.CodeFor("new@work.example")
		require.True(t, ok)
		// The change list and the history hold no held value and no code.
		for _, c := range res.Changes {
			assert.NotContains(t, jsonOf(t, c), "new@work.example")
		}
		rec, err := f.store.Get(ctx, "user", "u1")
		require.NoError(t, err)
		require.Len(t, rec.Pending, 1)
		assert.NotContains(t, string(rec.Pending[0].CodeHash), code, "the code is stored hashed")
		assert.JSONEq(t, `"new@work.example"`, string(rec.Pending[0].Value))

		// The same value again is no second code.
		res, err = put(`[{"value":"a@home2.example","type":"home"},{"value":"new@work.example","type":"work","primary":true}]`)
		require.NoError(t, err)
		assert.Len(t, f.sent.Messages(), 1)
		assert.Equal(t, "pending", res.Pending[0].Throttled)

		// A wrong code counts; the right one applies the held value.
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: "WRONG1"})
		assert.Equal(t, update.CodeMismatch, update.ErrorCode(err))
		res, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: code})
		require.NoError(t, err)
		assert.JSONEq(t, `[{"value":"a@home2.example","type":"home"},{"value":"new@work.example","type":"work","primary":true}]`, emails())
		assert.Equal(t, []storage.Change{{Path: "/emails/1/value", Op: "replace", Old: "a@work.example", New: "new@work.example"}}, res.Changes)
		assert.Equal(t, true, f.get(t, "u1").Doc["workEmailVerified"])
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: code})
		assert.Equal(t, update.NothingPending, update.ErrorCode(err), "a code is used once")

		// Attempts lock the challenge.
		_, err = put(`[{"value":"third@work.example","type":"work"}]`)
		require.NoError(t, err)
		for range 2 {
			_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: "WRONG1"})
		}
		assert.Equal(t, update.Locked, update.ErrorCode(err))
		c3, _ := f.sent.CodeFor("third@work.example")
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: c3})
		assert.Equal(t, update.Locked, update.ErrorCode(err))
		assert.JSONEq(t, `[{"value":"new@work.example","type":"work"}]`, emails(), "the array was replaced; the work value held")

		// Expiry: a fresh change, confirmed too late.
		_, err = put(`[{"value":"fourth@work.example","type":"work"}]`)
		require.NoError(t, err)
		c4, _ := f.sent.CodeFor("fourth@work.example")
		f.clock.Advance(2 * time.Hour)
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: c4})
		assert.Equal(t, update.Expired, update.ErrorCode(err))

		// Removing the work element closes the challenge and clears the flag.
		_, err = put(`[{"value":"fifth@work.example","type":"work"}]`)
		require.NoError(t, err)
		c5, _ := f.sent.CodeFor("fifth@work.example")
		_, err = put(`[{"value":"a@home2.example","type":"home"}]`)
		require.NoError(t, err)
		v := f.get(t, "u1")
		assert.Equal(t, false, v.Doc["workEmailVerified"])
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: c5})
		assert.Equal(t, update.NothingPending, update.ErrorCode(err))

		// A work element added anew waits without its value.
		res, err = put(`[{"value":"a@home2.example","type":"home"},{"value":"six@work.example","type":"work"}]`)
		require.NoError(t, err)
		assert.JSONEq(t, `[{"value":"a@home2.example","type":"home"},{"type":"work"}]`, emails())
		c6, _ := f.sent.CodeFor("six@work.example")
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: workEmail, Code: c6})
		require.NoError(t, err)
		assert.JSONEq(t, `[{"value":"a@home2.example","type":"home"},{"value":"six@work.example","type":"work"}]`, emails())
		assert.Equal(t, true, f.get(t, "u1").Doc["workEmailVerified"])
	})
}

// TestElementConfirmUnverified: the primary phone, applied at once and
// marked unverified by its challenge, confirmed through a returned code.
func TestElementConfirmUnverified(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), contactPolicy())
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin",
			Doc: doc(t, `{"phones":[{"value":"+41790000001","primary":true}]}`), Verified: []string{"/phones/[primary=true]/value"}})
		require.NoError(t, err)
		res, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app", Mode: update.Merge,
			Doc:      doc(t, `{"phones":[{"value":"+41790000001"},{"value":"+41790000002","primary":true}]}`),
			Delivery: map[string]update.Delivery{"/phones/[primary=true]/value": {Kind: update.ReturnCode}}})
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		assert.False(t, res.Pending[0].Held)
		require.NotEmpty(t, res.Pending[0].Code)
		assert.JSONEq(t, `[{"value":"+41790000001"},{"value":"+41790000002","primary":true}]`, jsonOf(t, f.get(t, "u1").Doc["phones"]))
		v := f.get(t, "u1")
		require.Len(t, v.Pending, 1)
		assert.Equal(t, "/phones/[primary=true]/value", v.Pending[0].Path)
		res, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Code: res.Pending[0].Code})
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		assert.Equal(t, verify.Confirmed, res.Pending[0].State)
		assert.Empty(t, f.get(t, "u1").Pending)
	})
}

// TestElementConfirmPolicy: what New refuses of a selector path.
func TestElementConfirmPolicy(t *testing.T) {
	confirm := &update.Confirm{Channel: "email", Mode: update.Hold}
	for name, tc := range map[string]struct {
		path  string
		field *update.Field
	}{
		"more than confirm":  {workEmail, &update.Field{Type: update.TypeString, Confirm: confirm}},
		"no confirm":         {workEmail, &update.Field{}},
		"not a plural":       {"/name/[type=work]/value", &update.Field{Confirm: confirm}},
		"undeclared member":  {"/emails/[type=work]/display", &update.Field{Confirm: confirm}},
		"selector last":      {"/emails/[type=work]", &update.Field{Confirm: confirm}},
		"two selectors":      {"/emails/[type=work]/[a=b]", &update.Field{Confirm: confirm}},
		"reserve pending":    {workEmail, &update.Field{Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, ReservePending: true}}},
		"selector in flag":   {workEmail, &update.Field{Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/emails/[type=work]/verified"}}},
		"malformed selector": {"/emails/[=work]/value", &update.Field{Confirm: confirm}},
	} {
		t.Run(name, func(t *testing.T) {
			pol := contactPolicy()
			delete(pol.Types["user"].Fields, workEmail)
			pol.Types["user"].Fields[tc.path] = tc.field
			_, err := update.New(nil, pol)
			require.Error(t, err)
		})
	}
}
