package rubiq

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkUpdateFloor is the floor under BenchmarkUpdate/interleaved
// that the adapter's own code cannot go below: the same request, built by
// the same harness, routed by a mux holding the handler's patterns to a
// handler that applies the request decoded ahead of time and writes the
// same answer with its request id, beside the same Apply, alternating in
// one loop. Between BenchmarkUpdateHarness and this lie routing and the
// answer's headers; between this and BenchmarkUpdate/interleaved lie
// authentication, reading and decoding the body and building the
// engine's request.
func BenchmarkUpdateFloor(b *testing.B) {
	cfg := DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := New(cfg, memory.New())
	if err != nil {
		b.Fatal(err)
	}
	if err := SeedDemo(context.Background(), h.Engine()); err != nil {
		b.Fatal(err)
	}
	eng, app := h.Engine(), h.cfg.Apps[0]
	tgt, err := ByExt("crm-42", "crm")
	if err != nil {
		b.Fatal(err)
	}
	contract, err := Contract(app, "profile")
	if err != nil {
		b.Fatal(err)
	}
	bodies := [][]byte{[]byte(`{"city":"Tromsø"}`), []byte(`{"city":"Bodø"}`)}
	reqs := make([]update.Request, len(bodies))
	for i, body := range bodies {
		if reqs[i], err = DecodeUpdate(app, tgt, contract, body, cfg); err != nil {
			b.Fatal(err)
		}
	}
	calls := 0 // the routed handler is called once per iteration
	floor := func(w http.ResponseWriter, r *http.Request) {
		calls++
		res, err := eng.Apply(r.Context(), reqs[calls%2]) // (i+1)%2 for the i-th iteration
		if err != nil || !res.Modified {
			b.Errorf("apply: %v", err)
			return
		}
		a := &updateAnswers[updateRank(res)]
		httpx.RequestID(w, r)
		httpx.WriteBody(w, a.status.HTTP, a.encoded[0])
	}
	mux := http.NewServeMux()
	for _, rt := range routes() {
		for _, p := range rt.paths {
			mux.HandleFunc(rt.method+" "+p, floor)
		}
	}
	adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
		res, err := eng.Apply(context.Background(), reqs[i%2])
		if err != nil || !res.Modified {
			tb.Fatalf("apply: %v", err)
		}
	}}, adaptertest.Serve("floor", mux, func(_ testing.TB, i int) *http.Request {
		req := httptest.NewRequest(http.MethodPut, "/userentity/ext-key/crm-42/crm/data/profile", bytes.NewReader(bodies[(i+1)%2]))
		req.Header.Set("Authorization", "Bearer demo-rubiq-app")
		return req
	}, adaptertest.Status200))
}
