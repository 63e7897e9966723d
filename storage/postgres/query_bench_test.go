package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
)

func benchSizes() []int {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

func listID(i int) string    { return fmt.Sprintf("u%08d", i) }
func listEmail(i int) string { return fmt.Sprintf("user%08d@example.com", i) }

// listStore opens a store holding n records, each with a unique /email
// key, written server-side in one statement per table.
func listStore(b *testing.B, n int) *postgres.Store {
	b.Helper()
	s, schema := openStore(b)
	conn := connect(b, schema)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO records (type, id, version, created, created_nanos, updated, updated_nanos, state, doc)
		SELECT 'user', 'u' || lpad(i::text, 8, '0'), 1, now(), 0, now(), 0, 'active',
			jsonb_build_object('email', 'user' || lpad(i::text, 8, '0') || '@example.com', 'n', i)
		FROM generate_series(0, $1 - 1) AS i`,
		`INSERT INTO keys (type, name, value, id)
		SELECT 'user', '/email', 'user' || lpad(i::text, 8, '0') || '@example.com', 'u' || lpad(i::text, 8, '0')
		FROM generate_series(0, $1 - 1) AS i`,
	} {
		_, err := conn.Exec(ctx, q, n)
		require.NoError(b, err)
	}
	_, err := conn.Exec(ctx, `ANALYZE records; ANALYZE keys`)
	require.NoError(b, err)
	return s
}

// BenchmarkList measures List against n records: eq on a unique attribute
// (answered from the key index) beside Find, its baseline, and a page of
// 100 by cursor (answered from the (type, id) index). Neither should grow
// with n beyond the log of an index.
//
// Both sizes are loaded first and run side by side within each case, so
// that they see the same load on a shared machine.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	stores := map[int]*postgres.Store{}
	for _, n := range benchSizes() {
		stores[n] = listStore(b, n)
	}
	for _, n := range benchSizes() {
		s := stores[n]
		b.Run("find-baseline/records="+strconv.Itoa(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				want := (i * 7919) % n
				i++
				rec, err := s.Find(ctx, "user", storage.Key{Name: "/email", Value: listEmail(want)})
				if err != nil || rec.ID != listID(want) {
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
				email := listEmail(want)
				f := storage.Filter{Op: storage.Eq, Path: "/email", Value: email, Key: &storage.Key{Name: "/email", Value: email}}
				page, err := s.List(ctx, storage.Query{Type: "user", Filter: &f})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Records) != 1 || page.Records[0].ID != listID(want) {
					b.Fatalf("listed %d records, want %s", len(page.Records), listID(want))
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
			}
		})
	}
}

// BenchmarkChanges reads a feed of 10,000 events in pages of 1,000, beside
// BenchmarkRawFeedRead, the same rows selected and scanned without
// decoding.
func BenchmarkChanges(b *testing.B) {
	const events = 10_000
	s, _ := feedStore(b, events)
	ctx := context.Background()
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
	_, schema := feedStore(b, events)
	conn := connect(b, schema)
	ctx := context.Background()
	for b.Loop() {
		rows, err := conn.Query(ctx, `SELECT pos, type, id, version, time, time_nanos, kind, actor, client, changes::text FROM feed ORDER BY pos`)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		rows.Close()
		if got != events {
			b.Fatalf("read %d events", got)
		}
	}
}

func feedStore(b *testing.B, n int) (*postgres.Store, string) {
	b.Helper()
	s, schema := openStore(b)
	conn := connect(b, schema)
	_, err := conn.Exec(context.Background(), `
		INSERT INTO feed (pos, type, id, version, time, time_nanos, kind, actor, client, changes)
		SELECT i, 'user', 'u' || lpad((i % 100)::text, 8, '0'), i / 100 + 1, now(), 0, 'update', 'bench', 'app',
			jsonb_build_array(jsonb_build_object('path', '/loginCount', 'op', 'replace', 'old', i, 'new', i + 1),
				jsonb_build_object('path', '/displayName', 'op', 'replace', 'old', 'Ada', 'new', 'Ada L'))
		FROM generate_series(1, $1) AS i`, n)
	require.NoError(b, err)
	return s, schema
}
