package update

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// The engine reports through the OpenTelemetry API: a span per Apply,
// Create and Confirm, and the metrics below. Attributes name the
// operation, the record type, the outcome and the error code, never a
// value, an id or a code.
//
// New looks once for providers: one given with WithTracerProvider or
// WithMeterProvider, or one installed with otel.SetTracerProvider or
// otel.SetMeterProvider before New is called. Without a tracer provider
// the engine starts no spans; without a meter provider it reads no clocks
// and calls no instruments; with neither, telemetry costs nothing. A no-op
// provider (the trace/noop and metric/noop packages) counts as none. A
// global provider installed after New is not seen by that engine: install
// providers first, as OpenTelemetry's setup guides do.

// instrumentation is the engine's tracer and meter name.
const instrumentation = "github.com/idupdate/idupdate/update"

// The engine's metric names.
const (
	// MetricOperations counts engine calls by op (apply, create,
	// confirm), type, outcome (modified, unchanged, error) and code (the
	// error code; empty unless the outcome is error).
	MetricOperations = "idupdate.engine.operations"
	// MetricCodesDispatched counts verification codes handed to the
	// dispatcher, by channel.
	MetricCodesDispatched = "idupdate.engine.codes.dispatched"
	// MetricCodesThrottled counts codes the send limiter held back, by
	// reason (cooldown, window, pending).
	MetricCodesThrottled = "idupdate.engine.codes.throttled"
	// MetricConfirmLocked counts confirmations refused because the
	// challenge is locked (attempts exhausted).
	MetricConfirmLocked = "idupdate.engine.confirm.locked"
	// MetricStoreDuration is the time store calls take, in seconds, by
	// op (get, update, create) and result (ok, error).
	MetricStoreDuration = "idupdate.engine.store.duration"
)

// WithTracerProvider sets where the engine's spans go. The default is
// otel.GetTracerProvider() as it is when New runs; with no provider
// installed the engine starts no spans.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithMeterProvider sets where the engine's metrics go. The default is
// otel.GetMeterProvider() as it is when New runs; with no provider
// installed the engine records no metrics and reads no clocks for them.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// telemetry holds the engine's tracer and instruments. A nil *telemetry
// reports nothing; so do a nil tracer (no spans) and metered false (no
// metrics).
type telemetry struct {
	tracer     trace.Tracer // nil: no spans
	metered    bool         // the instruments below are set
	ops        metric.Int64Counter
	dispatched metric.Int64Counter
	throttled  metric.Int64Counter
	locked     metric.Int64Counter
	storeTime  metric.Float64Histogram
	sets       sync.Map // opAttrs → metric.MeasurementOption
}

// The OpenTelemetry globals as they are before anything is installed:
// providers that delegate to nothing until otel.SetTracerProvider or
// otel.SetMeterProvider replaces them.
var (
	unsetTracerProvider = otel.GetTracerProvider()
	unsetMeterProvider  = otel.GetMeterProvider()
)

// installedTracerProvider returns tp, or the global provider if tp is nil,
// when it records anything; nil when it is the unset global or a no-op.
func installedTracerProvider(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return nil
	}
	if tp == unsetTracerProvider {
		return nil
	}
	return tp
}

// installedMeterProvider is installedTracerProvider for metrics.
func installedMeterProvider(mp metric.MeterProvider) metric.MeterProvider {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	switch mp.(type) {
	case metricnoop.MeterProvider, *metricnoop.MeterProvider:
		return nil
	}
	if mp == unsetMeterProvider {
		return nil
	}
	return mp
}

// newTelemetry returns the engine's telemetry for the providers, given or
// global, that are installed, or nil when none is.
func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	tp, mp = installedTracerProvider(tp), installedMeterProvider(mp)
	if tp == nil && mp == nil {
		return nil, nil
	}
	t := &telemetry{}
	if tp != nil {
		t.tracer = tp.Tracer(instrumentation)
	}
	if mp == nil {
		return t, nil
	}
	t.metered = true
	m := mp.Meter(instrumentation)
	var err error
	if t.ops, err = m.Int64Counter(MetricOperations, metric.WithDescription("Engine calls by operation, record type, outcome and error code."), metric.WithUnit("{call}")); err != nil {
		return nil, err
	}
	if t.dispatched, err = m.Int64Counter(MetricCodesDispatched, metric.WithDescription("Verification codes handed to the dispatcher."), metric.WithUnit("{code}")); err != nil {
		return nil, err
	}
	if t.throttled, err = m.Int64Counter(MetricCodesThrottled, metric.WithDescription("Verification codes the send limiter held back."), metric.WithUnit("{code}")); err != nil {
		return nil, err
	}
	if t.locked, err = m.Int64Counter(MetricConfirmLocked, metric.WithDescription("Confirmations refused because the challenge is locked."), metric.WithUnit("{call}")); err != nil {
		return nil, err
	}
	if t.storeTime, err = m.Float64Histogram(MetricStoreDuration, metric.WithDescription("Time store calls take."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)); err != nil {
		return nil, err
	}
	return t, nil
}

