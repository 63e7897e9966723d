package janrain_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// benchEnv is the handler and engine without a network in between, so the
// benchmarks measure the adapter and the engine, not TCP.
func benchEnv(b *testing.B) (*janrain.Handler, *update.Engine) {
	b.Helper()
	cfg := benchConfig()
	h, err := janrain.New(cfg, memoryStore())
	require.NoError(b, err)
	require.NoError(b, janrain.SeedDemo(context.Background(), h.Engine()))
	return h, h.Engine()
}

// benchConfig is the test config with a rate limit no benchmark reaches.
func benchConfig() janrain.Config {
	cfg := testConfig()
	cfg.RateLimit = storage.Bucket{Rate: storage.MaxBucketRate, Burst: storage.MaxBucketBurst}
	return cfg
}

func serveForm(b testing.TB, h http.Handler, op string, f url.Values) {
	req := httptest.NewRequest("POST", "/"+op, strings.NewReader(f.Encode()))
	req.Header.Set("Authorization", basic(ownerID, ownerSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("%s: %d %s", op, w.Code, w.Body)
	}
}

// BenchmarkBaselineApply is the engine alone doing the change that
// BenchmarkEntityUpdate does through Capture's API.
func BenchmarkBaselineApply(b *testing.B) {
	_, eng := benchEnv(b)
	docs := [2]map[string]any{{"givenName": "Matt"}, {"givenName": "Matthew"}}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, err := eng.Apply(ctx, update.Request{Type: janrain.EntityType, Locator: update.ByID(janrain.DemoID),
			Client: ownerID, Mode: update.Merge, Doc: docs[i%2]})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEntityUpdate(b *testing.B) {
	h, _ := benchEnv(b)
	// The names alternate so that every request really changes the record.
	names := [2]string{`{"givenName":"Matt"}`, `{"givenName":"Matthew"}`}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serveForm(b, h, "entity.update", form("type_name", "user", "uuid", janrain.DemoUUID, "value", names[i%2]))
	}
}

func BenchmarkEntityUpdatePluralElement(b *testing.B) {
	h, _ := benchEnv(b)
	values := [2]string{`{"status":"active"}`, `{"status":"inactive"}`}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serveForm(b, h, "entity.update", form("type_name", "user", "id", janrain.DemoID,
			"attribute_name", "/statuses#5253", "value", values[i%2]))
	}
}

func BenchmarkEntityRead(b *testing.B) {
	h, _ := benchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, h, "entity", form("type_name", "user", "id", janrain.DemoID))
	}
}

// BenchmarkUpdateInterleaved runs BenchmarkBaselineApply and
// BenchmarkEntityUpdate alternating in one loop on one handler's engine
// and record, each setting the name the other set last, so both always
// change it. The baseline's request is the one the handler decodes from
// the same form for the same client. Unlike BenchmarkEntityUpdate, it
// builds the HTTP requests ahead (adaptertest.Serve), as the baseline's
// request is decoded ahead.
func BenchmarkUpdateInterleaved(b *testing.B) {
	h, eng := benchEnv(b)
	cfg := benchConfig()
	if cfg.MaxDepth == 0 {
		cfg.MaxDepth = janrain.DefaultMaxDepth
	}
	sch, err := janrain.NewSchema(janrain.Policy(cfg))
	require.NoError(b, err)
	forms := [2]url.Values{}
	reqs := [2]update.Request{}
	for i, name := range []string{`{"givenName":"Mattias"}`, `{"givenName":"Mats"}`} {
		forms[i] = form("type_name", "user", "uuid", janrain.DemoUUID, "value", name)
		call, err := janrain.DecodeForm(janrain.OpUpdate, forms[i], sch, cfg.MaxDepth)
		require.NoError(b, err)
		reqs[i], err = call.Request(sch, ownerID)
		require.NoError(b, err)
	}
	// The form bodies and the credentials are encoded once: what a client
	// sends is the measured call's input, not its cost.
	bodies := [2]string{forms[0].Encode(), forms[1].Encode()}
	auth := basic(ownerID, ownerSecret)
	ctx := context.Background()
	adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
		res, err := eng.Apply(ctx, reqs[i%2])
		if err != nil || !res.Modified {
			tb.Fatalf("apply: %v", err)
		}
	}}, adaptertest.Serve("http", h, func(_ testing.TB, i int) *http.Request {
		req := httptest.NewRequest("POST", "/entity.update", strings.NewReader(bodies[(i+1)%2]))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}, adaptertest.Status200))
}

// BenchmarkBaselineHarness is the cost of building the request and
// recording the response, with a handler that only answers {"stat":"ok"}:
// what the Entity benchmarks pay that is neither adapter nor engine.
func BenchmarkBaselineHarness(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stat":"ok"}`))
	})
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, h, "entity.update", form("type_name", "user", "uuid", janrain.DemoUUID, "value", `{"givenName":"Matt"}`))
	}
}
