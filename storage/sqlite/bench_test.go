package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/storage/storagetest"
)

// syncModes are the two settings worth comparing: FULL, the default, and
// NORMAL, which WithSynchronousNormal selects.
var syncModes = []struct {
	name string
	opts []sqlite.Option
}{
	{"sync=FULL", nil},
	{"sync=NORMAL", []sqlite.Option{sqlite.WithSynchronousNormal()}},
}

// newBenchRecord opens a store in a fresh file holding one record whose
// document is storagetest.UserDoc2K.
func newBenchRecord(b *testing.B, opts ...sqlite.Option) (*sqlite.Store, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	s := openStore(b, path, opts...)
	rec := &storage.Record{Type: "user", ID: "u1", State: storage.Active, Doc: storagetest.UserDoc2K(),
		Keys: []storage.Key{{Name: "/email", Value: "ada.lovelace@example.com"}}}
	require.NoError(b, s.Create(context.Background(), rec, storage.Event{Time: time.Now(), Kind: "create"}))
	return s, path
}

// BenchmarkRawUpdate is the floor for a correct read-modify-write of one
// record: an IMMEDIATE transaction that reads the document and writes the
// same bytes back with the version bumped, through the same driver and
// pragmas as the Store, with no decoding, keys or history.
func BenchmarkRawUpdate(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, path := newBenchRecord(b, mode.opts...)
			require.NoError(b, s.Close())
			db, read, write := openRaw(b, path, mode.opts...)
			ctx := context.Background()

			for b.Loop() {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				var doc string
				if err := tx.Stmt(read).QueryRow("user", "u1").Scan(&doc); err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Stmt(write).Exec(doc, "user", "u1"); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(docSize(b)))
		})
	}
}

// BenchmarkStoreUpdate is Store.Update on the same document, changing three
// fields and appending an event that lists them.
func BenchmarkStoreUpdate(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, _ := newBenchRecord(b, mode.opts...)
			ctx := context.Background()
			var n int
			update := func(rec *storage.Record) (*storage.Event, error) {
				n++
				doc := make(map[string]any, len(rec.Doc))
				for k, v := range rec.Doc {
					doc[k] = v
				}
				changes := []storage.Change{
					{Path: "/loginCount", Op: "replace", Old: doc["loginCount"], New: json.Number(strconv.Itoa(n))},
					{Path: "/lastLogin", Op: "replace", Old: doc["lastLogin"], New: time.Unix(int64(n), 0).UTC().Format(time.RFC3339)},
					{Path: "/displayName", Op: "replace", Old: doc["displayName"], New: fmt.Sprintf("Ada %d", n%10)},
				}
				for _, c := range changes {
					doc[c.Path[1:]] = c.New
				}
				rec.Doc = doc
				return &storage.Event{Time: time.Now(), Kind: "update", Actor: "bench", Changes: changes}, nil
			}
			for b.Loop() {
				if _, err := s.Update(ctx, "user", "u1", update); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(docSize(b)))
		})
	}
}

func docSize(tb testing.TB) int {
	raw, err := json.Marshal(storagetest.UserDoc2K())
	require.NoError(tb, err)
	return len(raw)
}

// BenchmarkFindByKey measures Find against a file of n records, each with
// two keys. The 1,000,000-record file takes a while to build and about
// 300 MB of disk, so it runs only when IDUPDATE_BENCH_LARGE=1. An index
// lookup grows with log n; a scan would grow a hundredfold.
func BenchmarkFindByKey(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run("records="+strconv.Itoa(n), func(b *testing.B) {
			s := openStore(b, benchFile(b, n))
			ctx := context.Background()
			i := 0
			for b.Loop() {
				// A large prime stride spreads lookups over the whole index.
				want := (i * 7919) % n
				i++
				rec, err := s.Find(ctx, "user", storage.Key{Name: "/email", Value: emailOf(want)})
				if err != nil {
					b.Fatal(err)
				}
				if rec.ID != idOf(want) {
					b.Fatalf("found %s, want %s", rec.ID, idOf(want))
				}
			}
		})
	}
}

func idOf(i int) string    { return fmt.Sprintf("u%08d", i) }
func emailOf(i int) string { return fmt.Sprintf("user%08d@example.com", i) }

// bulkLoad writes n records with their keys and create events straight into
// the migrated file at path, in one transaction with prepared statements;
// going through Create would cost one synced commit per record.
func bulkLoad(tb testing.TB, path string, n int) {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(tb, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	require.NoError(tb, err)
	defer tx.Rollback()
	rec, err := tx.Prepare(`INSERT INTO records (type, id, version, created, updated, state, doc, first, last) VALUES ('user', ?, 1, ?, ?, 'active', ?, ?5, ?5)`)
	require.NoError(tb, err)
	key, err := tx.Prepare(`INSERT INTO keys (type, name, value, id) VALUES ('user', ?, ?, ?)`)
	require.NoError(tb, err)
	ev, err := tx.Prepare(`INSERT INTO events (type, id, version, time, kind, actor, client) VALUES ('user', ?, 1, ?, 'create', '', '')`)
	require.NoError(tb, err)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	for i := range n {
		id, email := idOf(i), emailOf(i)
		doc := fmt.Sprintf(`{"email":%q,"crm":"CRM-%08d","n":%d}`, email, i, i)
		res, err := ev.Exec(id, now)
		require.NoError(tb, err)
		pos, err := res.LastInsertId()
		require.NoError(tb, err)
		_, err = rec.Exec(id, now, now, doc, pos)
		require.NoError(tb, err)
		_, err = key.Exec("/email", email, id)
		require.NoError(tb, err)
		_, err = key.Exec("ext:crm", fmt.Sprintf("CRM-%08d", i), id)
		require.NoError(tb, err)
	}
	require.NoError(tb, tx.Commit())
}
