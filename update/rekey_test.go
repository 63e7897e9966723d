package update_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
)

func rekeyPolicy(spec *ident.Spec) *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			"/userName": {Type: update.TypeString, Unique: true, Identifier: spec},
		}}},
		DefaultGrant: &update.Grant{Write: true, Create: true},
	}
}

func TestRekeyReportsClashesAndRefusals(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		store := open(t)
		old := newFixture(t, store, rekeyPolicy(nil))
		for id, name := range map[string]string{
			"u1": "minnie", "u2": "Minnie", "u3": "Bob", "u4": "mіnnie", "u5": "carol\u200b", "u6": "dave",
			"u7": "Eve",
		} {
			_, err := old.eng.Create(ctx, update.CreateRequest{Type: "user", ID: id, Client: "c", Doc: map[string]any{"userName": name}})
			require.NoError(t, err, id)
		}
		eng, err := update.New(store, rekeyPolicy(&ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}))
		require.NoError(t, err)
		before := map[string]string{}
		for _, id := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
			before[id] = old.snapshot(t, id)
		}

		dry, err := eng.Rekey(ctx, "user", true)
		require.NoError(t, err)
		for id, snap := range before {
			assert.Equal(t, snap, old.snapshot(t, id), "a dry run writes nothing")
		}

		rep, err := eng.Rekey(ctx, "user", false)
		require.NoError(t, err)
		assert.Equal(t, dry, rep, "the dry run reports what the real run does")
		assert.Equal(t, 7, rep.Scanned)
		assert.False(t, rep.Clean())
		assert.Equal(t, []update.RekeyClash{{Field: "/userName", IDs: []string{"u1", "u2", "u4"}}}, rep.Clashes)
		require.Len(t, rep.Refused, 1)
		assert.Equal(t, "u5", rep.Refused[0].ID)
		assert.Equal(t, update.RuleIdentifier, rep.Refused[0].Fields[0].Rule)
		assert.Equal(t, 2, rep.Rekeyed, "Bob and Eve get lower-cased keys; dave's key is what it was")
		for _, id := range []string{"u1", "u2", "u4", "u5"} {
			assert.Equal(t, before[id], old.snapshot(t, id), "%s keeps its old keys", id)
		}
		got, err := eng.Get(ctx, "user", update.ByKey("/userName", "BOB"))
		require.NoError(t, err)
		assert.Equal(t, "u3", got.ID)

		again, err := eng.Rekey(ctx, "user", false)
		require.NoError(t, err)
		assert.Zero(t, again.Rekeyed, "a second run has nothing left to do")
	})
}
