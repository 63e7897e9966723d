package update_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
)

// identPolicy declares a case-mapped username and an email, both compared
// by skeleton, a free-text display name, and a held email change that
// reserves its value.
func identPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {
			Fields: map[string]*update.Field{
				"/userName": {Type: update.TypeString, Unique: true, Required: true,
					Identifier: &ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}},
				"/email": {Type: update.TypeString, Unique: true, Rules: "email", Normalize: update.NormalizeEmail,
					Identifier: &ident.Spec{Profile: ident.Email, Skeleton: true},
					Confirm:    &update.Confirm{Channel: "email", Mode: update.Hold, ReservePending: true}},
				"/displayName": {Type: update.TypeString, Identifier: &ident.Spec{Profile: ident.Text}},
				"/note":        {Type: update.TypeString},
				"/extra":       {Type: update.TypeObject},
			},
		}},
		DefaultGrant: &update.Grant{Write: true, Create: true, AssertVerified: true},
	}
}

func seedIdent(t *testing.T, f *fixture) {
	t.Helper()
	for _, u := range []struct{ id, doc string }{
		{"u1", `{"userName":"Minnie","email":"gjack@example.com","displayName":"Minnie M"}`},
		{"u2", `{"userName":"ola","email":"ola@example.com"}`},
	} {
		_, err := f.eng.Create(context.Background(), update.CreateRequest{Type: "user", ID: u.id, Client: "c",
			Doc: doc(t, u.doc), Verified: []string{"/email"}})
		require.NoError(t, err, u.id)
	}
}

// spoofs of u1's username and email, each refused with the code given.
var spoofs = []struct {
	name, field, value string
	code               update.Code
}{
	{"case", "userName", "minnie", update.NotUnique},
	{"cyrillic i", "userName", "mіnnie", update.NotUnique},
	{"fullwidth", "userName", "ｍinnie", update.NotUnique},
	{"zero-width space", "userName", "minnie\u200b", update.Invalid},
	{"NUL", "userName", "min\u0000nie", update.Invalid},
	{"right-to-left override", "userName", "\u202eminnie", update.Invalid},
	{"email zero-width", "email", "gjack@example.com\u200b", update.Invalid},
	{"email cyrillic a", "email", "gjack@exаmple.com", update.NotUnique},
	{"email fullwidth local", "email", "ｇjack@example.com", update.NotUnique},
	{"email fullwidth domain", "email", "gjack@ｅxample.com", update.NotUnique},
	{"email case", "email", "GJack@Example.com", update.NotUnique},
	{"email NUL", "email", "gjack@exa\u0000mple.com", update.Invalid},
}

func TestIdentifierSpoofsRefused(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), identPolicy())
		seedIdent(t, f)
		ctx := context.Background()
		before1, before2 := f.snapshot(t, "u1"), f.snapshot(t, "u2")
		for _, s := range spoofs {
			writes := map[string]func() error{
				"create": func() error {
					_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u3", Client: "c",
						Doc: with(map[string]any{"userName": "other3", "email": "other3@example.com"}, s.field, s.value)})
					return err
				},
				"merge": func() error {
					_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Mode: update.Merge,
						Doc: with(map[string]any{}, s.field, s.value)})
					return err
				},
				"replace": func() error {
					_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Mode: update.Replace,
						Doc: with(map[string]any{"userName": "ola", "email": "ola@example.com"}, s.field, s.value)})
					return err
				},
				"patch": func() error {
					_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Mode: update.Patch,
						Ops: []merge.Operation{{Op: "replace", Path: "/" + s.field, Value: s.value}}})
					return err
				},
			}
			for path, write := range writes {
				err := write()
				var ue *update.Error
				require.ErrorAs(t, err, &ue, "%s %s", s.name, path)
				if s.field == "email" && s.code == update.NotUnique && path != "create" {
					// A held change of a verified email reserves the new
					// value: the clash is with u1's established one.
					assert.Equal(t, update.NotUnique, ue.Code, "%s %s: %v", s.name, path, err)
				} else {
					assert.Equal(t, s.code, ue.Code, "%s %s: %v", s.name, path, err)
				}
				require.NotEmpty(t, ue.Fields, "%s %s", s.name, path)
				assert.Equal(t, "/"+s.field, ue.Fields[0].Path)
				if ue.Code == update.NotUnique {
					assert.Equal(t, string(storage.Active), ue.Fields[0].Param, "the holder's state")
				}
				assert.NotContains(t, err.Error(), "Minnie", "never the other user's value")
				assert.NotContains(t, err.Error(), "gjack@example.com", "never the other user's value")
			}
		}
		assert.Equal(t, before1, f.snapshot(t, "u1"), "the genuine user keeps their values")
		assert.Equal(t, before2, f.snapshot(t, "u2"), "nothing changed")
		_, err := f.store.Get(ctx, "user", "u3")
		assert.ErrorIs(t, err, storage.ErrNotFound)
		assert.Empty(t, f.sent.Messages(), "no code went to a spoofed address")
	})
}

