package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
)

// parallelClients are the numbers of goroutines the parallel benchmarks
// run, each updating a record of its own.
var parallelClients = []int{8, 32}

// parallelism returns the b.SetParallelism argument that starts clients
// goroutines (RunParallel starts parallelism × GOMAXPROCS), or the nearest
// multiple of GOMAXPROCS below it, at least GOMAXPROCS; and that count.
func parallelism(clients int) (p, n int) {
	procs := runtime.GOMAXPROCS(0)
	p = max(1, clients/procs)
	return p, p * procs
}

// newBenchRecords opens a store in a fresh file holding n records with the
// document storagetest.UserDoc2K, each with an email of its own, and
// returns the store and its path.
func newBenchRecords(b *testing.B, n int, opts ...sqlite.Option) (*sqlite.Store, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	s := openStore(b, path, opts...)
	for i := range n {
		doc := storagetest.UserDoc2K()
		email := fmt.Sprintf("user%d@example.com", i)
		doc["email"] = email
		rec := &storage.Record{Type: "user", ID: benchID(i), State: storage.Active, Doc: doc,
			Keys: []storage.Key{{Name: "/email", Value: email}}}
		require.NoError(b, s.Create(context.Background(), rec, storage.Event{Time: time.Now(), Kind: "create"}))
	}
	return s, path
}

func benchID(i int) string { return "u" + strconv.Itoa(i) }

// BenchmarkRawUpdateParallel is the baseline of BenchmarkEngineApplyParallel:
// goroutines each updating a record of their own with one bare
// read-modify-write transaction per update (BEGIN IMMEDIATE, read the
// document, write it back with the version bumped, COMMIT), through the
// same driver and pragmas as the Store. The transactions share one
// connection, as the Store's writes do; more connections would only add
// SQLITE_BUSY waits, since SQLite admits one writer at a time.
func BenchmarkRawUpdateParallel(b *testing.B) {
	for _, mode := range syncModes {
		for _, clients := range parallelClients {
			p, n := parallelism(clients)
			b.Run(fmt.Sprintf("%s/clients=%d", mode.name, n), func(b *testing.B) {
				s, path := newBenchRecords(b, n, mode.opts...)
				require.NoError(b, s.Close())
				db, read, write := openRaw(b, path, mode.opts...)
				var next atomic.Int64

				b.SetParallelism(p)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					id := benchID(int(next.Add(1) - 1))
					ctx := context.Background()
					for pb.Next() {
						if err := rawUpdate(ctx, db, read, write, id); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.SetBytes(int64(docSize(b)))
			})
		}
	}
}

// openRaw opens the file at path as the raw baselines use it: one
// connection with the Store's writer settings, and the two statements of a
// bare read-modify-write.
func openRaw(b *testing.B, path string, opts ...sqlite.Option) (db *sql.DB, read, write *sql.Stmt) {
	b.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path, opts...))
	require.NoError(b, err)
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { _ = db.Close() })
	read, err = db.Prepare(`SELECT doc FROM records WHERE type = ? AND id = ?`)
	require.NoError(b, err)
	write, err = db.Prepare(`UPDATE records SET doc = ?, version = version + 1 WHERE type = ? AND id = ?`)
	require.NoError(b, err)
	return db, read, write
}

