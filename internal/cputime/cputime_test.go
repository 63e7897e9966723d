package cputime_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/idupdate/idupdate/internal/cputime"
)

// TestThread checks that a thread busy for a while is seen to use CPU time,
// and that sleeping uses much less than it waits.
func TestThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := cputime.Thread()
	if !ok {
		t.Skip("thread CPU time is not read on " + runtime.GOOS)
	}
	x := 0
	for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	busy, _ := cputime.Thread()
	if busy-start < time.Millisecond {
		t.Fatalf("20ms of spinning (%d rounds) used %v of thread CPU time", x, busy-start)
	}
	time.Sleep(50 * time.Millisecond)
	slept, _ := cputime.Thread()
	if slept-busy > 25*time.Millisecond {
		t.Fatalf("a 50ms sleep used %v of thread CPU time", slept-busy)
	}
}
