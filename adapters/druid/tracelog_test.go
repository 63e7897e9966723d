package druid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
)

// TestLogLinesNameTheTrace serves a refused request whose context holds a
// span, as a tracing middleware leaves it, and checks that the adapter's
// own log line names the span's trace beside the request id, with the
// logger the program gave it.
func TestLogLinesNameTheTrace(t *testing.T) {
	var buf bytes.Buffer
	cfg := testConfig(adaptertest.NewClock(start))
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	h := newHandler(t, cfg)

	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "request")
	defer span.End()
	req := httptest.NewRequest(http.MethodGet, "/entity/"+"no-such-id", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.GreaterOrEqual(t, w.Code, 400)

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), "one line: %s", buf.String())
	assert.Equal(t, "druid: request refused", line["msg"])
	assert.Equal(t, span.SpanContext().TraceID().String(), line["trace_id"])
	assert.NotEmpty(t, line["request_id"])
}
