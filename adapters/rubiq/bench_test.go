package rubiq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// benchHandler is the demo handler over a memory store, with the demo
// records and without logging, its config and its engine.
func benchHandler(b *testing.B) (rubiq.Config, *rubiq.Handler, *update.Engine) {
	cfg := rubiq.DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := rubiq.New(cfg, memory.New())
	if err != nil {
		b.Fatal(err)
	}
	if err := rubiq.SeedDemo(context.Background(), h.Engine()); err != nil {
		b.Fatal(err)
	}
	return cfg, h, h.Engine()
}

// BenchmarkDecode compares DecodeUpdate (bounded decode, contract check)
// with the baseline of decoding the same bytes with encoding/json.
func BenchmarkDecode(b *testing.B) {
	body := fixture(b, "requests/seed-example.json")
	cfg := rubiq.DemoConfig()
	app := cfg.Apps[0]
	tgt, _ := rubiq.ByID("1001")
	contract := []string{rubiq.FieldName, rubiq.FieldEmail}
	b.Run("baseline=json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeUpdate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rubiq.DecodeUpdate(app, tgt, contract, body, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdate compares a 1003 call through the handler (no network)
// with the baseline of the same change applied to the engine directly, so
// the difference is what the adapter costs. Handler builds each request
// with httptest.NewRequest in its loop, so it counts that too;
// interleaved, the figure the adapter is judged by, builds them ahead
// (adaptertest.Serve).
func BenchmarkUpdate(b *testing.B) {
	cfg, h, eng := benchHandler(b)
	cities := []string{"Oslo", "Bergen"}
	b.Run("baseline=Engine.Apply", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			_, err := eng.Apply(context.Background(), update.Request{
				Type: rubiq.EntityType, Locator: update.ByKey("ext:crm", "crm-42"), Client: cfg.Apps[0].ID,
				Mode: update.Merge, Doc: map[string]any{"city": cities[i%2]},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Handler", func(b *testing.B) {
		b.ReportAllocs()
		bodies := [][]byte{[]byte(`{"city":"Oslo"}`), []byte(`{"city":"Bergen"}`)}
		i := 0
		for b.Loop() {
			i++
			req := httptest.NewRequest(http.MethodPut, "/userentity/ext-key/crm-42/crm/data/profile", bytes.NewReader(bodies[i%2]))
			req.Header.Set("Authorization", "Bearer "+appToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	// The two alternating in one loop on one record, each setting the city
	// the other set last, so both always change it. The baseline's request
	// is the one the adapter decodes from the same body.
	b.Run("interleaved", func(b *testing.B) {
		// Cities of their own, so the first call changes the record
		// whatever the benchmarks before left in it.
		bodies := [][]byte{[]byte(`{"city":"Tromsø"}`), []byte(`{"city":"Bodø"}`)}
		app := cfg.Apps[0]
		tgt, err := rubiq.ByExt("crm-42", "crm")
		if err != nil {
			b.Fatal(err)
		}
		contract, err := rubiq.Contract(app, "profile")
		if err != nil {
			b.Fatal(err)
		}
		reqs := make([]update.Request, len(bodies))
		for i, body := range bodies {
			if reqs[i], err = rubiq.DecodeUpdate(app, tgt, contract, body, cfg); err != nil {
				b.Fatal(err)
			}
		}
		adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
			res, err := eng.Apply(context.Background(), reqs[i%2])
			if err != nil || !res.Modified {
				tb.Fatalf("apply: %v", err)
			}
		}}, adaptertest.Serve("http", h, updateRequest(bodies), adaptertest.Status200))
	})
}

// updateRequest builds the i-th 1003 profile update of the client app,
// sending the body the engine baseline did not send last.
func updateRequest(bodies [][]byte) func(testing.TB, int) *http.Request {
	return func(_ testing.TB, i int) *http.Request {
		req := httptest.NewRequest(http.MethodPut, "/userentity/ext-key/crm-42/crm/data/profile", bytes.NewReader(bodies[(i+1)%2]))
		req.Header.Set("Authorization", "Bearer "+appToken)
		return req
	}
}

// BenchmarkUpdateHarness is the floor under BenchmarkUpdate/interleaved:
// the same request, built ahead with httptest.NewRequest, answered into a
// ResponseRecorder by a handler that only writes the 200 answer, beside the
// same Apply, alternating in one loop. What the interleaved benchmark
// measures above this is the adapter (routing, authentication, decoding,
// the engine call's wrapping and the answer).
func BenchmarkUpdateHarness(b *testing.B) {
	cfg, _, eng := benchHandler(b)
	answer := []byte(`{"status":{"statusCode":"200","statusText":"Account was successfully updated"}}` + "\n")
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(answer)
	})
	bodies := [][]byte{[]byte(`{"city":"Tromsø"}`), []byte(`{"city":"Bodø"}`)}
	reqs := make([]update.Request, len(bodies))
	for i, city := range []string{"Tromsø", "Bodø"} {
		reqs[i] = update.Request{Type: rubiq.EntityType, Locator: update.ByKey("ext:crm", "crm-42"), Client: cfg.Apps[0].ID,
			Mode: update.Merge, Doc: map[string]any{"city": city}}
	}
	adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
		res, err := eng.Apply(context.Background(), reqs[i%2])
		if err != nil || !res.Modified {
			tb.Fatalf("apply: %v", err)
		}
	}}, adaptertest.Serve("harness", noop, updateRequest(bodies), adaptertest.Status200))
}

// BenchmarkRead compares a 1002 read through the handler, in plain and in
// envelope mode, with the baseline of the engine's Get of the same entity,
// so the differences are what the adapter and the envelope cost.
func BenchmarkRead(b *testing.B) {
	cfg, h, eng := benchHandler(b)
	b.Run("baseline=Engine.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := eng.Get(context.Background(), rubiq.EntityType, update.ByKey("ext:crm", "crm-42"), update.AsClient(cfg.Apps[0].ID)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, token string }{{"Handler/plain", appToken}, {"Handler/envelope", "demo-rubiq-envelope"}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/userentity/ext-key/crm-42/crm/data", nil)
				req.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
