package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

func runRecords(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreatedRecordReadsBackAtVersion1", func(t *testing.T) {
		s := newStore(t)
		rec := newRecord("u1", key("/email", "a@example.com"))
		require.NoError(t, s.Create(ctx, rec, createEvent()))

		got := mustGet(t, s, "u1")
		want := *rec
		want.Version, want.Updated = 1, t0
		assertSameRecord(t, &want, got)

		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		want1 := createEvent()
		want1.Version = 1
		assert.Equal(t, []storage.Event{want1}, canonicalEvents(hist))
	})

	t.Run("CreatedWithoutCreatedTimeTakesEventTime", func(t *testing.T) {
		s := newStore(t)
		rec := newRecord("u1")
		rec.Created = time.Time{}
		ev := createEvent()
		ev.Time = at(5)
		require.NoError(t, s.Create(ctx, rec, ev))

		got := mustGet(t, s, "u1")
		assert.True(t, got.Created.Equal(at(5)), "Created %v, want %v", got.Created, at(5))
		assert.True(t, got.Updated.Equal(at(5)), "Updated %v, want %v", got.Updated, at(5))
	})

	t.Run("DuplicateIDIsErrExistsAndKeepsFirst", func(t *testing.T) {
		s := newStore(t)
		first := newRecord("u1", key("/email", "first@example.com"))
		mustCreate(t, s, first)

		second := newRecord("u1", key("/email", "second@example.com"))
		second.Doc = map[string]any{"name": "second"}
		err := s.Create(ctx, second, createEvent())
		assert.ErrorIs(t, err, storage.ErrExists)

		got := mustGet(t, s, "u1")
		assert.Equal(t, "user u1", got.Doc["name"])
		_, err = s.Find(ctx, userType, key("/email", "second@example.com"))
		assert.ErrorIs(t, err, storage.ErrNotFound, "the refused record's key must not be indexed")
	})

	t.Run("SameIDInAnotherTypeIsAnotherRecord", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		other := newRecord("u1")
		other.Type = "device"
		other.Doc = map[string]any{"name": "device u1"}
		require.NoError(t, s.Create(ctx, other, createEvent()))

		got, err := s.Get(ctx, "device", "u1")
		require.NoError(t, err)
		assert.Equal(t, "device u1", got.Doc["name"])
		assert.Equal(t, "user u1", mustGet(t, s, "u1").Doc["name"])
	})

	t.Run("MissingRecordIsErrNotFound", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
		called := false
		ops := map[string]func() error{
			"Get": func() error { _, err := s.Get(ctx, userType, "nobody"); return err },
			"GetOtherType": func() error {
				_, err := s.Get(ctx, "device", "u1")
				return err
			},
			"Find": func() error {
				_, err := s.Find(ctx, userType, key("/email", "nobody@example.com"))
				return err
			},
			"FindOtherType": func() error {
				_, err := s.Find(ctx, "device", key("/email", "a@example.com"))
				return err
			},
			"Update": func() error {
				_, err := s.Update(ctx, userType, "nobody", func(*storage.Record) (*storage.Event, error) {
					called = true
					return &storage.Event{Time: at(1), Kind: "update"}, nil
				})
				return err
			},
			"Delete":  func() error { return s.Delete(ctx, userType, "nobody") },
			"History": func() error { _, err := s.History(ctx, userType, "nobody"); return err },
		}
		for name, op := range ops {
			t.Run(name, func(t *testing.T) {
				assert.ErrorIs(t, op(), storage.ErrNotFound)
			})
		}
		assert.False(t, called, "Update must not run the updater on a missing record")
	})

	t.Run("DeleteRemovesRecordKeysAndHistory", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com"), key("ext:crm", "CRM-1")))
		mustCreate(t, s, newRecord("u2", key("/email", "b@example.com")))
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"name": "changed"}, at(1)))
		require.NoError(t, err)

		require.NoError(t, s.Delete(ctx, userType, "u1"))

		_, err = s.Get(ctx, userType, "u1")
		assert.ErrorIs(t, err, storage.ErrNotFound)
		_, err = s.History(ctx, userType, "u1")
		assert.ErrorIs(t, err, storage.ErrNotFound)
		for _, k := range []storage.Key{key("/email", "a@example.com"), key("ext:crm", "CRM-1")} {
			_, err = s.Find(ctx, userType, k)
			assert.ErrorIs(t, err, storage.ErrNotFound, "key %s", k)
		}
		assert.ErrorIs(t, s.Delete(ctx, userType, "u1"), storage.ErrNotFound, "second delete")
		got, err := s.Find(ctx, userType, key("/email", "b@example.com"))
		require.NoError(t, err, "the other record survives")
		assert.Equal(t, "u2", got.ID)
	})

	t.Run("DeletedIDCanBeCreatedAgainWithFreshHistory", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"name": "changed"}, at(1)))
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, userType, "u1"))

		mustCreate(t, s, newRecord("u1"))
		got := mustGet(t, s, "u1")
		assert.Equal(t, uint64(1), got.Version)
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, []uint64{1}, versions(hist))
	})
}
