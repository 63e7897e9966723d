package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/idupdate/idupdate/merge"
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
