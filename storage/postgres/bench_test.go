package postgres_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/storagetest"
)

// benchClients is how many goroutines update at once.
const benchClients = 8

// parallelism returns the b.SetParallelism argument that gives
// benchClients goroutines: RunParallel starts parallelism × GOMAXPROCS.
// When GOMAXPROCS does not divide benchClients the count is the nearest
// multiple below it, at least GOMAXPROCS.
func parallelism() (p, clients int) {
	procs := runtime.GOMAXPROCS(0)
	p = max(1, benchClients/procs)
	return p, p * procs
}

// benchShapes are the two loads: every client on a record of its own (no
// lock waits; measures throughput) and every client on one record (each
// update waits for the one before; measures the locked critical section).
var benchShapes = []struct {
	name   string
	shared bool
}{
	{"OwnRecord", false},
	{"OneRecord", true},
}

// benchStore opens a store with a pool large enough for every client and
// n records holding the 2 KB user document.
func benchStore(b *testing.B, n int) *postgres.Store {
	b.Helper()
	s, _ := openStore(b, postgres.WithMaxConns(int32(n)))
	for i := range n {
		rec := &storage.Record{Type: "user", ID: benchID(i), State: storage.Active, Doc: storagetest.UserDoc2K()}
		require.NoError(b, s.Create(context.Background(), rec, storage.Event{Time: time.Now(), Kind: "create"}))
	}
	return s
}

func benchID(i int) string { return "bench-" + strconv.Itoa(i) }

// clientID hands each RunParallel goroutine its record.
func clientID(next *atomic.Int64, shared bool) string {
	if shared {
		return benchID(0)
	}
	return benchID(int(next.Add(1) - 1))
}

// BenchmarkRawUpdate is the baseline for BenchmarkStoreUpdate: a bare
// locked read-modify-write written the plain way with pgx, through the
// same pool: BEGIN, SELECT doc ... FOR UPDATE, UPDATE with a pre-encoded
// document of the same size, COMMIT, each its own round trip. No
// decoding, no encoding, no keys, no event.
func BenchmarkRawUpdate(b *testing.B) {
	for _, shape := range benchShapes {
		b.Run(shape.name, func(b *testing.B) {
			p, clients := parallelism()
			s := benchStore(b, clients)
			pool := postgres.PoolOf(s)
			docs := [2][]byte{encodeDoc(b, "Ada", "Ada Lovelace"), encodeDoc(b, "Bea", "Bea Lovelace")}
			var next atomic.Int64

			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := clientID(&next, shape.shared)
				for i := 0; pb.Next(); i++ {
					if err := rawUpdate(context.Background(), pool, id, docs[i%2]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func rawUpdate(ctx context.Context, pool *pgxpool.Pool, id string, doc []byte) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var old []byte
	if err := tx.QueryRow(ctx, `SELECT doc FROM records WHERE type = 'user' AND id = $1 FOR UPDATE`, id).Scan(&old); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE records SET doc = $2 WHERE type = 'user' AND id = $1`, id, doc); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func encodeDoc(b *testing.B, given, display string) []byte {
	b.Helper()
	doc := storagetest.UserDoc2K()
	doc["givenName"], doc["displayName"] = given, display
	enc, err := json.Marshal(doc)
	require.NoError(b, err)
	return enc
}

// BenchmarkStoreUpdate is Store.Update changing three fields of the 2 KB
// document with an event listing the three changes: one decode, one
// encode, and two round trips (BEGIN with the locked reads, then the
// writes with COMMIT).
func BenchmarkStoreUpdate(b *testing.B) {
	for _, shape := range benchShapes {
		b.Run(shape.name, func(b *testing.B) {
			p, clients := parallelism()
			s := benchStore(b, clients)
			var next atomic.Int64

			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := clientID(&next, shape.shared)
				ctx := context.Background()
				for i := 0; pb.Next(); i++ {
					if _, err := s.Update(ctx, "user", id, changeThree(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// changeThree returns an updater that sets givenName, displayName and
// loginCount, copying the document's top level as the Updater contract
// asks.
func changeThree(i int) storage.Updater {
	given := [2]string{"Ada", "Bea"}[i%2]
	return func(rec *storage.Record) (*storage.Event, error) {
		doc := make(map[string]any, len(rec.Doc))
		for k, v := range rec.Doc {
			doc[k] = v
		}
		set := map[string]any{
			"givenName":   given,
			"displayName": given + " Lovelace",
			"loginCount":  json.Number(strconv.Itoa(i)),
		}
		changes := make([]storage.Change, 0, len(set))
		for k, v := range set {
			changes = append(changes, storage.Change{Path: "/" + k, Op: "replace", Old: doc[k], New: v})
			doc[k] = v
		}
		rec.Doc = doc
		return &storage.Event{Time: time.Now(), Kind: "update", Actor: "bench", Changes: changes}, nil
	}
}
