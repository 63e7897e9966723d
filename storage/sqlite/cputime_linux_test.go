package sqlite_test

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time, user and system, the calling thread has
// used. Benchmarks that lock their goroutine to its thread use it to time
// work apart from the time spent waiting for a CPU on a busy machine.
func threadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
