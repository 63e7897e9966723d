package storagetest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// challenges returns two challenges with every field set, one open and one
// closed, with nanosecond times.
func challenges() []verify.Challenge {
	return []verify.Challenge{
		{
			ID:       "ch-email-1",
			Path:     "/email",
			Channel:  verify.Email,
			Value:    json.RawMessage(`"new@example.com"`),
			CodeHash: []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x42, 0x13},
			Created:  at(1),
			Expires:  at(1).Add(time.Hour),
			Attempts: 2,
			Sends:    []time.Time{at(1), at(2), at(3)},
			State:    verify.Pending,
			Held:     true,
		},
		{
			ID:       "ch-sms-1",
			Path:     "/mobileNumber",
			Channel:  verify.SMS,
			Value:    json.RawMessage(`"+447700900123"`),
			CodeHash: []byte("keyed-hash-bytes"),
			Created:  at(4),
			Expires:  at(4).Add(10 * time.Minute),
			Attempts: 5,
			Sends:    []time.Time{at(4)},
			State:    verify.Locked,
			Held:     false,
		},
	}
}

func runUpdate(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("VersionGrowsBy1AndUpdatedIsEventTime", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		for i := 1; i <= 5; i++ {
			got, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
				rec.Doc = withDoc(rec.Doc, "step", json.Number(itoa(i)))
				return &storage.Event{Time: at(i), Kind: "update"}, nil
			})
			require.NoError(t, err)
			assert.Equal(t, uint64(i+1), got.Version, "returned version after update %d", i)
			assert.True(t, got.Updated.Equal(at(i)), "returned Updated %v, want %v", got.Updated, at(i))

			stored := mustGet(t, s, "u1")
			assert.Equal(t, uint64(i+1), stored.Version, "stored version after update %d", i)
			assert.True(t, stored.Updated.Equal(at(i)), "stored Updated %v, want %v", stored.Updated, at(i))
			assert.True(t, stored.Created.Equal(t0), "Created must not move: %v", stored.Created)
		}
	})

	t.Run("StoreSetsVersionsWhateverUpdaterSays", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		got, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Version = 99
			rec.Updated = at(50)
			return &storage.Event{Version: 42, Time: at(1), Kind: "update"}, nil
		})
		require.NoError(t, err)
		assert.Equal(t, uint64(2), got.Version)
		assert.True(t, got.Updated.Equal(at(1)), "Updated %v, want the event's time %v", got.Updated, at(1))
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, []uint64{1, 2}, versions(hist))
	})

	t.Run("DocKeysPendingStateAndEventCommitTogether", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "old@example.com")))
		newKeys := []storage.Key{key("/email", "new@example.com"), key("ext:crm", "CRM-9")}
		ev := storage.Event{
			Time: at(7), Kind: "update", Actor: "user:u1", Client: "web",
			Changes: []storage.Change{
				{Path: "/email", Op: "replace", Old: "old@example.com", New: "new@example.com"},
				{Path: "/loyalty", Op: "add", New: map[string]any{"points": json.Number("10")}},
				{Path: "/nickname", Op: "remove", Old: "Ada"},
			},
		}
		got, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = map[string]any{"email": "new@example.com", "loyalty": map[string]any{"points": json.Number("10")}}
			rec.Keys = newKeys
			rec.Pending = challenges()
			rec.Secrets = map[string]string{"/password": "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"}
			rec.State = storage.Inactive
			e := ev
			return &e, nil
		})
		require.NoError(t, err)

		want := newRecord("u1", newKeys...)
		want.Version, want.Updated, want.State = 2, at(7), storage.Inactive
		want.Doc = map[string]any{"email": "new@example.com", "loyalty": map[string]any{"points": json.Number("10")}}
		want.Pending = challenges()
		want.Secrets = map[string]string{"/password": "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"}
		assertSameRecord(t, want, got)
		assertSameRecord(t, want, mustGet(t, s, "u1"))
		found, err := s.Find(ctx, userType, key("ext:crm", "CRM-9"))
		require.NoError(t, err)
		assertSameRecord(t, want, found)

		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		require.Len(t, hist, 2)
		ev.Version = 2
		assert.Equal(t, ev, canonicalEvents(hist)[1])
	})

	t.Run("UpdaterErrorAbortsEverything", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
		before := mustGet(t, s, "u1")

		_, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = map[string]any{"name": "should not land"}
			rec.Keys = []storage.Key{key("/email", "b@example.com")}
			rec.Pending = challenges()
			rec.State = storage.Inactive
			return &storage.Event{Time: at(1), Kind: "update"}, errBoom
		})
		assert.Equal(t, errBoom, err, "the updater's error comes back unchanged")

		assertSameRecord(t, before, mustGet(t, s, "u1"))
		_, err = s.Find(ctx, userType, key("/email", "b@example.com"))
		assert.ErrorIs(t, err, storage.ErrNotFound)
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, []uint64{1}, versions(hist))
	})

	t.Run("NilEventWritesNothing", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
		before := mustGet(t, s, "u1")

		got, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = map[string]any{"name": "should not land"}
			rec.Keys = nil
			return nil, nil
		})
		require.NoError(t, err)
		assertSameRecord(t, before, got)
		assertSameRecord(t, before, mustGet(t, s, "u1"))
		_, err = s.Find(ctx, userType, key("/email", "a@example.com"))
		assert.NoError(t, err, "keys stay indexed")
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, []uint64{1}, versions(hist))
	})

	t.Run("HistoryIsInOrderWithVersions1ToN", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		const n = 12
		want := []storage.Event{{Version: 1, Time: t0, Kind: "create", Actor: "tester", Client: "suite"}}
		for i := 2; i <= n; i++ {
			ev := storage.Event{
				Time: at(i), Kind: "update", Actor: "actor-" + itoa(i), Client: "client",
				Changes: []storage.Change{{Path: "/step", Op: "replace", Old: json.Number(itoa(i - 1)), New: json.Number(itoa(i))}},
			}
			_, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
				rec.Doc = withDoc(rec.Doc, "step", json.Number(itoa(i)))
				e := ev
				return &e, nil
			})
			require.NoError(t, err)
			ev.Version = uint64(i)
			want = append(want, ev)
		}
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, seq(n), versions(hist))
		assert.Equal(t, want, canonicalEvents(hist))
	})

	t.Run("EventIsCopiedBeforeUpdateReturns", func(t *testing.T) {
		// The engine reuses the Event value an updater returns once Update
		// has returned, so a store must not keep a pointer to it.
		s := newStore(t)
		mustCreate(t, s, newRecord("u1"))
		changes := []storage.Change{{Path: "/name", Op: "add", New: "Ada"}}
		ev := &storage.Event{Time: at(3), Kind: "update", Actor: "user:u1", Client: "web", Changes: changes}
		_, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = withDoc(rec.Doc, "name", "Ada")
			return ev, nil
		})
		require.NoError(t, err)
		*ev = storage.Event{Version: 77, Time: at(9), Kind: "reused", Actor: "someone else"}

		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		require.Len(t, hist, 2)
		want := storage.Event{Version: 2, Time: at(3), Kind: "update", Actor: "user:u1", Client: "web", Changes: changes}
		assert.Equal(t, want, canonicalEvents(hist)[1])
	})

	t.Run("EarlierReadsDoNotChangeWithLaterUpdates", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
		read := mustGet(t, s, "u1")
		snapshot := canonical(read)

		_, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = withDoc(rec.Doc, "name", "changed")
			rec.Keys = []storage.Key{key("/email", "b@example.com")}
			rec.State = storage.Inactive
			return &storage.Event{Time: at(1), Kind: "update"}, nil
		})
		require.NoError(t, err)
		assert.Equal(t, snapshot, canonical(read))
	})

	t.Run("UpdaterSeesCurrentRecord", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"name": "second"}, at(1)))
		require.NoError(t, err)
		want := mustGet(t, s, "u1")

		var last *storage.Record
		_, err = s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
			// The updater may run more than once; the last run is the one that counts.
			seen := *rec
			last = &seen
			return &storage.Event{Time: at(2), Kind: "update"}, nil
		})
		require.NoError(t, err)
		require.NotNil(t, last, "updater never ran")
		assertSameRecord(t, want, last)
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
