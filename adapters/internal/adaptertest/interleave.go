package adaptertest

import (
	"runtime"
	"testing"
	"time"

	"github.com/idupdate/idupdate/internal/cputime"
)

// Step is one side of an interleaved benchmark: a name for its metrics and
// the work of one iteration. Run is given the iteration's number, so the
// two sides can make complementary changes (one sets a value, the other
// sets it back) and every call is a real change.
type Step struct {
	Name string
	Run  func(tb testing.TB, i int)
	// Prepare, when set, runs before Run on the first iteration and every
	// Batch iterations after it, with the benchmark's timer stopped, and
	// is in none of the figures: what the next Batch calls need but is not
	// their cost (tokens issued ahead of the requests that spend them).
	// Stopping the timer stops the world to read memory statistics, which
	// also costs the calls after it their warm allocation caches, so
	// prepare in batches.
	Prepare func(tb testing.TB, i int)
	// Batch is how many iterations one Prepare serves; 0 means 1.
	Batch int
}

// Interleave runs base and the measured steps in turn in one benchmark
// loop, so all of them see the same load on a shared machine. Every
// iteration calls each step once, in an order that changes from one
// iteration to the next (see orders): with one measured step, base goes
// first on even iterations and measured first on odd ones, and with more,
// no step always follows the same one. Besides the usual ns/op (the sum
// over the steps), it reports each step's wall time per call
// (<name>-ns/op) and each measured step's over base's (<measured>/<base>).
// Where the thread's CPU time can be read it reports the same from that
// (<name>-cpu-ns/op and <measured>/<base>-cpu): the goroutine is locked to
// its thread and every step runs on it, so time spent waiting for a CPU
// is left out. Work done on other threads (the background part of garbage
// collection) is in the wall figures only.
//
// With no measured step, base runs alone and is timed by ns/op only,
// without reading the clocks around every call.
//
// The Prepare of every step whose batch begins at an iteration runs
// before it, all in one stop of the timer.
func Interleave(b *testing.B, base Step, measured ...Step) {
	b.Helper()
	steps := append([]Step{base}, measured...)
	b.ReportAllocs()
	if len(measured) == 0 {
		for i := 0; b.Loop(); i++ {
			prepare(b, steps, i)
			base.Run(b, i)
		}
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall := make([]time.Duration, len(steps))
	cpu := make([]time.Duration, len(steps))
	order := orders(len(steps))
	_, cpuOK := cputime.Thread()
	for i := 0; b.Loop(); i++ {
		prepare(b, steps, i)
		for _, s := range order[i%len(order)] {
			start, startCPU := time.Now(), threadCPUNow()
			steps[s].Run(b, i)
			wall[s] += time.Since(start)
			cpu[s] += threadCPUNow() - startCPU
		}
	}
	report(b, steps, wall, "")
	if cpuOK {
		report(b, steps, cpu, "-cpu")
	}
}

// prepare runs, with the timer stopped once, the Prepare of every step
// whose batch begins at iteration i.
func prepare(b *testing.B, steps []Step, i int) {
	stopped := false
	for _, st := range steps {
		if st.Prepare == nil || i%max(st.Batch, 1) != 0 {
			continue
		}
		if !stopped {
			b.StopTimer()
			stopped = true
		}
		st.Prepare(b, i)
	}
	if stopped {
		b.StartTimer()
	}
}

// report reports each step's time per call and each measured step's over
// base's (steps[0]), the metric names ending in kind.
func report(b *testing.B, steps []Step, per []time.Duration, kind string) {
	n := float64(b.N)
	for s, st := range steps {
		b.ReportMetric(float64(per[s].Nanoseconds())/n, st.Name+kind+"-ns/op")
	}
	for s, st := range steps[1:] {
		b.ReportMetric(float64(per[s+1])/float64(per[0]), st.Name+"/"+steps[0].Name+kind)
	}
}

// orders are n orders of the steps 0..n-1 in which, for even n, every
// step runs in every position once and follows every other step once (a
// balanced Latin square): the first is 0, 1, n-1, 2, n-2, …, and each
// next one adds 1 to every step, modulo n. For n = 2 they are 0, 1 and
// 1, 0.
func orders(n int) [][]int {
	first := make([]int, n)
	for k, lo, hi := 1, 1, n-1; k < n; k++ {
		if k%2 == 1 {
			first[k], lo = lo, lo+1
		} else {
			first[k], hi = hi, hi-1
		}
	}
	out := make([][]int, n)
	for r := range out {
		out[r] = make([]int, n)
		for k, s := range first {
			out[r][k] = (s + r) % n
		}
	}
	return out
}

func threadCPUNow() time.Duration {
	d, _ := cputime.Thread()
	return d
}
