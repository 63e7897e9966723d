package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/idupdate/idupdate/examples/internal/shimconfig"
	"github.com/idupdate/idupdate/internal/tracelog"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// vendor is one adapter as the server mounts it: its own engine (with its
// own policy) over the shared store, its demo seeding and its routes.
type vendor struct {
	name     string
	eng      *update.Engine
	seed     func(context.Context, *update.Engine) error
	register func(*http.ServeMux)
}

// deps are what every engine shares.
type deps struct {
	store      storage.Store
	dispatcher verify.Dispatcher
	codeKey    []byte
	logger     *slog.Logger
	tracer     trace.TracerProvider // nil: the OpenTelemetry default
	meter      metric.MeterProvider // nil: the OpenTelemetry default
}

// engineOptions are the options every engine gets, then the adapter's own.
func (d deps) engineOptions(name string, extra ...update.Option) []update.Option {
	return append([]update.Option{
		update.WithDispatcher(d.dispatcher),
		update.WithCodeKey(d.codeKey),
		update.WithLogger(d.logger.With("vendor", name)),
		update.WithTracerProvider(d.tracer),
		update.WithMeterProvider(d.meter),
	}, extra...)
}

// buildVendors builds the adapters over one store (shimconfig.Build),
// each engine with the shared options of d.
func buildVendors(d deps, cfg shimconfig.Vendors) ([]vendor, error) {
	as, err := shimconfig.Build(d.store, cfg, d.logger, func(name string) []update.Option { return d.engineOptions(name) })
	if err != nil {
		return nil, err
	}
	vs := make([]vendor, len(as))
	for i, a := range as {
		vs[i] = vendor{name: a.Name, eng: a.Engine, seed: a.Seed, register: a.Register}
	}
	return vs, nil
}

// seedDemo loads every vendor's demo records that are not there yet.
func seedDemo(ctx context.Context, vs []vendor) error {
	for _, v := range vs {
		if err := v.seed(ctx, v.eng); err != nil {
			return fmt.Errorf("demo data for %s (a -config without the demo clients needs -demo=false): %w", v.name, err)
		}
	}
	return nil
}

// newMux mounts every vendor's routes, /healthz and /readyz on one mux.
func newMux(vs []vendor, h *health) *http.ServeMux {
	mux := http.NewServeMux()
	for _, v := range vs {
		v.register(mux)
	}
	h.register(mux)
	return mux
}

// requestIDHeader carries the request id in and out; the adapters put the
// same header's value into their error bodies.
const requestIDHeader = "X-Request-Id"

// logRequests logs one line per request: method, path (without the query,
// which may carry a PKCE code_verifier), status, duration, request id and
// trace id. Bodies and headers are never logged: they hold credentials and
// codes. A request id the client sent is kept when short and plain;
// otherwise a fresh one replaces it, so the log line and the answer always
// agree. Each request gets a server span (a child of the caller's W3C
// traceparent, if any), and is counted in the metrics when m is not nil.
func logRequests(l *slog.Logger, tr *tracing, m *metrics, next http.Handler) http.Handler {
	l = tracelog.Logger(l)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !plainID(id) {
			id = newRequestID()
			r.Header.Set(requestIDHeader, id)
		}
		w.Header().Set(requestIDHeader, id)
		ctx := tr.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tr.tracer.Start(ctx, r.Method, serverSpan...)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		if span.IsRecording() {
			// The route is the mux pattern, never the path: paths hold ids.
			span.SetName(r.Method + " " + r.Pattern)
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", r.Pattern),
				attribute.Int("http.response.status_code", sw.status()), attribute.String("idupdate.request_id", id))
			if sw.status() >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status()))
			}
		}
		span.End()
		m.observe(r, sw.status(), took)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status()),
			slog.Duration("duration", took),
			slog.String("request_id", id),
		}
		// The logger adds trace_id from the span in r's context (see
		// newLogger), as it does on the adapters' own lines.
		l.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// serverSpan is the start option of every request's span.
var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// plainID reports whether id is 1–64 characters of A–Z a–z 0–9 - _ .
func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
