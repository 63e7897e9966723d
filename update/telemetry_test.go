package update_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
	"github.com/idupdate/idupdate/verify"
)

// TestTelemetry runs Create, Apply and Confirm with an SDK installed and
// checks the spans (outcome and error code, never a value) and the
// metrics (calls by outcome, codes dispatched and throttled, locked
// confirmations, store latency).
func TestTelemetry(t *testing.T) {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	sent := &verify.Recorder{}
	eng, err := update.New(memory.New(), examplePolicy(), update.WithDispatcher(sent),
		update.WithTracerProvider(tp), update.WithMeterProvider(mp))
	require.NoError(t, err)

	_, err = eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: map[string]any{"familyName": "Park", "email": "matt@example.com"}})
	require.NoError(t, err)
	_, err = eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: map[string]any{"email": "secret.value@example.org"}})
	require.NoError(t, err)
	_, err = eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: map[string]any{"email": "secret.value@example.org"}})
	require.NoError(t, err, "the same value again: no new code (throttled: pending)")
	_, err = eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: map[string]any{"age": -1}})
	require.Error(t, err)
	for range 6 {
		_, err = eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Path: "/email", Code: "WRONG1"})
		require.Error(t, err)
	}
	assert.Equal(t, update.Locked, update.ErrorCode(err), "the fifth wrong code locks the challenge")

	t.Run("Spans", func(t *testing.T) {
		ended := spans.Ended()
		require.Len(t, ended, 10)
		names := map[string]int{}
		for _, s := range ended {
			names[s.Name()]++
			for _, kv := range s.Attributes() {
				assert.NotContains(t, kv.Value.Emit(), "example", "span %s carries a value: %s", s.Name(), kv.Key)
				assert.NotContains(t, kv.Value.Emit(), "WRONG1")
			}
		}
		assert.Equal(t, map[string]int{"idupdate.create": 1, "idupdate.apply": 3, "idupdate.confirm": 6}, names)
		last := ended[len(ended)-1]
		assert.Contains(t, last.Attributes(), attribute.String("idupdate.error_code", string(update.Locked)))
		assert.Contains(t, last.Attributes(), attribute.String("idupdate.outcome", "error"))
		assert.Contains(t, ended[1].Attributes(), attribute.String("idupdate.outcome", "modified"))
	})

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	sums := map[string]int64{}
	var storeCalls uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name+attrString(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					storeCalls += p.Count
				}
			}
		}
	}
	t.Run("Metrics", func(t *testing.T) {
		assert.Equal(t, map[string]int64{
			"idupdate.engine.operations{code=,op=create,outcome=modified,type=user}":            1,
			"idupdate.engine.operations{code=,op=apply,outcome=modified,type=user}":             1,
			"idupdate.engine.operations{code=,op=apply,outcome=unchanged,type=user}":            1,
			"idupdate.engine.operations{code=invalid,op=apply,outcome=error,type=user}":         1,
			"idupdate.engine.operations{code=code_mismatch,op=confirm,outcome=error,type=user}": 4,
			"idupdate.engine.operations{code=locked,op=confirm,outcome=error,type=user}":        2,
			"idupdate.engine.codes.dispatched{channel=email}":                                   2,
			"idupdate.engine.codes.throttled{reason=pending}":                                   1,
			"idupdate.engine.confirm.locked{op=confirm,type=user}":                              2,
		}, sums)
		assert.EqualValues(t, 1+3+6, storeCalls, "one store call per create, apply and confirm (the invalid apply is refused inside the transaction)")
	})
}

func attrString(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, fmt.Sprintf("%s=%s", kv.Key, kv.Value.Emit()))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// BenchmarkTelemetry is BenchmarkApplyMerge three ways in one run: the
// engine with its instrumentation switched off (the baseline), with the
// OpenTelemetry defaults (no provider installed, what a library user
// gets), and with an SDK recording everything.
func BenchmarkTelemetry(b *testing.B) {
	sdk := []update.Option{
		update.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))),
		update.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
	}
	for _, bc := range []struct {
		name string
		opts []update.Option
	}{
		{"Baseline", []update.Option{update.WithoutTelemetry()}},
		{"NoProvider", nil},
		{"SDK", sdk},
	} {
		b.Run(bc.name, func(b *testing.B) {
			eng, err := update.New(memory.New(), updatetest.BenchPolicy(), bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
				b.Fatal(err)
			}
			lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				patch, err := merge.Decode(updatetest.BenchPatches[i%2], lim)
				if err != nil {
					b.Fatal(err)
				}
				res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
				if err != nil || !res.Modified {
					b.Fatalf("apply: %v", err)
				}
			}
		})
	}
}

