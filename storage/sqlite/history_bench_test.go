package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/cputime"
	"github.com/idupdate/idupdate/storage"
)

// BenchmarkHistory reads the whole history of one record of n events, in
// a file where 100 other records have as many events each, so the
// record's events are spread over the file as they are in use.
func BenchmarkHistory(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, filepath.Join(b.TempDir(), "history.db"))
			base := time.Now()
			for r := range 101 {
				rec := &storage.Record{Type: "user", ID: idOf(r), State: storage.Active, Doc: map[string]any{"n": "0"}}
				require.NoError(b, s.Create(ctx, rec, storage.Event{Time: base, Kind: "create"}))
			}
			for v := 1; v < n; v++ {
				for r := range 101 {
					_, err := s.Update(ctx, "user", idOf(r), func(rec *storage.Record) (*storage.Event, error) {
						rec.Doc = map[string]any{"n": fmt.Sprint(v)}
						return &storage.Event{Time: base.Add(time.Duration(v) * time.Second), Kind: "update",
							Changes: []storage.Change{{Path: "/n", Op: "replace", Old: fmt.Sprint(v - 1), New: fmt.Sprint(v)}}}, nil
					})
					require.NoError(b, err)
				}
			}
			defer threadCPU(b)()
			for b.Loop() {
				h, err := s.History(ctx, "user", idOf(50))
				if err != nil || len(h) != n {
					b.Fatalf("history: %d events, %v", len(h), err)
				}
			}
		})
	}
}

// threadCPU locks the benchmark's goroutine to its thread and returns a
// function, to defer, that reports the thread's CPU time per iteration
// (cpu-ns/op) where it can be read: on a busy machine it leaves out the
// time spent waiting for a CPU.
func threadCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := cputime.Thread()
	return func() {
		if end, _ := cputime.Thread(); ok && b.N > 0 {
			b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}
