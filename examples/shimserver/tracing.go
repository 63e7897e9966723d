package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracing is the server's tracer: spans exported over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is
// set, else none. Either way the W3C traceparent of a request is honoured,
// so the log names the caller's trace.
type tracing struct {
	provider *sdktrace.TracerProvider // nil: nothing is exported
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	endpoint string
}

// newTracing sets up the exporter when an endpoint is configured. The
// other OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression)
// are read by the exporter itself.
func newTracing(ctx context.Context, getenv func(string) string) (*tracing, error) {
	t := &tracing{
		tracer: noop.NewTracerProvider().Tracer("shimserver"),
		prop:   propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != "" {
			endpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return t, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "idupdate-shimserver"))
	t.provider = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.tracer = t.provider.Tracer("github.com/idupdate/idupdate/examples/shimserver")
	t.endpoint = endpoint
	return t, nil
}

// tracerProvider is where the engines' spans go: the exporter's, or nil
// for the OpenTelemetry default.
func (t *tracing) tracerProvider() trace.TracerProvider {
	if t.provider == nil {
		return nil
	}
	return t.provider
}

// shutdown flushes the spans still buffered.
func (t *tracing) shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