func with(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func TestIdentifierStoredAndFound(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), identPolicy())
		seedIdent(t, f)
		ctx := context.Background()
		v := f.get(t, "u1")
		assert.Equal(t, "Minnie", v.Doc["userName"], "case as typed")
		_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c",
			Doc: doc(t, `{"userName":"Ｏla","displayName":"Zoe\u0308"}`)})
		require.NoError(t, err)
		v = f.get(t, "u2")
		assert.Equal(t, "Ola", v.Doc["userName"], "width folded, case kept")
		assert.Equal(t, "Zoë", v.Doc["displayName"], "free text in NFC")
		for _, k := range []string{"MINNIE", "mіnnie", "ｍinnie"} {
			got, err := f.eng.Get(ctx, "user", update.ByKey("/userName", k))
			require.NoError(t, err, k)
			assert.Equal(t, "u1", got.ID, k)
		}
		got, err := f.eng.Get(ctx, "user", update.ByKey("/email", "GJACK@EXAMPLE.COM"))
		require.NoError(t, err)
		assert.Equal(t, "u1", got.ID)
		for _, k := range []string{"minnie\u200b", "min\x00nie", "min\xffnie"} {
			_, err := f.eng.Get(ctx, "user", update.ByKey("/userName", k))
			var ue *update.Error
			require.ErrorAs(t, err, &ue, "%q", k)
			assert.Contains(t, []update.Code{update.NotFound, update.Malformed}, ue.Code, "%q", k)
		}
	})
}

func TestIdentifierHeldValueReservesItsKey(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), identPolicy())
		seedIdent(t, f)
		ctx := context.Background()
		_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "c",
			Doc: doc(t, `{"email":"New@Example.com"}`)})
		require.NoError(t, err)
		_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c",
			Doc: doc(t, `{"email":"nеw@example.com"}`)}) // Cyrillic е
		var ue *update.Error
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, update.NotUnique, ue.Code, "a held value reserves its skeleton")
		m, ok := f.sent.Last()
		require.True(t, ok)
		code := m.Code
		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "c", Path: "/email", Code: code})
		require.NoError(t, err)
		assert.Equal(t, "New@example.com", f.get(t, "u1").Doc["email"])
	})
}