// BenchmarkTelemetryInterleaved measures Apply without instrumentation
// and with the OpenTelemetry defaults (no provider installed) in the same
// loop, alternating which goes first, so that load on the machine falls
// on both alike. It reports each one's mean ns per Apply and the overhead
// in percent; the budget is 3%. On a busy machine a few preemptions of
// several milliseconds can land on either side and swamp a mean of
// microsecond calls, so it reports the medians of the single calls and
// their overhead too, which such outliers do not move.
func BenchmarkTelemetryInterleaved(b *testing.B) {
	engines := make([]*update.Engine, 2)
	for i, opts := range [][]update.Option{{update.WithoutTelemetry()}, nil} {
		eng, err := update.New(memory.New(), updatetest.BenchPolicy(), opts...)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
			b.Fatal(err)
		}
		engines[i] = eng
	}
	lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
	var spent [2]time.Duration
	samples := [2][]time.Duration{make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			which := (i + k) % 2
			patch, err := merge.Decode(updatetest.BenchPatches[i%2], lim)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			res, err := engines[which].Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
			took := time.Since(start)
			spent[which] += took
			samples[which] = append(samples[which], took)
			if err != nil || !res.Modified {
				b.Fatalf("apply: %v", err)
			}
		}
	}
	base, with := float64(spent[0].Nanoseconds())/float64(b.N), float64(spent[1].Nanoseconds())/float64(b.N)
	b.ReportMetric(base, "baseline-ns/apply")
	b.ReportMetric(with, "noprovider-ns/apply")
	b.ReportMetric(100*(with-base)/base, "overhead-%")
	b.StopTimer()
	medBase, medWith := float64(median(samples[0])), float64(median(samples[1]))
	b.ReportMetric(medBase, "baseline-median-ns")
	b.ReportMetric(medWith, "noprovider-median-ns")
	b.ReportMetric(100*(medWith-medBase)/medBase, "median-overhead-%")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkTelemetryCall is the instrumentation alone with no provider
// installed: what the OpenTelemetry defaults add to each Apply.
func BenchmarkTelemetryCall(b *testing.B) {
	eng, err := update.New(memory.New(), updatetest.BenchPolicy())
	if err != nil {
		b.Fatal(err)
	}
	res := &update.Result{Modified: true}
	b.ReportAllocs()
	for b.Loop() {
		eng.TelemetryCall(ctx, res)
	}
}

// TestTelemetryProviders checks which providers New takes as installed:
// given ones, each on its own, but not the unset globals or no-op
// providers, with which the instrumentation costs no allocation.
func TestTelemetryProviders(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	for _, tc := range []struct {
		name              string
		opts              []update.Option
		tracing, metering bool
	}{
		{"Defaults", nil, false, false},
		{"Noop", []update.Option{update.WithTracerProvider(tracenoop.NewTracerProvider()), update.WithMeterProvider(metricnoop.NewMeterProvider())}, false, false},
		{"TracerOnly", []update.Option{update.WithTracerProvider(tp)}, true, false},
		{"MeterOnly", []update.Option{update.WithMeterProvider(mp)}, false, true},
		{"Both", []update.Option{update.WithTracerProvider(tp), update.WithMeterProvider(mp)}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng, err := update.New(memory.New(), updatetest.BenchPolicy(), tc.opts...)
			require.NoError(t, err)
			tracing, metering := eng.TelemetryOn()
			assert.Equal(t, tc.tracing, tracing, "tracing")
			assert.Equal(t, tc.metering, metering, "metering")
			before := len(spans.Ended())
			_, err = eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()})
			require.NoError(t, err)
			if tc.tracing {
				assert.Len(t, spans.Ended(), before+1, "the create's span")
			} else {
				assert.Len(t, spans.Ended(), before, "no span")
			}
			if !tc.tracing && !tc.metering {
				res := &update.Result{Modified: true}
				assert.Zero(t, testing.AllocsPerRun(100, func() { eng.TelemetryCall(ctx, res) }))
			}
		})
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	var ops int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == update.MetricOperations {
				for _, p := range d.DataPoints {
					ops += p.Value
				}
			}
		}
	}
	assert.EqualValues(t, 2, ops, "the creates of MeterOnly and Both")
}

// TestTelemetryGlobalProviders checks that providers installed as the
// OpenTelemetry globals before New are used. It runs itself in a child
// process, since installing a global cannot be undone.
func TestTelemetryGlobalProviders(t *testing.T) {
	if os.Getenv("IDUPDATE_TELEMETRY_GLOBAL_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTelemetryGlobalProviders$", "-test.count=1")
		cmd.Env = append(os.Environ(), "IDUPDATE_TELEMETRY_GLOBAL_CHILD=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "PASS")
		return
	}
	before, err := update.New(memory.New(), updatetest.BenchPolicy())
	require.NoError(t, err)
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))
	after, err := update.New(memory.New(), updatetest.BenchPolicy())
	require.NoError(t, err)

	tracing, metering := before.TelemetryOn()
	assert.False(t, tracing || metering, "an engine built before the globals were installed reports nothing")
	tracing, metering = after.TelemetryOn()
	assert.True(t, tracing && metering, "an engine built after uses them")
	_, err = after.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()})
	require.NoError(t, err)
	assert.Len(t, spans.Ended(), 1)
}
