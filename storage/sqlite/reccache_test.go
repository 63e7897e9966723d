package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/verify"
)

// The writer keeps the records it wrote decoded; a change made to the file
// by another connection must still be seen by the next update.
func TestUpdateSeesForeignWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s := openStore(t, path)
	ctx := context.Background()
	require.NoError(t, s.Create(ctx, &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc: map[string]any{"n": "1"}}, storage.Event{Time: time.Now(), Kind: "create"}))
	set := func(v string) storage.Updater {
		return func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = map[string]any{"n": v}
			return &storage.Event{Time: time.Now(), Kind: "update"}, nil
		}
	}
	_, err := s.Update(ctx, "user", "u1", set("2"))
	require.NoError(t, err)

	other, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer other.Close()
	_, err = other.Exec(`UPDATE records SET doc = '{"n":"foreign"}' WHERE type = 'user' AND id = 'u1'`)
	require.NoError(t, err)

	var seen any
	_, err = s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
		seen = rec.Doc["n"]
		return nil, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "foreign", seen)
}

// The cached record is what reading the record back from the file gives,
// field for field, through creates and updates that change keys, terms,
// secrets and pending challenges.
func TestRecordCacheMatchesFile(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	local := time.FixedZone("local", 3600)
	created := time.Date(2026, 11, 30, 10, 0, 0, 123456789, local)
	rec := &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc:     map[string]any{"email": "a@example.com", "n": json.Number("1"), "tags": []any{"x", true, nil}},
		Secrets: map[string]string{},
		Keys:    []storage.Key{{Name: "/username", Value: "ada"}, {Name: "/email", Value: "a@example.com"}},
		Terms:   []storage.Key{{Name: "/team", Value: "b"}, {Name: "/team", Value: "a"}}}
	require.NoError(t, s.Create(ctx, rec, storage.Event{Time: created, Kind: "create"}))
	check := func(step string) {
		t.Helper()
		cached := sqlite.CachedRecord(s, "user", "u1")
		require.NotNil(t, cached, step)
		stored, err := s.Get(ctx, "user", "u1")
		require.NoError(t, err)
		assert.Equal(t, stored, cached, step)
	}
	check("after create")

	steps := []func(rec *storage.Record){
		func(rec *storage.Record) {
			rec.Doc = map[string]any{"email": "b@example.com", "n": json.Number("2")}
			rec.Keys = []storage.Key{{Name: "/email", Value: "b@example.com"}}
			rec.Terms = nil
			rec.Secrets = map[string]string{"/password": "$2a$10$abcdefghijklmnopqrstuv"}
		},
		func(rec *storage.Record) {
			now := time.Now()
			rec.Pending = []verify.Challenge{{ID: "c1", Path: "/email", Channel: verify.Email,
				Value: json.RawMessage(`"c@example.com"`), CodeHash: []byte{1, 2, 3},
				Created: now, Expires: now.Add(time.Hour), Sends: []time.Time{now}}}
			rec.State = storage.Inactive
			rec.Terms = []storage.Key{{Name: "/team", Value: "c"}}
		},
		func(rec *storage.Record) {
			rec.Pending, rec.Secrets, rec.Keys = nil, nil, nil
			rec.State = storage.Active
		},
	}
	for i, change := range steps {
		_, err := s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
			change(rec)
			return &storage.Event{Time: time.Now().In(local), Kind: "update"}, nil
		})
		require.NoError(t, err)
		check(fmt.Sprintf("after update %d", i+1))
	}
}

// A write rolled back after it ran, alone or in a batch, leaves nothing
// of itself in the cache: the next update sees the record as committed.
func TestRecordCacheRollback(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			s := newBatchStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancelled := func(rec *storage.Record) (*storage.Event, error) {
				cancel() // the write runs, then the store finds ctx done and rolls it back
				return setN(9)(rec)
			}
			write := func() error {
				_, err := s.Update(ctx, "user", batchID(0), cancelled)
				return err
			}
			if batched {
				errs := inBatch(t, s, updateOf(s, 1, setN(1)), write, updateOf(s, 2, setN(1)))
				require.NoError(t, errs[0])
				assert.ErrorIs(t, errs[1], context.Canceled)
				require.NoError(t, errs[2])
			} else {
				assert.ErrorIs(t, write(), context.Canceled)
			}
			var seen any
			got, err := s.Update(context.Background(), "user", batchID(0), func(rec *storage.Record) (*storage.Event, error) {
				seen = rec.Doc["n"]
				return setN(2)(rec)
			})
			require.NoError(t, err)
			assert.Equal(t, json.Number("0"), seen)
			assert.Equal(t, uint64(2), got.Version)
			assertVersion(t, s, 0, 2)
		})
	}
}

// Close may be called twice; a write after it fails and a read too, and
// the file keeps what was committed before.
func TestClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.db")
	s, err := sqlite.Open(path)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Create(ctx, &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc: map[string]any{"n": "1"}}, storage.Event{Time: time.Now(), Kind: "create"}))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())

	_, err = s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
		rec.Doc = map[string]any{"n": "2"}
		return &storage.Event{Time: time.Now(), Kind: "update"}, nil
	})
	assert.Error(t, err)
	_, err = s.NextValue(ctx, "n")
	assert.Error(t, err)
	_, err = s.Get(ctx, "user", "u1")
	assert.Error(t, err)

	again := openStore(t, path)
	rec, err := again.Get(ctx, "user", "u1")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), rec.Version)
	assert.Equal(t, "1", rec.Doc["n"])
}

// Two Stores on one file, as two processes would be, take turns updating
// one record: each sees the other's last write, version and document.
func TestRecordCacheTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.db")
	a, b := openStore(t, path), openStore(t, path)
	ctx := context.Background()
	require.NoError(t, a.Create(ctx, &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc: map[string]any{"n": json.Number("0")}}, storage.Event{Time: time.Now(), Kind: "create"}))
	for i := 1; i <= 6; i++ {
		s := []*sqlite.Store{a, b}[i%2]
		var seen any
		rec, err := s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
			seen = rec.Doc["n"]
			rec.Doc = map[string]any{"n": json.Number(fmt.Sprint(i))}
			return &storage.Event{Time: time.Now(), Kind: "update"}, nil
		})
		require.NoError(t, err, "update %d", i)
		assert.Equal(t, json.Number(fmt.Sprint(i-1)), seen, "update %d", i)
		assert.Equal(t, uint64(i+1), rec.Version)
	}
}
