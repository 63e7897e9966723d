package druid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkDecode measures turning an update body into the engine's
// request, beside decoding the same bytes with encoding/json alone.
func BenchmarkDecode(b *testing.B) {
	body := fixture(b, "update_full.json")
	cur := confirmedJane()
	caller := druid.Caller{Client: "demo-app", Actor: "demo-entrypoint", Region: "ES"}
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
			v, err := merge.Decode(body, merge.DecodeLimits{MaxBytes: 64 << 10, MaxDepth: 12})
			if err != nil {
				b.Fatal(err)
			}
			u, err := druid.DecodeUpdate(v)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := u.Request(cur, caller); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdate measures one update over HTTP (token request included,
// as DRUID needs a token per update) beside the same replacement applied
// to the engine directly. Each iteration changes datas, so every update
// writes.
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
				Type: druid.UserType, Locator: update.ByID(druid.DemoUserID), Client: druid.DemoClientID,
				Mode: update.Replace, Doc: doc, IncludeRecord: true,
			})
			if err != nil || !res.Modified {
				b.Fatal(err)
			}
			i++
		}
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
