//go:build !linux

package adaptertest

import "time"

// ThreadCPU reports that this platform's thread CPU time is not read.
func ThreadCPU() (time.Duration, bool) { return 0, false }
