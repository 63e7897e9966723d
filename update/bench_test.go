package update_test

import (
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/idupdate/idupdate/internal/cputime"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
)

// BenchmarkApplyMerge is the engine's whole update path on the memory
// store: bounded decoding of the patch bytes, checks, copy-on-write merge,
// validation of the touched fields, commit with its history event. Judge
// it against BenchmarkBaselineMergePatch, which only merges the same bytes.
func BenchmarkApplyMerge(b *testing.B) {
	eng, err := update.New(memory.New(), updatetest.BenchPolicy())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
		b.Fatal(err)
	}
	lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		patch, err := merge.Decode(updatetest.BenchPatches[i%2], lim)
		if err != nil {
			b.Fatal(err)
		}
		res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
		if err != nil || !res.Modified {
			b.Fatalf("apply: %v", err)
		}
	}
}

// BenchmarkBaselineMergePatch is jsonpatch.MergePatch on the same document
// and patch bytes: parse both, merge, serialize.
func BenchmarkBaselineMergePatch(b *testing.B) {
	docBytes, err := json.Marshal(storagetest.UserDoc2K())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := jsonpatch.MergePatch(docBytes, updatetest.BenchPatches[i%2])
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyMergeInterleaved runs BenchmarkApplyMerge's Apply and
// BenchmarkBaselineMergePatch's merge in one loop, alternating which goes
// first, so that load on a shared machine falls on both alike. It reports
// each one's wall time per operation and apply/baseline, the ratio the
// engine is judged by (at most 0.12). Where the thread's CPU time can be
// read it reports the same from CPU time (apply/baseline-cpu): the
// goroutine is locked to its thread, so time spent waiting for a CPU is
// left out, and so is background garbage collection on other threads, for
// both sides.
func BenchmarkApplyMergeInterleaved(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	eng, err := update.New(memory.New(), updatetest.BenchPolicy())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
		b.Fatal(err)
	}
	docBytes, err := json.Marshal(storagetest.UserDoc2K())
	if err != nil {
		b.Fatal(err)
	}
	lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
	apply := func(i int) {
		patch, err := merge.Decode(updatetest.BenchPatches[i%2], lim)
		if err != nil {
			b.Fatal(err)
		}
		res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
		if err != nil || !res.Modified {
			b.Fatalf("apply: %v", err)
		}
	}
	baseline := func(i int) {
		out, err := jsonpatch.MergePatch(docBytes, updatetest.BenchPatches[i%2])
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
	// The clocks are read around runs of a few operations, not each one:
	// reading the thread's CPU time is a system call, whose cost would
	// otherwise weigh more on the shorter side.
	const run = 16
	_, cpuOK := cputime.Thread()
	var wall, cpu [2]time.Duration // [0] apply, [1] baseline
	timed := func(which int, f func(int), from, to int) {
		start := time.Now()
		startCPU, _ := cputime.Thread()
		for i := from; i < to; i++ {
			f(i)
		}
		endCPU, _ := cputime.Thread()
		wall[which] += time.Since(start)
		cpu[which] += endCPU - startCPU
	}
	b.ReportAllocs()
	b.ResetTimer()
	for from := 0; from < b.N; from += run {
		to := min(from+run, b.N)
		if from/run%2 == 0 {
			timed(0, apply, from, to)
			timed(1, baseline, from, to)
		} else {
			timed(1, baseline, from, to)
			timed(0, apply, from, to)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(wall[0].Nanoseconds())/n, "apply-ns/op")
	b.ReportMetric(float64(wall[1].Nanoseconds())/n, "baseline-ns/op")
	b.ReportMetric(float64(wall[0])/float64(wall[1]), "apply/baseline")
	if cpuOK {
		b.ReportMetric(float64(cpu[0].Nanoseconds())/n, "apply-cpu-ns/op")
		b.ReportMetric(float64(cpu[1].Nanoseconds())/n, "baseline-cpu-ns/op")
		b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "apply/baseline-cpu")
	}
}

// benchPlural is a record whose /counters plural holds 200 keyed elements.
func benchPlural(b *testing.B) *update.Engine {
	eng, err := update.New(memory.New(), contentionPolicy())
	if err != nil {
		b.Fatal(err)
	}
	counters := make([]any, 200)
	for i := range counters {
		counters[i] = map[string]any{"id": json.Number(strconv.Itoa(i + 1)), "n": json.Number("0")}
	}
	if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "app",
		Doc: map[string]any{"counters": counters}}); err != nil {
		b.Fatal(err)
	}
	return eng
}

// BenchmarkApplyKeySelector replaces one member of a plural element named
// by its key ("/counters/[id=150]/n"): the selector is resolved inside the
// transaction. Judge it against BenchmarkApplyIndexPath, the same update
// by index.
func BenchmarkApplyKeySelector(b *testing.B) {
	benchApplyAt(b, "/counters/[id=150]/n")
}

// BenchmarkApplyIndexPath is BenchmarkApplyKeySelector's update by index.
func BenchmarkApplyIndexPath(b *testing.B) {
	benchApplyAt(b, "/counters/149/n")
}

func benchApplyAt(b *testing.B, path string) {
	eng := benchPlural(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app",
			Mode: update.Replace, Path: path, Doc: json.Number(strconv.Itoa(i + 1))})
		if err != nil || !res.Modified {
			b.Fatalf("apply: %v", err)
		}
	}
}

// BenchmarkApplyTenant is BenchmarkApplyMerge's update on a type with
// tenants by a grant limited to the record's tenant (the tenant checked
// inside the transaction, keys scoped), beside the same update on the
// same schema without tenants and an unlimited grant.
func BenchmarkApplyTenant(b *testing.B) {
	for _, tc := range []struct {
		name    string
		tenants bool
	}{{"baseline-no-tenants", false}, {"tenant-limited-grant", true}} {
		b.Run(tc.name, func(b *testing.B) {
			pol := updatetest.BenchPolicy()
			doc := storagetest.UserDoc2K()
			client := ""
			if tc.tenants {
				s := pol.Types["user"]
				s.Fields["/org"] = &update.Field{Type: update.TypeString, Required: true, Mutability: update.SetOnce}
				s.Tenant = &update.Tenancy{Path: "/org"}
				pol.Grants = map[string]update.Grant{"org-a": {Write: true, Create: true, Tenants: []string{"A"}}}
				doc["org"], client = "A", "org-a"
			}
			eng, err := update.New(memory.New(), pol)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: client, Doc: doc}); err != nil {
				b.Fatal(err)
			}
			lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				patch, err := merge.Decode(updatetest.BenchPatches[i%2], lim)
				if err != nil {
					b.Fatal(err)
				}
				res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: client, Doc: patch})
				if err != nil || !res.Modified {
					b.Fatalf("apply: %v", err)
				}
				i++
			}
		})
	}
}
