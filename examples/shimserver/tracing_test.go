package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestOTLPTraces points the server at a fake OTLP/HTTP collector and
// checks what arrives after a request: the server span with the route
// (never the path), the engine's span below it with outcome and type but
// no value, and the trace id of the request's traceparent, which the log
// line names beside the request id, as does the adapter's own line.
func TestOTLPTraces(t *testing.T) {
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		assert.Equal(t, "/v1/traces", r.URL.Path)
		var req collectortrace.ExportTraceServiceRequest
		assert.NoError(t, proto.Unmarshal(body, &req))
		mu.Lock()
		got = append(got, &req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	defer collector.Close()

	s := startShimEnv(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, "-store", "memory")
	assert.Contains(t, s.stdout.String(), "traces     OTLP to "+collector.URL+"/v1/traces")
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", fixture(t, "seed/rubiq-update.json"), bearer(rubiqAppToken), jsonType,
		"traceparent: 00-"+traceID+"-00f067aa0ba902b7-01")
	require.Equal(t, 200, r.status, string(r.body))
	s.stop(t) // flushes the batch

	spans := map[string]map[string]string{}
	var traceIDs []string
	mu.Lock()
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					attrs := map[string]string{}
					for _, kv := range sp.Attributes {
						v := kv.Value.GetStringValue()
						if v == "" {
							v = strings.TrimSpace(kv.Value.String())
						}
						attrs[kv.Key] = v
						assert.NotContains(t, v, "mailbox@mailserver.com", "a span carries a value")
						assert.NotContains(t, v, "1001", "a span carries an id")
					}
					spans[sp.Name] = attrs
					if sp.Name != "idupdate.create" { // the demo seeding, before any request
						traceIDs = append(traceIDs, hexString(sp.TraceId))
					}
				}
			}
		}
	}
	mu.Unlock()
	require.Contains(t, spans, "PUT PUT /userentity/dp-keyid/{id}/data")
	assert.Equal(t, "PUT /userentity/dp-keyid/{id}/data", spans["PUT PUT /userentity/dp-keyid/{id}/data"]["http.route"])
	require.Contains(t, spans, "idupdate.apply")
	assert.Equal(t, "modified", spans["idupdate.apply"]["idupdate.outcome"])
	assert.Equal(t, "rubiq.entity", spans["idupdate.apply"]["idupdate.type"])
	require.Len(t, traceIDs, 2)
	for _, id := range traceIDs {
		assert.Equal(t, traceID, id, "the request's spans belong to the caller's trace")
	}
	logged, adapterLogged := false, false
	for _, l := range s.logLines(t) {
		switch {
		case l["msg"] == "request" && l["path"] == "/userentity/dp-keyid/1001/data":
			logged = true
			assert.Equal(t, traceID, l["trace_id"])
			assert.NotEmpty(t, l["request_id"])
		case l["msg"] == "rubiq" && l["vendor"] == "rubiq":
			adapterLogged = true
			assert.Equal(t, traceID, l["trace_id"], "the adapter's line: %v", l)
			assert.NotEmpty(t, l["request_id"])
		}
	}
	assert.True(t, logged)
	assert.True(t, adapterLogged, "the adapter logs its own line per request")
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
