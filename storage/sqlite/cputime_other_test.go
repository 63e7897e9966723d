//go:build !linux

package sqlite_test

import "time"

// threadCPU reports that this platform's thread CPU time is not read.
func threadCPU() (time.Duration, bool) { return 0, false }