func rawUpdate(ctx context.Context, db *sql.DB, read, write *sql.Stmt, id string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var doc string
	if err := tx.Stmt(read).QueryRowContext(ctx, "user", id).Scan(&doc); err != nil {
		return err
	}
	if _, err := tx.Stmt(write).ExecContext(ctx, doc, "user", id); err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkEngineApplyParallel is BenchmarkEngineApply from goroutines each
// updating a record of its own: the engine's whole update path, with group
// commit gathering the goroutines' writes into shared transactions. Judge
// it beside BenchmarkRawUpdateParallel with the same sync mode and
// clients: the target at sync=FULL is at least twice the raw throughput.
//
// The maxbatch=1 variants turn group commit off (WithMaxBatch(1)), giving
// every update a transaction of its own, so that the gain of group commit
// itself shows beside it.
func BenchmarkEngineApplyParallel(b *testing.B) {
	for _, mode := range syncModes {
		for _, clients := range parallelClients {
			for _, maxBatch := range []int{sqlite.DefaultMaxBatch, 1} {
				p, n := parallelism(clients)
				name := fmt.Sprintf("%s/clients=%d", mode.name, n)
				if maxBatch == 1 {
					name += "/maxbatch=1"
				}
				b.Run(name, func(b *testing.B) {
					opts := append([]sqlite.Option{sqlite.WithMaxBatch(maxBatch)}, mode.opts...)
					engineApplyParallel(b, p, n, opts)
				})
			}
		}
	}
}

// engineApplyParallel runs one sub-benchmark of BenchmarkEngineApplyParallel:
// n goroutines (p × GOMAXPROCS), each on a record of its own.
func engineApplyParallel(b *testing.B, p, n int, opts []sqlite.Option) {
	s, _ := newBenchRecords(b, n, opts...)
	eng, err := update.New(s, updatetest.BenchPolicy())
	require.NoError(b, err)
	var next atomic.Int64
	batches, writes := sqlite.BatchCounts(s)

	b.SetParallelism(p)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := benchID(int(next.Add(1) - 1))
		ctx := context.Background()
		for i := 0; pb.Next(); i++ {
			patch, err := merge.Decode(updatetest.BenchPatches[i%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
			if err != nil {
				b.Error(err)
				return
			}
			res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID(id), Doc: patch})
			if err != nil || !res.Modified {
				b.Errorf("apply: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	gotBatches, gotWrites := sqlite.BatchCounts(s)
	b.ReportMetric(float64(gotWrites-writes)/float64(max(gotBatches-batches, 1)), "writes/commit")
	b.SetBytes(int64(docSize(b)))
}

// BenchmarkEngineVsRawParallel runs BenchmarkEngineApplyParallel and
// BenchmarkRawUpdateParallel in alternation, each on a file of its own:
// every round runs the same number of updates first through bare
// read-modify-write transactions, then through the engine, each from the
// same number of goroutines, each goroutine on a record of its own. On a
// shared machine two separate benchmarks can see very different load;
// alternating rounds of a few hundred updates gives both the same. One
// iteration is one update of each kind. It reports the wall time per
// update of each, the engine's throughput as a multiple of raw's
// (engine/raw, raw time over engine time; the target at sync=FULL is at
// least 2), and the writes per commit of the engine's group commit.
func BenchmarkEngineVsRawParallel(b *testing.B) {
	for _, mode := range syncModes {
		for _, clients := range parallelClients {
			b.Run(fmt.Sprintf("%s/clients=%d", mode.name, clients), func(b *testing.B) {
				s, _ := newBenchRecords(b, clients, mode.opts...)
				eng, err := update.New(s, updatetest.BenchPolicy())
				require.NoError(b, err)
				rawStore, rawPath := newBenchRecords(b, clients, mode.opts...)
				require.NoError(b, rawStore.Close())
				db, read, write := openRaw(b, rawPath, mode.opts...)
				ctx := context.Background()
				raw := func(g int) error { return rawUpdate(ctx, db, read, write, benchID(g)) }
				applied := make([]int, clients) // updates of goroutine g's record so far
				apply := func(g int) error {
					patch, err := merge.Decode(updatetest.BenchPatches[applied[g]%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
					if err != nil {
						return err
					}
					applied[g]++
					res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID(benchID(g)), Doc: patch})
					if err == nil && !res.Modified {
						err = fmt.Errorf("apply to %s changed nothing", benchID(g))
					}
					return err
				}
				batches, writes := sqlite.BatchCounts(s)
				storagetest.EngineVsRawParallel(b, clients, raw, apply)
				gotBatches, gotWrites := sqlite.BatchCounts(s)
				b.ReportMetric(float64(gotWrites-writes)/float64(max(gotBatches-batches, 1)), "writes/commit")
			})
		}
	}
}
