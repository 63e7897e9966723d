package update

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// The engine reports through the OpenTelemetry API: a span per Apply,
// Create and Confirm, and the metrics below. Attributes name the
// operation, the record type, the outcome and the error code, never a
// value, an id or a code. With no provider installed (the OpenTelemetry
// defaults) the instruments are disabled and a call costs a few
// nanoseconds; see BenchmarkTelemetry.

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
// otel.GetTracerProvider(), which records nothing until an SDK is
// installed.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithMeterProvider sets where the engine's metrics go. The default is
// otel.GetMeterProvider(), which records nothing until an SDK is
// installed.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// telemetry holds the engine's tracer and instruments. A nil *telemetry
// reports nothing.
type telemetry struct {
	tracer     trace.Tracer
	ops        metric.Int64Counter
	dispatched metric.Int64Counter
	throttled  metric.Int64Counter
	locked     metric.Int64Counter
	storeTime  metric.Float64Histogram
	sets       sync.Map // opAttrs → metric.MeasurementOption
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentation)
	t := &telemetry{tracer: tp.Tracer(instrumentation)}
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
	if t == nil {
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
	if span.IsRecording() {
		span.SetAttributes(attribute.String("idupdate.outcome", a.outcome))
		if err != nil {
			span.SetAttributes(attribute.String("idupdate.error_code", a.code))
			span.SetStatus(codes.Error, a.code)
		}
	}
	span.End()
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
	if t == nil || !t.storeTime.Enabled(ctx) {
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
