package update_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// statePolicy binds the record's state to /active; "admin" and "app" may
// change it, "keeper" may write /active only while the state stays.
func statePolicy() *update.Policy {
	pol := userPolicy()
	s := pol.Types["user"]
	s.Fields["/active"] = &update.Field{Type: update.TypeBoolean}
	s.StateFrom = "/active"
	g := pol.Grants["admin"]
	g.State = true
	pol.Grants["admin"] = g
	pol.Grants["app"] = update.Grant{Write: true, State: true}
	pol.Grants["keeper"] = update.Grant{Write: true}
	return pol
}

// TestStateFrom: writing the bound field moves the record between Active
// and Inactive in the same update, with its own event kind, only for
// clients whose grant holds State; on every backend.
func TestStateFrom(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		f := newFixture(t, open(t), statePolicy())
		f.seed(t)
		assert.Equal(t, storage.Active, f.get(t, "u1").State, "no bound value: the requested (default) state")

		set := func(client string, doc string) (*update.Result, error) {
			return f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: client, Actor: "t",
				Mode: update.Merge, Doc: val(t, doc)})
		}
		// A client without the State right may not deactivate; nothing changes.
		before := f.snapshot(t, "u1")
		_, err := set("keeper", `{"active":false,"nickName":"x"}`)
		require.Error(t, err)
		e := update.AsError(err)
		assert.Equal(t, update.Forbidden, e.Code)
		require.Len(t, e.Fields, 1)
		assert.Equal(t, update.FieldError{Path: "/active", Rule: update.RuleState, Message: e.Fields[0].Message}, e.Fields[0])
		assert.Equal(t, before, f.snapshot(t, "u1"))

		// It may write the field when the state stays what it names.
		_, err = set("keeper", `{"active":true}`)
		require.NoError(t, err)
		assert.Equal(t, storage.Active, f.get(t, "u1").State)

		res, err := set("app", `{"active":false}`)
		require.NoError(t, err)
		v := f.get(t, "u1")
		assert.Equal(t, storage.Inactive, v.State)
		assert.Equal(t, res.Version, v.Version)
		hist, err := f.store.History(ctx, "user", "u1")
		require.NoError(t, err)
		last := hist[len(hist)-1]
		assert.Equal(t, update.EventDeactivate, last.Kind)
		assert.Equal(t, []storage.Change{{Path: "/active", Op: "replace", Old: true, New: false}}, last.Changes)

		// Removing the field leaves the state as it is.
		_, err = set("app", `{"active":null}`)
		require.NoError(t, err)
		assert.Equal(t, storage.Inactive, f.get(t, "u1").State)

		res, err = set("app", `{"active":true}`)
		require.NoError(t, err)
		assert.Equal(t, storage.Active, f.get(t, "u1").State)
		hist, err = f.store.History(ctx, "user", "u1")
		require.NoError(t, err)
		assert.Equal(t, update.EventActivate, hist[len(hist)-1].Kind)
		assert.Equal(t, res.Version, hist[len(hist)-1].Version)

		// The same value again is no change and no event.
		res, err = set("app", `{"active":true}`)
		require.NoError(t, err)
		assert.True(t, res.Unchanged)

		// Modify (attribute-oriented) is bound alike.
		_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app", Mode: update.Modify,
			Mods: []update.Modification{{Op: "replace", Path: "/active", Value: false}}})
		require.NoError(t, err)
		assert.Equal(t, storage.Inactive, f.get(t, "u1").State)

		// A dry run decides without writing.
		res, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app", Mode: update.Merge,
			Doc: val(t, `{"active":true}`), DryRun: true, IncludeRecord: true})
		require.NoError(t, err)
		assert.Equal(t, storage.Active, res.Record.State)
		assert.Equal(t, storage.Inactive, f.get(t, "u1").State)
	})
}

// TestStateFromCreate: at create the bound field decides the state; a
// requested state it contradicts is Malformed and creates nothing.
func TestStateFromCreate(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		f := newFixture(t, open(t), statePolicy())
		create := func(id string, state storage.RecordState, doc string) error {
			_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: id, Client: "admin", State: state, Doc: val(t, doc).(map[string]any)})
			return err
		}
		require.NoError(t, create("a", "", `{"familyName":"A","active":false}`))
		assert.Equal(t, storage.Inactive, f.get(t, "a").State)
		require.NoError(t, create("b", storage.Inactive, `{"familyName":"B"}`))
		assert.Equal(t, storage.Inactive, f.get(t, "b").State)
		require.NoError(t, create("c", storage.Active, `{"familyName":"C","active":true}`))
		assert.Equal(t, storage.Active, f.get(t, "c").State)

		err := create("d", storage.Active, `{"familyName":"D","active":false}`)
		assert.Equal(t, update.Malformed, update.ErrorCode(err))
		_, err = f.store.Get(ctx, "user", "d")
		assert.ErrorIs(t, err, storage.ErrNotFound)
	})
}

// TestStateFromPolicy: the binding must name a declared boolean at a
// concrete path.
func TestStateFromPolicy(t *testing.T) {
	for name, tc := range map[string]struct {
		from  string
		field *update.Field
	}{
		"undeclared":  {"/enabled", nil},
		"not boolean": {"/active", &update.Field{Type: update.TypeString}},
		"wildcard":    {"/statuses/*/status", nil},
		"secret":      {"/password", nil},
		"not pointer": {"active", nil},
	} {
		t.Run(name, func(t *testing.T) {
			pol := userPolicy()
			if tc.field != nil {
				pol.Types["user"].Fields["/active"] = tc.field
			}
			pol.Types["user"].StateFrom = tc.from
			_, err := update.New(nil, pol)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "stateFrom")
		})
	}
}
