package adaptertest

import (
	"time"

	"golang.org/x/sys/unix"
)

// ThreadCPU returns the CPU time, user and system, the calling thread has
// used, and whether the platform reports it. A benchmark that locks its
// goroutine to its thread uses it to time work apart from the time spent
// waiting for a CPU on a busy machine.
func ThreadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
