package update_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/update"
)

// closedPolicy adds object rules that declare no members to the user
// schema: /settings at the root and /statuses/*/meta inside a plural.
func closedPolicy(closed bool) *update.Policy {
	p := userPolicy()
	s := p.Types["user"]
	s.Fields["/settings"] = &update.Field{Type: update.TypeObject}
	s.Fields["/statuses/*/meta"] = &update.Field{Type: update.TypeObject}
	s.Fields["/primaryAddress"] = &update.Field{Type: update.TypeObject}
	s.ClosedObjects = closed
	return p
}

func TestClosedObjects_RefuseUndeclaredMembersAtEveryDepth(t *testing.T) {
	cases := []struct {
		name   string
		doc    string
		closed bool
		path   string // the unknown member refused; "" when accepted
	}{
		{"opaque object stored as sent", `{"settings":{"theme":"dark"}}`, false, ""},
		{"closed object refuses a member", `{"settings":{"theme":"dark"}}`, true, "/settings/theme"},
		{"closed object accepts empty", `{"settings":{}}`, true, ""},
		{"closed object accepts null", `{"settings":null}`, true, ""},
		{"opaque object inside a plural element", `{"statuses":[{"status":"new","meta":{"x":1}}]}`, false, ""},
		{"closed object inside a plural element", `{"statuses":[{"status":"new","meta":{"x":1}}]}`, true, "/statuses/0/meta/x"},
		{"declared members stay writable", `{"primaryAddress":{"city":"Basel"}}`, true, ""},
		{"objects with members are closed either way", `{"primaryAddress":{"planet":"Mars"}}`, false, "/primaryAddress/planet"},
		{"deep member below a closed object", `{"settings":{"a":{"b":{"c":1}}}}`, true, "/settings/a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil, closedPolicy(c.closed))
			f.seed(t)
			snap := f.snapshot(t, "u1")
			_, err := apply(f, update.Request{Doc: doc(t, c.doc)})
			if c.path == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, update.Invalid, update.ErrorCode(err))
			assert.Equal(t, []update.FieldError{{Path: c.path, Rule: update.RuleUnknown, Message: "is not a known attribute"}},
				update.ErrorFields(err))
			assert.Equal(t, snap, f.snapshot(t, "u1"), "a refused write changes nothing")
		})
	}
}

func TestClosedObjects_UnknownDropLeavesMembersOut(t *testing.T) {
	p := closedPolicy(true)
	p.Types["user"].Unknown = update.Drop
	f := newFixture(t, nil, p)
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"settings":{"theme":"dark"}}`)})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{}, f.get(t, "u1").Doc["settings"])
}
