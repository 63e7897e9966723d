package sqlite_test

import (
	"context"
	"testing"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
)

// BenchmarkEngineApply is the engine's whole update path through SQLite on
// the ~2 KB document: decoding a 3-field patch, checks, merge, validation,
// one Store.Update with its event. Judge it beside BenchmarkRawUpdate with
// the same sync mode: the target is at least 0.7× the raw throughput.
func BenchmarkEngineApply(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, _ := newBenchRecord(b, mode.opts...)
			eng, err := update.New(s, updatetest.BenchPolicy())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			i := 0
			for b.Loop() {
				patch, err := merge.Decode(updatetest.BenchPatches[i%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
				if err != nil {
					b.Fatal(err)
				}
				i++
				res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
				if err != nil || !res.Modified {
					b.Fatalf("apply: %v", err)
				}
			}
			b.SetBytes(int64(docSize(b)))
		})
	}
}
