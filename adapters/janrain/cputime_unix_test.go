//go:build unix

package janrain_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system.
// On a shared machine it varies far less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
