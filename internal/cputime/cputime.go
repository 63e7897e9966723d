// Package cputime reads the CPU time of the calling thread, for benchmarks
// that must tell work apart from time spent waiting for a CPU.
package cputime

import "time"

// Thread returns the CPU time, user and system, the calling OS thread has
// used, and false where the platform does not say. A benchmark that reads
// it locks its goroutine to its thread (runtime.LockOSThread) so that two
// readings measure the same thread. Work the runtime does on other threads
// for the caller, such as background garbage collection, is not counted.
func Thread() (time.Duration, bool) { return thread() }
