package storagetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// EngineVsRawParallel is the loop of a benchmark that compares engine
// updates with a raw baseline under concurrency. It makes b.N calls of raw
// and b.N calls of engine from clients goroutines, goroutine g calling
// fn(g), in alternating rounds of a few hundred calls each: on a shared
// machine two separate benchmarks can see very different load, while
// alternating rounds see the same. It reports the wall time per call of
// each (raw-ns/op, engine-ns/op) and the engine's throughput as a multiple
// of raw's (engine/raw: raw time over engine time).
func EngineVsRawParallel(b *testing.B, clients int, raw, engine func(g int) error) {
	b.Helper()
	round := max(25*clients, 200)
	var rawWall, engineWall time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(round, b.N-done)
		rawWall += inParallel(b, clients, n, raw)
		engineWall += inParallel(b, clients, n, engine)
		done += n
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(rawWall.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(float64(engineWall.Nanoseconds())/n, "engine-ns/op")
	b.ReportMetric(float64(rawWall)/float64(engineWall), "engine/raw")
}

// inParallel makes n calls of fn from clients goroutines and returns the
// time they took together. A call's error fails the benchmark, and its
// goroutine stops.
func inParallel(b *testing.B, clients, n int, fn func(g int) error) time.Duration {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		start = time.Now()
	)
	for g := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := fn(g); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
