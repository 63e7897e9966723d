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

// Interleave runs base and measured alternately in one benchmark loop: every
// iteration is one call of each, base first on even iterations and measured
// first on odd ones, so both see the same load on a shared machine and
// neither always follows the other. Besides the usual ns/op (the pair), it
// reports each side's wall time per call (<name>-ns/op) and their ratio
// (<measured>/<base>, measured time over base time). Where the thread's CPU
// time can be read it reports the same from that (<name>-cpu-ns/op and
// <measured>/<base>-cpu): the goroutine is locked to its thread and both
// sides run on it, so time spent waiting for a CPU is left out. Work done
// on other threads (the background part of garbage collection) is in the
// wall figures only.
func Interleave(b *testing.B, base, measured Step) {
	b.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu [2]time.Duration
	steps := [2]Step{base, measured}
	_, cpuOK := cputime.Thread()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		first := i % 2 // 0: base first
		for k := range 2 {
			s := (first + k) % 2
			if st := steps[s]; st.Prepare != nil && i%max(st.Batch, 1) == 0 {
				b.StopTimer()
				st.Prepare(b, i)
				b.StartTimer()
			}
			start, startCPU := time.Now(), threadCPUNow()
			steps[s].Run(b, i)
			wall[s] += time.Since(start)
			cpu[s] += threadCPUNow() - startCPU
		}
		i++
	}
	n := float64(b.N)
	ratio := measured.Name + "/" + base.Name
	for s, st := range steps {
		b.ReportMetric(float64(wall[s].Nanoseconds())/n, st.Name+"-ns/op")
	}
	b.ReportMetric(float64(wall[1])/float64(wall[0]), ratio)
	if cpuOK {
		for s, st := range steps {
			b.ReportMetric(float64(cpu[s].Nanoseconds())/n, st.Name+"-cpu-ns/op")
		}
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), ratio+"-cpu")
	}
}

func threadCPUNow() time.Duration {
	d, _ := cputime.Thread()
	return d
}
