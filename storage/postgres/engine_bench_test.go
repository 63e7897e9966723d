package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
)

// BenchmarkEngineApply is the engine's whole update path through
// PostgreSQL on the ~2 KB document, 8 clients at once: decoding a 3-field
// patch, checks, merge, validation, one Store.Update with its event. Judge
// it beside BenchmarkRawUpdate with the same shape: the target is at least
// 0.7× the raw throughput.
func BenchmarkEngineApply(b *testing.B) {
	for _, shape := range benchShapes {
		b.Run(shape.name, func(b *testing.B) {
			p, clients := parallelism()
			s := benchStore(b, clients)
			eng, err := update.New(s, updatetest.BenchPolicy())
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64

			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := clientID(&next, shape.shared)
				ctx := context.Background()
				for i := 0; pb.Next(); i++ {
					patch, err := merge.Decode(updatetest.BenchPatches[i%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID(id), Doc: patch}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkEngineVsRawParallel runs BenchmarkEngineApply and
// BenchmarkRawUpdate (OwnRecord) in alternation from the same number of
// goroutines, each goroutine on a record of its own: every round runs the
// same number of updates first as bare locked read-modify-writes, then
// through the engine. On a shared machine two separate benchmarks can see
// very different load; alternating gives both the same. One iteration is
// one update of each kind. It reports the wall time per update of each and
// the engine's throughput as a fraction of raw's (engine/raw, raw time
// over engine time). Run it against a server that syncs its commits to
// disk (fsync=on) to see the cost the commit mode decides; see "Commit
// cost and synchronous_commit" in the package documentation.
func BenchmarkEngineVsRawParallel(b *testing.B) {
	for _, clients := range []int{8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			// Records 0 … clients-1 are raw's, the next clients the engine's.
			s := benchStore(b, 2*clients)
			eng, err := update.New(s, updatetest.BenchPolicy())
			require.NoError(b, err)
			pool := postgres.PoolOf(s)
			docs := [2][]byte{encodeDoc(b, "Ada", "Ada Lovelace"), encodeDoc(b, "Bea", "Bea Lovelace")}
			ctx := context.Background()
			rawDone := make([]int, clients)
			raw := func(g int) error {
				rawDone[g]++
				return rawUpdate(ctx, pool, benchID(g), docs[rawDone[g]%2])
			}
			applied := make([]int, clients)
			apply := func(g int) error {
				patch, err := merge.Decode(updatetest.BenchPatches[applied[g]%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
				if err != nil {
					return err
				}
				applied[g]++
				id := benchID(clients + g)
				res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID(id), Doc: patch})
				if err == nil && !res.Modified {
					err = fmt.Errorf("apply to %s changed nothing", id)
				}
				return err
			}
			b.ReportAllocs()
			storagetest.EngineVsRawParallel(b, clients, raw, apply)
		})
	}
}
