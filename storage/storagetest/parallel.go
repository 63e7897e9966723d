package storagetest

import (
	"sync"
	"sync/atomic"
	"time"
)

// InParallel makes n calls of fn from clients goroutines, goroutine g
// calling fn(g), and returns the time they took together and the first
// error any call returned; a goroutine stops at its first error.
// Benchmarks that compare two ways of writing under concurrency alternate
// rounds of it, so that both see the same load on a shared machine.
func InParallel(clients, n int, fn func(g int) error) (time.Duration, error) {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
		start    = time.Now()
	)
	for g := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := fn(g); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}
