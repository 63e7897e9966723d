package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

func runKeys(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("FindReturnsHolderOfEveryKey", func(t *testing.T) {
		s := newStore(t)
		keys := []storage.Key{
			key("/email", "ada@example.com"),
			key("/mobileNumber", "+447700900123"),
			key("ext:crm", "CRM-000482913"),
		}
		rec := newRecord("u1", keys...)
		mustCreate(t, s, rec)
		mustCreate(t, s, newRecord("u2", key("/email", "other@example.com")))

		for _, k := range keys {
			got, err := s.Find(ctx, userType, k)
			if assert.NoError(t, err, "key %s", k) {
				want := *rec
				want.Version, want.Updated = 1, t0
				assertSameRecord(t, &want, got)
			}
		}
	})

	t.Run("SameValueUnderAnotherNameOrTypeIsFree", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "ada@example.com")))
		mustCreate(t, s, newRecord("u2", key("/contactEmail", "ada@example.com")))
		device := newRecord("d1", key("/email", "ada@example.com"))
		device.Type = "device"
		require.NoError(t, s.Create(ctx, device, createEvent()))

		got, err := s.Find(ctx, userType, key("/contactEmail", "ada@example.com"))
		require.NoError(t, err)
		assert.Equal(t, "u2", got.ID)
		got, err = s.Find(ctx, "device", key("/email", "ada@example.com"))
		require.NoError(t, err)
		assert.Equal(t, "d1", got.ID)
		got, err = s.Find(ctx, userType, key("/email", "ada@example.com"))
		require.NoError(t, err)
		assert.Equal(t, "u1", got.ID)
	})

	holderStates := []storage.RecordState{storage.Active, storage.Inactive}
	held := key("/email", "held@example.com")

	for _, state := range holderStates {
		t.Run("CreateWithKeyOf"+title(state)+"HolderNamesHolder", func(t *testing.T) {
			s := newStore(t)
			holder := newRecord("u1", key("ext:crm", "CRM-1"), held)
			holder.State = state
			mustCreate(t, s, holder)

			free := key("/mobileNumber", "+15550100")
			err := s.Create(ctx, newRecord("u2", free, held), createEvent())
			assertNotUnique(t, err, held, "u1", state)

			_, err = s.Get(ctx, userType, "u2")
			assert.ErrorIs(t, err, storage.ErrNotFound, "refused record must not exist")
			_, err = s.Find(ctx, userType, free)
			assert.ErrorIs(t, err, storage.ErrNotFound, "refused record's free key must not be indexed")
		})

		t.Run("UpdateToKeyOf"+title(state)+"HolderNamesHolderAndChangesNothing", func(t *testing.T) {
			s := newStore(t)
			holder := newRecord("u1", held)
			holder.State = state
			mustCreate(t, s, holder)
			own := key("/email", "own@example.com")
			mustCreate(t, s, newRecord("u2", own))
			before := mustGet(t, s, "u2")

			_, err := s.Update(ctx, userType, "u2", func(rec *storage.Record) (*storage.Event, error) {
				rec.Doc = map[string]any{"name": "taken"}
				rec.Keys = []storage.Key{held}
				return &storage.Event{Time: at(1), Kind: "update"}, nil
			})
			assertNotUnique(t, err, held, "u1", state)

			assertSameRecord(t, before, mustGet(t, s, "u2"))
			got, err := s.Find(ctx, userType, own)
			require.NoError(t, err, "the record keeps its old key")
			assert.Equal(t, "u2", got.ID)
			got, err = s.Find(ctx, userType, held)
			require.NoError(t, err)
			assert.Equal(t, "u1", got.ID, "the holder keeps the held key")
			hist, err := s.History(ctx, userType, "u2")
			require.NoError(t, err)
			assert.Equal(t, []uint64{1}, versions(hist), "no event for a refused update")
		})
	}

	t.Run("UpdateReplacesKeysAsASet", func(t *testing.T) {
		s := newStore(t)
		a, b, c := key("/email", "a@example.com"), key("ext:crm", "CRM-B"), key("/mobileNumber", "+15550100")
		mustCreate(t, s, newRecord("u1", a, b))

		got, err := s.Update(ctx, userType, "u1", setKeys(at(1), b, c))
		require.NoError(t, err)
		assert.ElementsMatch(t, []storage.Key{b, c}, got.Keys)
		assert.ElementsMatch(t, []storage.Key{b, c}, mustGet(t, s, "u1").Keys)

		_, err = s.Find(ctx, userType, a)
		assert.ErrorIs(t, err, storage.ErrNotFound, "dropped key must not find the record")
		for _, k := range []storage.Key{b, c} {
			got, err := s.Find(ctx, userType, k)
			if assert.NoError(t, err, "key %s", k) {
				assert.Equal(t, "u1", got.ID)
			}
		}
		mustCreate(t, s, newRecord("u2", a))
		got, err = s.Find(ctx, userType, a)
		require.NoError(t, err, "dropped key is free for another record")
		assert.Equal(t, "u2", got.ID)
	})

	t.Run("UpdateKeepingOwnKeysIsNoClash", func(t *testing.T) {
		s := newStore(t)
		a := key("/email", "a@example.com")
		mustCreate(t, s, newRecord("u1", a))
		got, err := s.Update(ctx, userType, "u1", setKeys(at(1), a))
		require.NoError(t, err)
		assert.Equal(t, uint64(2), got.Version)
	})

	t.Run("DeletedRecordsKeysCanBeTaken", func(t *testing.T) {
		s := newStore(t)
		a, ext := key("/email", "a@example.com"), key("ext:crm", "CRM-1")
		mustCreate(t, s, newRecord("u1", a, ext))
		mustCreate(t, s, newRecord("u3"))
		require.NoError(t, s.Delete(ctx, userType, "u1"))

		require.NoError(t, s.Create(ctx, newRecord("u2", a), createEvent()), "create takes a freed key")
		_, err := s.Update(ctx, userType, "u3", setKeys(at(1), ext))
		require.NoError(t, err, "update takes a freed key")

		for k, wantID := range map[storage.Key]string{a: "u2", ext: "u3"} {
			got, err := s.Find(ctx, userType, k)
			if assert.NoError(t, err, "key %s", k) {
				assert.Equal(t, wantID, got.ID, "key %s", k)
			}
		}
	})
}

// assertNotUnique checks that err matches storage.ErrNotUnique and is a
// *storage.NotUniqueError naming k, its holder and the holder's state.
func assertNotUnique(tb testing.TB, err error, k storage.Key, holderID string, state storage.RecordState) {
	tb.Helper()
	require.ErrorIs(tb, err, storage.ErrNotUnique)
	var nu *storage.NotUniqueError
	require.True(tb, errors.As(err, &nu), "error %v is not a *storage.NotUniqueError", err)
	assert.Equal(tb, k, nu.Key)
	assert.Equal(tb, holderID, nu.HolderID)
	assert.Equal(tb, state, nu.HolderState)
}

func title(s storage.RecordState) string {
	if s == storage.Active {
		return "Active"
	}
	return "Inactive"
}
