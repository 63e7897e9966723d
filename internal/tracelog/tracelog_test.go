package tracelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/idupdate/idupdate/internal/tracelog"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(buf)
	for dec.More() {
		var m map[string]any
		require.NoError(t, dec.Decode(&m))
		out = append(out, m)
	}
	return out
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	log := tracelog.Logger(slog.New(slog.NewJSONHandler(&buf, nil)))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	want := span.SpanContext().TraceID().String()

	log.InfoContext(ctx, "with span", "request_id", "r1")
	log.InfoContext(context.Background(), "context without span")
	log.Info("no context")
	tracelog.Logger(log.With("vendor", "druid")).WarnContext(ctx, "wrapped twice, derived")

	raw := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, raw, 4)
	assert.Equal(t, 1, bytes.Count(raw[3], []byte(`"trace_id"`)), "the id appears once: %s", raw[3])
	got := lines(t, &buf)
	require.Len(t, got, 4)
	assert.Equal(t, want, got[0]["trace_id"])
	assert.Equal(t, "r1", got[0]["request_id"])
	assert.NotContains(t, got[1], "trace_id")
	assert.NotContains(t, got[2], "trace_id")
	assert.Equal(t, want, got[3]["trace_id"])
	assert.Equal(t, "druid", got[3]["vendor"])
}

func TestAttr(t *testing.T) {
	_, ok := tracelog.Attr(context.Background())
	assert.False(t, ok)
	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "x")
	defer span.End()
	a, ok := tracelog.Attr(ctx)
	assert.True(t, ok)
	assert.Equal(t, tracelog.Key, a.Key)
	assert.Equal(t, span.SpanContext().TraceID().String(), a.Value.String())
}
