package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/storagetest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)

func newUser(id string, keys ...storage.Key) *storage.Record {
	return &storage.Record{Type: "user", ID: id, State: storage.Active, Doc: map[string]any{"name": id}, Keys: keys}
}

func createEvent() storage.Event { return storage.Event{Time: t0, Kind: "create"} }

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("ConcurrentOpensOfOneSchemaMigrateOnce", func(t *testing.T) {
		dsn := testDSN(t)
		schema := freshSchema(t, dsn)
		const openers = 6
		errs := make([]error, openers)
		var wg sync.WaitGroup
		for i := range openers {
			wg.Go(func() {
				s, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
				if err == nil {
					_ = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "opener %d", i)
		}
		var rows, maxVersion int
		require.NoError(t, connect(t, schema).QueryRow(ctx,
			`SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &maxVersion))
		assert.Positive(t, maxVersion)
		assert.Equal(t, maxVersion, rows, "each migration recorded exactly once")
	})

	t.Run("ReopenKeepsRecordsAndAppliesNothing", func(t *testing.T) {
		s, schema := openStore(t)
		require.NoError(t, s.Create(ctx, newUser("u1"), createEvent()))
		conn := connect(t, schema)
		var before int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&before))

		again, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(schema))
		require.NoError(t, err)
		defer again.Close()
		got, err := again.Get(ctx, "user", "u1")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), got.Version)
		var after int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&after))
		assert.Equal(t, before, after)
	})

	t.Run("SchemaNewerThanCodeIsErrSchemaTooNew", func(t *testing.T) {
		_, schema := openStore(t)
		_, err := connect(t, schema).Exec(ctx,
			`INSERT INTO schema_migrations (version, name) SELECT max(version) + 1, 'from the future' FROM schema_migrations`)
		require.NoError(t, err)

		s, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(schema))
		if s != nil {
			_ = s.Close()
		}
		assert.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	})

	t.Run("OverlongSchemaNameIsRefused", func(t *testing.T) {
		s, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(strings.Repeat("s", 64)))
		if s != nil {
			_ = s.Close()
		}
		assert.Error(t, err)
	})
}

func TestDocumentIsQueryableJSONB(t *testing.T) {
	ctx := context.Background()
	s, schema := openStore(t)
	rec := newUser("u1")
	rec.Doc = storagetest.UserDoc2K()
	require.NoError(t, s.Create(ctx, rec, createEvent()))

	var typ, given string
	require.NoError(t, connect(t, schema).QueryRow(ctx,
		`SELECT pg_typeof(doc)::text, doc->>'givenName' FROM records WHERE type = 'user' AND id = 'u1'`).Scan(&typ, &given))
	assert.Equal(t, "jsonb", typ)
	assert.Equal(t, rec.Doc["givenName"], given)
}

func TestUnstorableInputIsErrInvalidAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	nul := "a\x00b"
	cases := []struct {
		name string
		opts []postgres.Option
		// change spoils a valid record or event.
		change func(rec *storage.Record, ev *storage.Event)
	}{
		{"NULInDocString", nil, func(r *storage.Record, _ *storage.Event) { r.Doc = map[string]any{"name": nul} }},
		{"NULInChange", nil, func(_ *storage.Record, ev *storage.Event) {
			ev.Changes = []storage.Change{{Path: "/name", Op: "replace", Old: "x", New: nul}}
		}},
		{"NULInKeyValue", nil, func(r *storage.Record, _ *storage.Event) { r.Keys = []storage.Key{{Name: "/name", Value: nul}} }},
		{"InvalidUTF8InEventActor", nil, func(_ *storage.Record, ev *storage.Event) { ev.Actor = "\xff" }},
		{"DocOverTheSizeLimit", []postgres.Option{postgres.WithMaxRecordBytes(1024)}, func(r *storage.Record, _ *storage.Event) {
			r.Doc = storagetest.UserDoc2K()
		}},
	}
	for _, tc := range cases {
		t.Run("Create"+tc.name, func(t *testing.T) {
			s, _ := openStore(t, tc.opts...)
			rec, ev := newUser("u1"), createEvent()
			tc.change(rec, &ev)
			assert.ErrorIs(t, s.Create(ctx, rec, ev), storage.ErrInvalid)
			_, err := s.Get(ctx, "user", "u1")
			assert.ErrorIs(t, err, storage.ErrNotFound)
		})
		t.Run("Update"+tc.name, func(t *testing.T) {
			s, _ := openStore(t, tc.opts...)
			require.NoError(t, s.Create(ctx, newUser("u1"), createEvent()))
			_, err := s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
				ev := &storage.Event{Time: t0.Add(time.Second), Kind: "update"}
				tc.change(rec, ev)
				return ev, nil
			})
			assert.ErrorIs(t, err, storage.ErrInvalid)
			got, err := s.Get(ctx, "user", "u1")
			require.NoError(t, err)
			assert.Equal(t, uint64(1), got.Version)
			assert.Equal(t, map[string]any{"name": "u1"}, got.Doc)
		})
	}
}

// TestDeadlockIsRetried builds a real deadlock between Update and an
// outside transaction. The outside transaction holds key k1 and waits for
// the row lock Update holds while its updater runs; then Update asks for
// k1 and closes the cycle. The outside transaction's deadlock_timeout is
// raised, so Update's backend is the one that finds the cycle and is
// aborted with 40P01, whatever the machine's load. With retries the update
// then goes through once the outside transaction ends.
func TestDeadlockIsRetried(t *testing.T) {
	ctx := context.Background()
	k1 := storage.Key{Name: "/email", Value: "k1@example.com"}

	cases := []struct {
		name    string
		retries int
		// check judges Update's error and the record after it.
		check func(t *testing.T, s *postgres.Store, err error)
	}{
		{"RetriedUpdateSucceeds", postgres.DefaultMaxRetries, func(t *testing.T, s *postgres.Store, err error) {
			require.NoError(t, err)
			got, err := s.Get(ctx, "user", "a")
			require.NoError(t, err)
			assert.Equal(t, uint64(2), got.Version)
			assert.Equal(t, []storage.Key{k1}, got.Keys)
		}},
		{"WithoutRetriesTheDeadlockIsReturned", 0, func(t *testing.T, s *postgres.Store, err error) {
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			assert.Equal(t, "40P01", pgErr.Code)
			got, err := s.Get(ctx, "user", "a")
			require.NoError(t, err)
			assert.Equal(t, uint64(1), got.Version)
			assert.Empty(t, got.Keys)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, schema := openStore(t, postgres.WithMaxRetries(tc.retries))
			require.NoError(t, s.Create(ctx, newUser("a"), createEvent()))
			require.NoError(t, s.Create(ctx, newUser("other"), createEvent()))

			outside := connect(t, schema)
			var super string
			require.NoError(t, outside.QueryRow(ctx, `SHOW is_superuser`).Scan(&super))
			if super != "on" {
				t.Skip("raising deadlock_timeout for one transaction needs a superuser")
			}
			tx, err := outside.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback(ctx)
			_, err = tx.Exec(ctx, `SET LOCAL deadlock_timeout = '1min'`)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `INSERT INTO keys (type, name, value, id) VALUES ('user', $1, $2, 'other')`, k1.Name, k1.Value)
			require.NoError(t, err)

			locked, proceed := make(chan struct{}), make(chan struct{})
			var calls atomic.Int32
			done := make(chan error, 1)
			go func() {
				_, err := s.Update(ctx, "user", "a", func(rec *storage.Record) (*storage.Event, error) {
					if calls.Add(1) == 1 {
						close(locked) // the row lock is held while the updater runs
						<-proceed
					}
					rec.Keys = []storage.Key{k1}
					return &storage.Event{Time: t0.Add(time.Second), Kind: "update"}, nil
				})
				done <- err
			}()

			<-locked
			outsideDone := make(chan error, 1)
			go func() {
				_, err := tx.Exec(ctx, `SELECT 1 FROM records WHERE type = 'user' AND id = 'a' FOR UPDATE`)
				outsideDone <- err
			}()
			waitForLockWaiter(t, connect(t, schema))
			close(proceed)

			select {
			case err := <-outsideDone:
				require.NoError(t, err, "the outside transaction must not be the deadlock's victim")
			case <-time.After(30 * time.Second):
				t.Fatal("the outside transaction stayed blocked")
			}
			require.NoError(t, tx.Rollback(ctx))
			select {
			case err := <-done:
				tc.check(t, s, err)
			case <-time.After(30 * time.Second):
				t.Fatal("Update did not return")
			}
		})
	}
}

// waitForLockWaiter returns once some other backend of the database waits
// for a lock.
func waitForLockWaiter(tb testing.TB, conn *pgx.Conn) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		require.NoError(tb, conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&n))
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatal("no backend started waiting for a lock")
}

// jsonb stores numbers as numeric: digits survive, spelling may not. The
// package documentation promises exactly this.
func TestNumbersKeepTheirValueInJSONBSpelling(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	cases := []struct {
		name     string
		in, want json.Number
	}{
		{"TrailingZeroStays", "1.0", "1.0"},
		{"ManyDigitsStay", "3.141592653589793238462643383279502884197", "3.141592653589793238462643383279502884197"},
		{"ExponentIsWrittenOut", "1e2", "100"},
		{"NegativeExponentIsWrittenOut", "2.5E-3", "0.0025"},
		{"NegativeZeroIsZero", "-0", "0"},
	}
	doc := map[string]any{}
	for _, tc := range cases {
		doc[tc.name] = tc.in
	}
	rec := newUser("u1")
	rec.Doc = doc
	require.NoError(t, s.Create(ctx, rec, createEvent()))
	got, err := s.Get(ctx, "user", "u1")
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, got.Doc[tc.name])
		})
	}
}

func TestTimesKeepNanosecondsAroundTheEpoch(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	times := []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1815, 12, 10, 8, 0, 0, 1, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC),
	}
	for i, want := range times {
		t.Run(want.Format(time.RFC3339Nano), func(t *testing.T) {
			rec := newUser("u" + strconv.Itoa(i))
			rec.Created = want
			ev := createEvent()
			ev.Time = want.Add(1)
			require.NoError(t, s.Create(ctx, rec, ev))
			got, err := s.Get(ctx, "user", rec.ID)
			require.NoError(t, err)
			assert.Equal(t, want, got.Created)
			assert.Equal(t, want.Add(1), got.Updated)
		})
	}
}
