package update_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// modifyPolicy adds a plural of contact points with a primary flag and
// queryable members to the user policy.
func modifyPolicy() *update.Policy {
	pol := userPolicy()
	fs := pol.Types["user"].Fields
	fs["/emails"] = &update.Field{Type: update.TypeArray, Plural: &update.Plural{Primary: "primary"}}
	fs["/emails/*/value"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{}}
	fs["/emails/*/type"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{}}
	fs["/emails/*/primary"] = &update.Field{Type: update.TypeBoolean, Query: &update.Queryable{}}
	return pol
}

func eqType(v string) *storage.Filter {
	return &storage.Filter{Op: storage.Eq, Path: "/type", Value: v}
}

// TestModify: attribute modifications, with filter-selected elements
// resolved inside the transaction, on every backend.
func TestModify(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), modifyPolicy())
		f.seed(t)
		mod := func(mods ...update.Modification) (*update.Result, error) {
			return apply(f, update.Request{Mode: update.Modify, Mods: mods})
		}
		emails := func() string { return jsonOf(t, f.get(t, "u1").Doc["emails"]) }

		_, err := mod(update.Modification{Op: "add", Path: "/emails", Value: val(t,
			`[{"value":"w@example.com","type":"work","primary":true},{"value":"h@example.com","type":"HOME"}]`)})
		require.NoError(t, err)
		res, err := mod(update.Modification{Op: "add", Path: "/emails", Value: val(t, `[{"value":"h@example.com","type":"HOME"}]`)})
		require.NoError(t, err)
		assert.True(t, res.Unchanged, "adding a value already present is no change")

		// A filter (case-folded like List) selects the element; Sub its member.
		_, err = mod(update.Modification{Op: "replace", Path: "/emails", Where: eqType("home"), Sub: "primary", Value: true})
		require.NoError(t, err)
		assert.JSONEq(t, `[{"value":"w@example.com","type":"work","primary":false},{"value":"h@example.com","type":"HOME","primary":true}]`, emails())

		// Path-less add merges members; objects merge, scalars are set.
		_, err = mod(update.Modification{Op: "add", Value: val(t, `{"nickName":"Matty","primaryAddress":{"city":"Basel"}}`)})
		require.NoError(t, err)
		v := f.get(t, "u1")
		assert.Equal(t, "Matty", v.Doc["nickName"])
		assert.JSONEq(t, `{"city":"Basel","country":"CH"}`, jsonOf(t, v.Doc["primaryAddress"]))

		// Remove of matched elements.
		_, err = mod(update.Modification{Op: "remove", Path: "/emails", Where: eqType("work")})
		require.NoError(t, err)
		assert.JSONEq(t, `[{"value":"h@example.com","type":"HOME","primary":true}]`, emails())

		// All or nothing: the second operation matches nothing.
		before := f.snapshot(t, "u1")
		_, err = mod(
			update.Modification{Op: "replace", Path: "/nickName", Value: "Other"},
			update.Modification{Op: "replace", Path: "/emails", Where: eqType("work"), Sub: "value", Value: "x@example.com"})
		require.Error(t, err)
		e := update.AsError(err)
		assert.Equal(t, update.NotFound, e.Code)
		assert.Equal(t, update.ReasonNoTarget, e.Reason)
		assert.Equal(t, before, f.snapshot(t, "u1"))

		_, err = mod(update.Modification{Op: "remove"})
		assert.Equal(t, update.ReasonNoTarget, update.AsError(err).Reason, "remove without a path")
		// A value the rules refuse, in a later operation: nothing changes.
		_, err = mod(update.Modification{Op: "replace", Path: "/nickName", Value: "N"},
			update.Modification{Op: "replace", Path: "/emails", Where: eqType("home"), Sub: "primary", Value: "yes"})
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		assert.Equal(t, before, f.snapshot(t, "u1"))
	})
}

// TestModifyRefused: what Modify refuses before any record is read.
func TestModifyRefused(t *testing.T) {
	f := newFixture(t, nil, modifyPolicy())
	f.seed(t)
	before := f.snapshot(t, "u1")
	cases := []struct {
		name string
		m    update.Modification
		code update.Code
	}{
		{"UnknownOp", update.Modification{Op: "move", Path: "/nickName"}, update.Malformed},
		{"FilterOnScalar", update.Modification{Op: "remove", Path: "/nickName", Where: eqType("x")}, update.Malformed},
		{"FilterUnqueryable", update.Modification{Op: "remove", Path: "/statuses", Where: &storage.Filter{Op: storage.Eq, Path: "/status", Value: "new"}}, update.Malformed},
		{"SubWithoutFilter", update.Modification{Op: "replace", Path: "/emails", Sub: "value", Value: "x"}, update.Malformed},
		{"ReadOnly", update.Modification{Op: "replace", Path: "/id", Value: "x"}, update.Immutable},
		{"Unknown", update.Modification{Op: "add", Value: map[string]any{"shoeSize": 4}}, update.Invalid},
		{"Selector", update.Modification{Op: "remove", Path: "/statuses/[id=5253]"}, update.Malformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := apply(f, update.Request{Mode: update.Modify, Mods: []update.Modification{c.m}})
			assert.Equal(t, c.code, update.ErrorCode(err), "%v", err)
			assert.Equal(t, before, f.snapshot(t, "u1"))
		})
	}
	// The grant covers every path a modification writes.
	_, err := apply(f, update.Request{Mode: update.Modify, Client: "profiler",
		Mods: []update.Modification{{Op: "replace", Value: map[string]any{"givenName": "M", "nickName": "N"}}}})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err))
	// A secret in a path-less replace is a secret, not a document value.
	res, err := apply(f, update.Request{Mode: update.Modify,
		Mods: []update.Modification{{Op: "replace", Value: map[string]any{"password": "NewSecret99"}}}})
	require.NoError(t, err)
	assert.True(t, res.Modified)
	assert.NotContains(t, f.get(t, "u1").Doc, "password")
}