// TestHostileInputSameEverywhere sends the same hostile requests to every
// backend and requires the same outcome, byte for byte, from each.
func TestHostileInputSameEverywhere(t *testing.T) {
	type outcome struct {
		Code   update.Code         `json:"code,omitempty"`
		Fields []update.FieldError `json:"fields,omitempty"`
		Doc    map[string]any      `json:"doc,omitempty"`
	}
	hostile := []struct{ name, body string }{
		{"NUL in free text", `{"note":"a\u0000b"}`},
		{"NUL in an identifier", `{"userName":"min\u0000nie"}`},
		{"NUL in a member name", `{"extra":{"a\u0000b":1}}`},
		{"unpaired surrogate", `{"note":"\ud800"}`},
		{"unpaired low surrogate in a member name", `{"extra":{"\udc00":1}}`},
		{"paired surrogates are fine", `{"note":"\ud83d\ude00"}`},
		{"zero-width in free text is fine", `{"note":"a\u200bb"}`},
		{"bidi override in display name", `{"displayName":"\u202eevil"}`},
		{"replacement character", `{"note":"\ufffd"}`},
	}
	results := map[string][]byte{}
	for _, b := range backends() {
		f := newFixture(t, b.open(t), identPolicy())
		seedIdent(t, f)
		var outs []outcome
		for _, h := range hostile {
			d := doc(t, h.body)
			_, err := f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Doc: d})
			outs = append(outs, toOutcome(t, err, f, h.name))
		}
		raw := map[string]any{"note": "a\xffb"}
		_, err := f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Doc: raw})
		outs = append(outs, toOutcome(t, err, f, "invalid UTF-8"))
		_, err = f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Actor: "a\x00", Doc: doc(t, `{"note":"x"}`)})
		outs = append(outs, toOutcome(t, err, f, "NUL in the actor"))
		_, err = f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u\x002"), Client: "c", Doc: doc(t, `{"note":"x"}`)})
		outs = append(outs, toOutcome(t, err, f, "NUL in the id"))
		_, err = f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByKey("/userName", "o\x00la"), Client: "c", Doc: doc(t, `{"note":"x"}`)})
		outs = append(outs, toOutcome(t, err, f, "NUL in a key"))
		_, err = f.eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c", Mode: update.Patch,
			Ops: []merge.Operation{{Op: "remove", Path: "/extra/a\x00b"}}})
		outs = append(outs, toOutcome(t, err, f, "NUL in a patch path"))
		_, err = f.eng.Create(context.Background(), update.CreateRequest{Type: "user", ID: "u\x003", Client: "c", Doc: doc(t, `{"userName":"u3"}`)})
		outs = append(outs, toOutcome(t, err, f, "NUL in a new id"))
		js, err := json.MarshalIndent(outs, "", " ")
		require.NoError(t, err)
		results[b.name] = js
	}
	want := results["memory"]
	for name, got := range results {
		assert.Equal(t, string(want), string(got), "%s answers differently from memory", name)
	}
	var outs []outcome
	require.NoError(t, json.Unmarshal(want, &outs))
	for i, o := range outs {
		switch i {
		case 5, 6:
			assert.Empty(t, o.Code, "request %d is fine", i)
		default:
			assert.NotEmpty(t, o.Code, "request %d is refused", i)
			assert.NotEqual(t, update.Internal, o.Code, "request %d", i)
		}
	}
}

func toOutcome(t *testing.T, err error, f *fixture, name string) (o struct {
	Code   update.Code         `json:"code,omitempty"`
	Fields []update.FieldError `json:"fields,omitempty"`
	Doc    map[string]any      `json:"doc,omitempty"`
}) {
	t.Helper()
	if err != nil {
		var ue *update.Error
		require.True(t, errors.As(err, &ue), "%s: %v", name, err)
		o.Code, o.Fields = ue.Code, ue.Fields
		return o
	}
	o.Doc = f.get(t, "u2").Doc
	return o
}

func TestIdentifierPolicyChecked(t *testing.T) {
	for name, fld := range map[string]*update.Field{
		"unknown profile": {Type: update.TypeString, Identifier: &ident.Spec{Profile: "nickname"}},
		"integer field":   {Type: update.TypeInteger, Identifier: &ident.Spec{Profile: ident.Text}},
		"phone":           {Type: update.TypeString, Normalize: update.NormalizePhone, Identifier: &ident.Spec{Profile: ident.Text}},
	} {
		pol := &update.Policy{Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{"/x": fld}}}}
		_, err := update.New(nil, pol)
		assert.Error(t, err, name)
	}
	pol, err := update.ParsePolicy(strings.NewReader(`{"types":{"user":{"fields":{"/userName":{"type":"string","unique":true,
		"identifier":{"profile":"username-case-mapped","skeleton":true}}}}}}`))
	require.NoError(t, err)
	assert.Equal(t, &ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}, pol.Types["user"].Fields["/userName"].Identifier)
	_, err = update.ParsePolicy(strings.NewReader(`{"types":{"user":{"fields":{"/userName":{"identifier":{"profile":"email","skeleton":true,"x":1}}}}}}`))
	assert.Error(t, err, "unknown members are refused")
}

func TestIdentifierClashNamesInactiveHolder(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), identPolicy())
		seedIdent(t, f)
		ctx := context.Background()
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u3", Client: "c", State: storage.Inactive,
			Doc: doc(t, `{"userName":"Daisy","email":"daisy@example.com"}`)})
		require.NoError(t, err)
		_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u2"), Client: "c",
			Doc: doc(t, `{"userName":"dаisy"}`)}) // Cyrillic а
		var ue *update.Error
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, update.NotUnique, ue.Code)
		require.Len(t, ue.Fields, 1)
		assert.Equal(t, update.FieldError{Path: "/userName", Rule: update.RuleUnique, Param: string(storage.Inactive), Message: "is already in use"}, ue.Fields[0])
		assert.NotContains(t, ue.Error(), "Daisy")
	})
}
