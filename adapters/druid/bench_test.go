package druid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkDecode measures turning an update body into the engine's
// request, beside decoding the same bytes with encoding/json alone.
func BenchmarkDecode(b *testing.B) {
	body := fixture(b, "update_full.json")
	caller := druid.Caller{Client: "demo-app", Actor: "demo-entrypoint"}
	b.Run("baseline-json-unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bounded-decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := merge.Decode(body, merge.DecodeLimits{MaxBytes: 64 << 10, MaxDepth: 12}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = decodeRequest(b, body, caller)
		}
	})
}

// decodeRequest is the engine request the update body makes for caller,
// decoded by the handler's checked path (the one-pass reader gives the
// same Update; TestDecodeUpdateBodyAgreesWithCheckedPath).
func decodeRequest(tb testing.TB, body []byte, caller druid.Caller) update.Request {
	v, err := merge.Decode(body, merge.DecodeLimits{MaxBytes: 64 << 10, MaxDepth: 12})
	if err != nil {
		tb.Fatal(err)
	}
	u, err := druid.DecodeUpdate(v)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Request(caller)
}

// BenchmarkUpdate measures one update over HTTP beside the same
// replacement applied to the engine directly: in process with a
// ResponseRecorder, the tokens (one per update, as DRUID spends a token
// on each) issued ahead with the timer stopped; and over a loopback
// server with the token request included. Each iteration changes datas,
// so every update writes. interleaved, the figure the adapter is judged
// by, builds its requests ahead too (adaptertest.Serve).
func BenchmarkUpdate(b *testing.B) {
	names := [][]byte{[]byte(`"Janet"`), []byte(`"Jana"`)}
	base := fixture(b, "update_datas.json")
	bodies := [][]byte{base, bytes.Replace(base, names[0], names[1], 1)}

	b.Run("baseline-engine-apply", func(b *testing.B) {
		e := newEnv(b)
		ctx := context.Background()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			e.clk.Advance(10 * time.Millisecond)
			doc := map[string]any{
				"email": "jane@example.com", "phone_number": "+34600111222",
				"datas": map[string]any{"name": []string{"Janet", "Jana"}[i%2], "surname": "Doe"},
			}
			res, err := e.eng.Apply(ctx, update.Request{
				Type: druid.EntityType, Locator: update.ByID(druid.DemoUserID), Client: druid.DemoClientID,
				Mode: update.Replace, Doc: doc, IncludeRecord: true,
			})
			if err != nil || !res.Modified {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("http-update", func(b *testing.B) {
		e := newEnvWith(b, func(cfg *druid.Config) {
			cfg.TokenQuota = storage.Quota{Limit: storage.MaxQuotaLimit, Window: time.Minute}
		})
		type spendable struct{ token, verifier string }
		var ready []spendable
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if len(ready) == 0 {
				b.StopTimer()
				for range min(256, b.N-i) {
					tok, ver := e.demoToken(b)
					ready = append(ready, spendable{tok, ver})
				}
				b.StartTimer()
			}
			s := ready[0]
			ready = ready[1:]
			e.clk.Advance(time.Millisecond)
			req := httptest.NewRequest(http.MethodPost, druid.PathUpdate+"?code_verifier="+url.QueryEscape(s.verifier), bytes.NewReader(bodies[i%2]))
			req.Header = updateHeader(s.token, druid.DemoEntryPoint)
			rec := httptest.NewRecorder()
			e.srv.Config.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	// The engine's replacement and the HTTP update alternating in one loop
	// on one handler's engine and record, each setting the name the other
	// set last, so both always change it. The baseline's request is the
	// one the handler decodes from the same body for the same caller. The
	// update's token is issued before it, outside the figures; spending and
	// checking it is the update's own cost.
	b.Run("interleaved", func(b *testing.B) {
		e := newEnvWith(b, func(cfg *druid.Config) {
			cfg.TokenQuota = storage.Quota{Limit: storage.MaxQuotaLimit, Window: time.Minute}
		})
		// Names of their own, so the first call is a change.
		own := [][]byte{bytes.Replace(base, names[0], []byte(`"Janine"`), 1), bytes.Replace(base, names[0], []byte(`"Janka"`), 1)}
		caller := druid.Caller{Client: druid.DemoClientID, Actor: druid.DemoEntryPoint}
		reqs := make([]update.Request, len(own))
		for i, body := range own {
			reqs[i] = decodeRequest(b, body, caller)
		}
		ctx := context.Background()
		// The handler is served on the engine's clock, a millisecond on
		// per update as for the baseline.
		serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.clk.Advance(time.Millisecond)
			e.srv.Config.Handler.ServeHTTP(w, r)
		})
		adaptertest.Interleave(b, adaptertest.Step{
			Name: "apply",
			Run: func(tb testing.TB, i int) {
				e.clk.Advance(time.Millisecond)
				res, err := e.eng.Apply(ctx, reqs[i%2])
				if err != nil || !res.Modified {
					tb.Fatalf("apply: %v", err)
				}
			},
		}, adaptertest.Serve("http", serve, func(tb testing.TB, i int) *http.Request {
			tok, ver := e.demoToken(tb)
			req := httptest.NewRequest(http.MethodPost, druid.PathUpdate+"?code_verifier="+url.QueryEscape(ver), bytes.NewReader(own[(i+1)%2]))
			req.Header = updateHeader(tok, druid.DemoEntryPoint)
			return req
		}, adaptertest.Status200))
	})
	b.Run("http-token-and-update", func(b *testing.B) {
		e := newEnv(b)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			e.clk.Advance(10 * time.Millisecond)
			tok, ver := e.demoToken(b)
			resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, bodies[i%2])
			if resp.status != http.StatusOK {
				b.Fatalf("status %d: %s", resp.status, resp.body)
			}
			i++
		}
	})
}

// BenchmarkPassword measures what the password check costs at the default
// bcrypt cost: an update repeating the stored password (a dry run finds it
// unchanged: 304) and one changing it (dry run, then the real hash),
// beside the engine applying a new password alone.
func BenchmarkPassword(b *testing.B) {
	newEnvCost := func(b *testing.B) *env {
		e := newEnvWith(b, func(cfg *druid.Config) { cfg.PasswordCost = 10 })
		tok, ver := e.demoToken(b)
		if resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(b, "update_password.json")); resp.status != http.StatusOK {
			b.Fatalf("status %d", resp.status)
		}
		return e
	}
	pw := []string{"correct-horse-battery", "another-long-password"}
	b.Run("baseline-engine-new-password", func(b *testing.B) {
		e := newEnvCost(b)
		i := 0
		for b.Loop() {
			i++
			_, err := e.eng.Apply(context.Background(), update.Request{
				Type: druid.EntityType, Locator: update.ByID(druid.DemoUserID), Client: druid.DemoClientID, Mode: update.Merge,
				Doc: map[string]any{}, Secrets: map[string]update.SecretValue{"/password": {Plain: pw[i%2]}},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http-same-password-304", func(b *testing.B) {
		e := newEnvCost(b)
		body := fixture(b, "update_password.json")
		for b.Loop() {
			e.clk.Advance(10 * time.Millisecond)
			tok, ver := e.demoToken(b)
			if resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, body); resp.status != http.StatusNotModified {
				b.Fatalf("status %d", resp.status)
			}
		}
	})
	b.Run("http-new-password-200", func(b *testing.B) {
		e := newEnvCost(b)
		bodies := [][]byte{
			fixture(b, "update_password.json"),
			bytes.Replace(fixture(b, "update_password.json"), []byte(pw[0]), []byte(pw[1]), 1),
		}
		i := 0
		for b.Loop() {
			i++
			e.clk.Advance(10 * time.Millisecond)
			tok, ver := e.demoToken(b)
			if resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, bodies[i%2]); resp.status != http.StatusOK {
				b.Fatalf("status %d", resp.status)
			}
		}
	})
}

// BenchmarkBulkThroughput measures users updated per second by one bulk
// upload of usersPerOp lines (at the default concurrency, and one line at
// a time) beside the same users sent one PATCH each (with the token each
// needs), on every backend. Every line changes its user, so every update
// writes.
func BenchmarkBulkThroughput(b *testing.B) {
	const usersPerOp = 200
	for _, backend := range adaptertest.Backends() {
		setup := func(b *testing.B, tune ...func(*druid.Config)) *env {
			// One token per request must not meet the token quota.
			noQuota := func(c *druid.Config) { c.TokenQuota = storage.Quota{Limit: storage.MaxQuotaLimit, Window: time.Minute} }
			e := newBackendEnv(b, backend.Open(b), append(tune, noQuota)...)
			ctx := context.Background()
			for u := range usersPerOp {
				_, err := e.eng.Create(ctx, update.CreateRequest{Type: druid.EntityType, ID: fmt.Sprintf("bench-%d", u), Client: druid.DemoClientID,
					Doc: map[string]any{"datas": map[string]any{"n": 0}}})
				if err != nil {
					b.Fatal(err)
				}
			}
			return e
		}
		line := func(round, u int) string {
			return activity(fmt.Sprintf("bench-%d", u), fmt.Sprintf(`{"n":%d}`, round))
		}
		b.Run(backend.Name+"/one-request-each", func(b *testing.B) {
			e := setup(b)
			round := 0
			b.ReportAllocs()
			for b.Loop() {
				round++
				for u := range usersPerOp {
					e.clk.Advance(time.Millisecond)
					if r := e.patch(b, []byte(line(round, u))); r.status != http.StatusOK {
						b.Fatalf("status %d: %s", r.status, r.body)
					}
				}
			}
			b.ReportMetric(float64(b.N*usersPerOp)/b.Elapsed().Seconds(), "users/s")
		})
		bulk := func(b *testing.B, e *env) {
			round := 0
			b.ReportAllocs()
			for b.Loop() {
				round++
				var body strings.Builder
				for u := range usersPerOp {
					body.WriteString(line(round, u))
					body.WriteByte('\n')
				}
				e.clk.Advance(time.Millisecond)
				r := e.bulk(b, strings.NewReader(body.String()))
				if r.status != http.StatusOK || bytes.Count(r.body, []byte(`"status":200`)) != usersPerOp {
					b.Fatalf("status %d: %s", r.status, r.body)
				}
			}
			b.ReportMetric(float64(b.N*usersPerOp)/b.Elapsed().Seconds(), "users/s")
		}
		b.Run(backend.Name+"/bulk-one-line-at-a-time", func(b *testing.B) {
			bulk(b, setup(b, func(c *druid.Config) { c.BulkConcurrency = 1 }))
		})
		b.Run(backend.Name+"/bulk", func(b *testing.B) { bulk(b, setup(b)) })
	}
}
