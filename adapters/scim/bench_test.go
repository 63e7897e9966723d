package scim_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkPatchValuePath is a SCIM PATCH with a value-path filter, over
// HTTP handling without a network (httptest.ResponseRecorder), beside the
// same change as one engine Apply: the difference is the adapter's cost.
// Each iteration alternates two values so every one is a real change.
// SCIM builds each request with httptest.NewRequest in its loop, so it
// counts that too; interleaved, the figure the adapter is judged by,
// builds them ahead (adaptertest.Serve).
func BenchmarkPatchValuePath(b *testing.B) {
	cfg := scim.DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := scim.New(cfg, memory.New())
	require.NoError(b, err)
	ctx := context.Background()
	require.NoError(b, scim.SeedDemo(ctx, h.Engine()))
	bodies := [2][]byte{
		[]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@example.com"}]}`),
		[]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@example.com"}]}`),
	}
	b.Run("SCIM", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			r := httptest.NewRequest(http.MethodPatch, "/scim/v2/Users/"+scim.DemoUserID, bytes.NewReader(bodies[i%2]))
			r.Header.Set("Authorization", "Bearer demo-scim-admin")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.Run("EngineApply", func(b *testing.B) {
		values := [2]string{"c@example.com", "d@example.com"}
		for i := 0; b.Loop(); i++ {
			_, err := h.Engine().Apply(ctx, update.Request{Type: scim.EntityUser, Locator: update.ByID(scim.DemoUserID),
				Client: "scim:demo-admin", Mode: update.Modify, IncludeRecord: true, Mods: []update.Modification{{
					Op: "replace", Path: "/emails", Sub: "value", Value: values[i%2],
					Where: &storage.Filter{Op: storage.Eq, Path: "/type", Value: "work"}}}})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// The two alternating in one loop on one record, each setting the
	// address the other set last, so both always change it. The baseline's
	// modifications are those the handler decodes from the same body.
	b.Run("interleaved", func(b *testing.B) {
		// Addresses of their own, so the first call is a change.
		bodies := [2][]byte{
			[]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"e@example.com"}]}`),
			[]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"f@example.com"}]}`),
		}
		var reqs [2]update.Request
		for i, body := range bodies {
			mods, err := scim.DecodeUserPatch(cfg, body)
			require.NoError(b, err)
			reqs[i] = update.Request{Type: scim.EntityUser, Locator: update.ByID(scim.DemoUserID),
				Client: "scim:demo-admin", Actor: "scim:demo-admin", Mode: update.Modify, Mods: mods, IncludeRecord: true}
		}
		adaptertest.Interleave(b, adaptertest.Step{Name: "apply", Run: func(tb testing.TB, i int) {
			res, err := h.Engine().Apply(ctx, reqs[i%2])
			if err != nil || !res.Modified {
				tb.Fatalf("apply: %v", err)
			}
		}}, adaptertest.Serve("http", h, func(_ testing.TB, i int) *http.Request {
			r := httptest.NewRequest(http.MethodPatch, "/scim/v2/Users/"+scim.DemoUserID, bytes.NewReader(bodies[(i+1)%2]))
			r.Header.Set("Authorization", "Bearer demo-scim-admin")
			return r
		}, adaptertest.Status200))
	})
}