// begin starts the span of one engine call.
func (t *telemetry) begin(ctx context.Context, op, typ string) (context.Context, trace.Span) {
	if t == nil || t.tracer == nil {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, spanNames[op], internalSpan...)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("idupdate.op", op), attribute.String("idupdate.type", typ))
	}
	return ctx, span
}

// spanNames are the span names by op, built once.
var spanNames = map[string]string{"apply": "idupdate.apply", "create": "idupdate.create", "confirm": "idupdate.confirm"}

// internalSpan is the start option of every engine span, built once.
var internalSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}

// opAttrs is one combination of a measurement's attributes: a call's
// (op, type, outcome, code) or a store call's (op, result in outcome).
type opAttrs struct {
	store                  bool
	op, typ, outcome, code string
}

// end records the outcome of an engine call on its span and in the
// metrics, and ends the span.
func (t *telemetry) end(ctx context.Context, span trace.Span, op, typ string, res *Result, err error) {
	if t == nil {
		return
	}
	a := opAttrs{op: op, typ: typ, outcome: "modified"}
	switch {
	case err != nil:
		a.outcome, a.code = "error", string(ErrorCode(err))
	case res != nil && res.Unchanged:
		a.outcome = "unchanged"
	}
	if span != nil {
		if span.IsRecording() {
			span.SetAttributes(attribute.String("idupdate.outcome", a.outcome))
			if err != nil {
				span.SetAttributes(attribute.String("idupdate.error_code", a.code))
				span.SetStatus(codes.Error, a.code)
			}
		}
		span.End()
	}
	if !t.metered {
		return
	}
	if t.ops.Enabled(ctx) {
		t.ops.Add(ctx, 1, t.attrs(a))
	}
	if a.code == string(Locked) && t.locked.Enabled(ctx) {
		t.locked.Add(ctx, 1, t.attrs(opAttrs{op: op, typ: typ}))
	}
	if res == nil {
		return
	}
	for _, p := range res.Pending {
		switch {
		case p.Dispatched && t.dispatched.Enabled(ctx):
			t.dispatched.Add(ctx, 1, metric.WithAttributes(attribute.String("channel", string(p.Channel))))
		case p.Throttled != "" && t.throttled.Enabled(ctx):
			t.throttled.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", p.Throttled)))
		}
	}
}

// attrs returns the measurement option of a, built once per combination.
func (t *telemetry) attrs(a opAttrs) metric.MeasurementOption {
	if o, ok := t.sets.Load(a); ok {
		return o.(metric.MeasurementOption)
	}
	var kv []attribute.KeyValue
	switch {
	case a.store:
		kv = []attribute.KeyValue{attribute.String("op", a.op), attribute.String("result", a.outcome)}
	case a.outcome != "":
		kv = []attribute.KeyValue{attribute.String("op", a.op), attribute.String("type", a.typ),
			attribute.String("outcome", a.outcome), attribute.String("code", a.code)}
	default:
		kv = []attribute.KeyValue{attribute.String("op", a.op), attribute.String("type", a.typ)}
	}
	o, _ := t.sets.LoadOrStore(a, metric.WithAttributeSet(attribute.NewSet(kv...)))
	return o.(metric.MeasurementOption)
}

// storeStart returns the time a store call starts, or the zero time when
// no one records store latency.
func (t *telemetry) storeStart(ctx context.Context) time.Time {
	if t == nil || !t.metered || !t.storeTime.Enabled(ctx) {
		return time.Time{}
	}
	return time.Now()
}

// storeDone records a store call that began at start (see storeStart).
func (t *telemetry) storeDone(ctx context.Context, op string, start time.Time, err error) {
	if start.IsZero() {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.storeTime.Record(ctx, time.Since(start).Seconds(), t.attrs(opAttrs{store: true, op: op, outcome: result}))
}
