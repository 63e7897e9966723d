package zitadel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkDecode compares the adapter's decoding of an UpdateHumanUser
// body (strict decode, depth check, oneofs, request building) with a
// bare json.Unmarshal of the same bytes into a map.
func BenchmarkDecode(b *testing.B) {
	body := fixture(b, "update_profile_email.json")
	b.Run("baseline-unmarshal-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("adapter-parse-and-build", func(b *testing.B) {
		b.ReportAllocs()
		t := zitadel.Target{UserID: "u1", OrgID: "o1", Client: "c", DefaultURLTemplate: zitadel.DefaultEmailTemplate}
		for b.Loop() {
			p, err := zitadel.DecodeUpdate(body, 8)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Request(t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdate compares a profile update through the HTTP handler
// (auth, body, read, permission, decode, Apply, encode) with the same
// change applied to the engine directly. Two bodies alternate so every
// request changes the record. adapter-http-handler builds each request
// with httptest.NewRequest in its loop, so it counts that too;
// interleaved, the figure the adapter is judged by, builds them ahead
// (adaptertest.Serve).
func BenchmarkUpdate(b *testing.B) {
	bodies := [][]byte{
		[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"}}`),
		[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Min"}}`),
	}
	newHandler := func(b *testing.B) *zitadel.Handler {
		h, err := zitadel.New(zitadel.DemoConfig(), memory.New())
		require.NoError(b, err)
		require.NoError(b, zitadel.SeedDemo(context.Background(), h.Engine()))
		return h
	}
	b.Run("baseline-engine-apply", func(b *testing.B) {
		eng := newHandler(b).Engine()
		reqs := make([]update.Request, len(bodies))
		for i, body := range bodies {
			p, err := zitadel.DecodeUpdate(body, 8)
			require.NoError(b, err)
			reqs[i], err = p.Request(zitadel.Target{UserID: zitadel.DemoUserID, OrgID: zitadel.DemoOrgID, Client: "zitadel-admin"})
			require.NoError(b, err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			res, err := eng.Apply(context.Background(), reqs[i%2])
			if err != nil || !res.Modified {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("adapter-http-handler", func(b *testing.B) {
		h := newHandler(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPut, "/v2/users/human/"+zitadel.DemoUserID, bytes.NewReader(bodies[i%2]))
			req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Body.String())
			}
			i++
		}
	})
	// The two alternating in one loop on one handler's engine and record,
	// each setting the nickname the other set last, so both always change
	// it. The baseline's request is the one the handler builds from the
	// same body for the same client.
	b.Run("interleaved", func(b *testing.B) {
		h := newHandler(b)
		// Nicknames of their own, so the first call is a change.
		bodies := [][]byte{
			[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Minerva"}}`),
			[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Minnow"}}`),
		}
		t := zitadel.Target{UserID: zitadel.DemoUserID, OrgID: zitadel.DemoOrgID, Client: "zitadel-admin",
			Actor: "client:zitadel-admin", DefaultURLTemplate: zitadel.DefaultEmailTemplate}
		reqs := make([]update.Request, len(bodies))
		for i, body := range bodies {
			p, err := zitadel.DecodeUpdate(body, 8)
			require.NoError(b, err)
			reqs[i], err = p.Request(t)
			require.NoError(b, err)
		}
		eng := h.Engine()
		adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
			res, err := eng.Apply(context.Background(), reqs[i%2])
			if err != nil || !res.Modified {
				tb.Fatalf("apply: %v", err)
			}
		}}, adaptertest.Serve("http", h, func(_ testing.TB, i int) *http.Request {
			req := httptest.NewRequest(http.MethodPut, "/v2/users/human/"+zitadel.DemoUserID, bytes.NewReader(bodies[(i+1)%2]))
			req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
			return req
		}, adaptertest.Status200))
	})
}
