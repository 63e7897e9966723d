package update

import "context"

// WithoutTelemetry builds an engine with its instrumentation switched off
// entirely, the baseline the telemetry benchmarks judge the default
// against.
func WithoutTelemetry() Option { return func(o *options) { o.noTelemetry = true } }

// TelemetryCall is what the telemetry adds to one Apply that changed
// something: the span's start and end and the metrics.
func (e *Engine) TelemetryCall(ctx context.Context, res *Result) {
	ctx, span := e.tel.begin(ctx, "apply", "user")
	e.tel.end(ctx, span, "apply", "user", res, nil)
}

// TelemetryOn reports whether the engine starts spans and records metrics.
func (e *Engine) TelemetryOn() (tracing, metering bool) {
	if e.tel == nil {
		return false, false
	}
	return e.tel.tracer != nil, e.tel.metered
}
