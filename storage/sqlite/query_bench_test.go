package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

func benchSizes() []int {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// BenchmarkList measures List against files of n records, built as for
// BenchmarkFindByKey: eq on a unique attribute, answered from the key
// index, beside Find of the same key (its baseline); and a page of 100
// records by cursor, answered from the primary key. Neither should grow
// with n beyond the log of an index. The sizes run side by side within
// each case, so that both see the same load on a shared machine.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	stores := map[int]*sqlite.Store{}
	for _, n := range benchSizes() {
		stores[n] = openStore(b, benchFile(b, n))
	}
	for _, n := range benchSizes() {
		s := stores[n]
		b.Run("find-baseline/records="+strconv.Itoa(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				want := (i * 7919) % n
				i++
				rec, err := s.Find(ctx, "user", storage.Key{Name: "/email", Value: emailOf(want)})
				if err != nil || rec.ID != idOf(want) {
					b.Fatalf("find %d: %v", want, err)
				}
			}
		})
	}
	for _, n := range benchSizes() {
		s := stores[n]
		b.Run("eq-unique/records="+strconv.Itoa(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				want := (i * 7919) % n
				i++
				email := emailOf(want)
				f := storage.Filter{Op: storage.Eq, Path: "/email", Value: email, Key: &storage.Key{Name: "/email", Value: email}}
				page, err := s.List(ctx, storage.Query{Type: "user", Filter: &f})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Records) != 1 || page.Records[0].ID != idOf(want) {
					b.Fatalf("listed %d records, want %s", len(page.Records), idOf(want))
				}
			}
		})
	}
	for _, n := range benchSizes() {
		s := stores[n]
		b.Run("page100-by-cursor/records="+strconv.Itoa(n), func(b *testing.B) {
			q := storage.Query{Type: "user", Limit: 100}
			for b.Loop() {
				page, err := s.List(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Records) != 100 {
					b.Fatalf("page of %d", len(page.Records))
				}
				q.After = page.Next
				if n-len(page.Records) < 100 || q.After == "" {
					q.After = ""
				}
			}
		})
	}
}

// BenchmarkChanges reads a feed of 10,000 events in pages of 1,000, beside
// BenchmarkRawFeedRead, the same rows selected and scanned without
// decoding.
func BenchmarkChanges(b *testing.B) {
	const events = 10_000
	s, _ := feedFile(b, events)
	ctx := context.Background()
	defer threadCPU(b)()
	for b.Loop() {
		var after uint64
		got := 0
		for {
			es, next, err := s.Changes(ctx, after, storage.MaxFeedLimit)
			if err != nil {
				b.Fatal(err)
			}
			if len(es) == 0 {
				break
			}
			got += len(es)
			after = next
		}
		if got != events {
			b.Fatalf("read %d events", got)
		}
	}
}

// BenchmarkRawFeedRead is the baseline of BenchmarkChanges.
func BenchmarkRawFeedRead(b *testing.B) {
	const events = 10_000
	s, path := feedFile(b, events)
	require.NoError(b, s.Close())
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	for b.Loop() {
		rows, err := db.Query(`SELECT pos, type, id, version, time, kind, actor, client, changes FROM events WHERE trimmed IS NULL ORDER BY pos`)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rows.Next() {
			var (
				pos, version                   int64
				typ, id, at, kind, actor, clnt string
				changes                        sql.NullString
			)
			if err := rows.Scan(&pos, &typ, &id, &version, &at, &kind, &actor, &clnt, &changes); err != nil {
				b.Fatal(err)
			}
			got++
		}
		rows.Close()
		if got != events {
			b.Fatalf("read %d events", got)
		}
	}
}

// feedFile returns a store whose feed holds n update events of 100
// records, each listing two changes.
func feedFile(b *testing.B, n int) (*sqlite.Store, string) {
	path := filepath.Join(b.TempDir(), "feed.db")
	s := openStore(b, path)
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(b, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	require.NoError(b, err)
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO events (type, id, version, time, kind, actor, client, changes) VALUES ('user', ?, ?, ?, 'update', 'bench', 'app', ?)`)
	require.NoError(b, err)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	for i := range n {
		_, err := ins.Exec(idOf(i%100), i/100+1, now,
			`[{"path":"/loginCount","op":"replace","old":`+strconv.Itoa(i)+`,"new":`+strconv.Itoa(i+1)+`},{"path":"/displayName","op":"replace","old":"Ada","new":"Ada L"}]`)
		require.NoError(b, err)
	}
	require.NoError(b, tx.Commit())
	return s, path
}
