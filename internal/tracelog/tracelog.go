// Package tracelog puts the trace id of the active OpenTelemetry span on
// log lines.
//
// The adapters and the shim server log through loggers wrapped by Logger,
// so every line logged with a request's context names the trace the
// request belongs to (trace_id) beside its request id, and an operator can
// go from a log line to its trace and back.
package tracelog

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Key is the name of the attribute that holds the trace id.
const Key = "trace_id"

// Attr returns the trace_id attribute of the span in ctx, and false when
// ctx holds no span with a trace id.
func Attr(ctx context.Context) (slog.Attr, bool) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return slog.Attr{}, false
	}
	return slog.String(Key, sc.TraceID().String()), true
}

// Logger returns l logging through Handler. A logger that already does is
// returned as it is, so wrapping twice adds the id once.
func Logger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(handler); ok {
		return l
	}
	return slog.New(Handler(l.Handler()))
}

// Handler returns a handler that adds the trace_id attribute (Attr) to
// every record it passes to h whose context holds a span. Records logged
// without a context (slog's Info rather than InfoContext) have none. Under
// a group (WithGroup) the attribute lands in the group, as any attribute
// of the record does.
func Handler(h slog.Handler) slog.Handler {
	if t, ok := h.(handler); ok {
		return t
	}
	return handler{next: h}
}

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if a, ok := Attr(ctx); ok {
		r = r.Clone()
		r.AddAttrs(a)
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{next: h.next.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{next: h.next.WithGroup(name)}
}
