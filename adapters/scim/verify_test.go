package scim_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// newConfirmServer serves the demo configuration with the work email
// held for verification, its codes going to the returned recorder.
func newConfirmServer(t *testing.T, b adaptertest.Backend) (*server, *verify.Recorder) {
	t.Helper()
	cfg := scim.DemoConfig()
	cfg.Now = adaptertest.NewStepClock(adaptertest.Start, time.Second).Now
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.ConfirmEmail = &scim.EmailConfirmation{Select: "work", MaxAttempts: 3}
	sent := &verify.Recorder{}
	h, err := scim.New(cfg, b.Open(t), update.WithDispatcher(sent))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, srv: srv, h: h}, sent
}

// TestConfirmEmail: with ConfirmEmail a changed work email waits for its
// code, the answer shows it in the verification extension, and
// POST /Users/{id}/.confirm applies it; on every backend.
func TestConfirmEmail(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s, sent := newConfirmServer(t, b)
			st, _, u := s.do("POST", "/scim/v2/Users", adminToken, map[string]any{"schemas": []string{scim.SchemaUser},
				"userName": "held", "emails": []any{map[string]any{"value": "old@example.com", "type": "work"}}})
			require.Equal(t, http.StatusCreated, st, "%v", u)
			id := u["id"].(string)
			path := "/scim/v2/Users/" + id
			confirm := func(token, body string) (int, map[string]any) {
				st, _, got := s.do("POST", path+"/.confirm", token, body)
				return st, got
			}
			const cr = `{"schemas":["urn:idupdate:scim:api:messages:1.0:ConfirmRequest"],`
			// The address a User is created with is applied and gets its code too.
			first, ok := sent.CodeFor("old@example.com")
			require.True(t, ok)
			st, _ = confirm(adminToken, cr+`"code":"`+first+`"}`)
			require.Equal(t, http.StatusOK, st)

			st, u = patch(t, s, path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}]}`)
			require.Equal(t, http.StatusOK, st, "%v", u)
			assert.Equal(t, "old@example.com", u["emails"].([]any)[0].(map[string]any)["value"], "held until confirmed")
			assert.Contains(t, u["schemas"], scim.SchemaVerification)
			pending := u[scim.SchemaVerification].(map[string]any)["pending"].([]any)
			require.Len(t, pending, 1)
			p := pending[0].(map[string]any)
			assert.Equal(t, `emails[type eq "work"].value`, p["attribute"])
			assert.Equal(t, "pending", p["state"])
			assert.Equal(t, true, p["held"])
			assert.NotContains(t, p, "code")
			code, ok := sent.CodeFor("new@example.com")
			require.True(t, ok)
			version := u["meta"].(map[string]any)["version"]

			for _, c := range []struct {
				name, token, body string
				status            int
				scimType          string
			}{
				{"read-only token", readonlyToken, cr + `"code":"` + code + `"}`, http.StatusForbidden, ""},
				{"no schemas", adminToken, `{"code":"` + code + `"}`, http.StatusBadRequest, scim.TypeInvalidSyntax},
				{"unknown member", adminToken, cr + `"code":"x","extra":1}`, http.StatusBadRequest, scim.TypeInvalidSyntax},
				{"another attribute", adminToken, cr + `"attribute":"emails[type eq \"home\"].value","code":"` + code + `"}`, http.StatusBadRequest, scim.TypeInvalidPath},
				{"empty code", adminToken, cr + `"code":""}`, http.StatusBadRequest, scim.TypeInvalidSyntax},
			} {
				st, body := confirm(c.token, c.body)
				assert.Equal(t, c.status, st, "%s: %v", c.name, body)
				if c.scimType != "" {
					assert.Equal(t, c.scimType, body["scimType"], c.name)
				}
			}
			_, _, u = s.do("GET", path, adminToken, nil)
			assert.Equal(t, version, u["meta"].(map[string]any)["version"], "refused confirmations change nothing")

			// A wrong code is counted (a new version), then the right one applies.
			st, body := confirm(adminToken, cr+`"code":"WRONG9"}`)
			scimError(t, http.StatusBadRequest, scim.TypeInvalidValue, st, body)
			st, u = confirm(bjensenToken, cr+`"code":"`+code+`"}`)
			assert.Equal(t, http.StatusForbidden, st, "another user's token: %v", u)
			st, u = confirm(adminToken, cr+`"attribute":"emails[type eq \"work\"].value","code":"`+code+`"}`)
			require.Equal(t, http.StatusOK, st, "%v", u)
			assert.Equal(t, "new@example.com", u["emails"].([]any)[0].(map[string]any)["value"])
			assert.NotContains(t, u, scim.SchemaVerification)
			st, body = confirm(adminToken, cr+`"code":"`+code+`"}`)
			assert.Equal(t, http.StatusConflict, st, "used once: %v", body)

			// Locked after MaxAttempts wrong codes.
			st, _ = patch(t, s, path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"third@example.com"}]}`)
			require.Equal(t, http.StatusOK, st)
			for range 3 {
				st, body = confirm(adminToken, cr+`"code":"WRONG9"}`)
			}
			assert.Equal(t, http.StatusConflict, st, "%v", body)
			_, _, u = s.do("GET", path, adminToken, nil)
			assert.Equal(t, "locked", u[scim.SchemaVerification].(map[string]any)["pending"].([]any)[0].(map[string]any)["state"])
			assert.Equal(t, "new@example.com", u["emails"].([]any)[0].(map[string]any)["value"])
		})
	}
}

// TestConfirmEmailDiscovery: the extension is declared in /Schemas and
// /ResourceTypes only when configured, and the endpoint exists only then.
func TestConfirmEmailDiscovery(t *testing.T) {
	s, _ := newConfirmServer(t, adaptertest.Backends()[0])
	_, _, sch := s.do("GET", "/scim/v2/Schemas/"+scim.SchemaVerification, readonlyToken, nil)
	assert.Equal(t, scim.SchemaVerification, sch["id"])
	_, _, rt := s.do("GET", "/scim/v2/ResourceTypes/User", readonlyToken, nil)
	var exts []string
	for _, x := range rt["schemaExtensions"].([]any) {
		exts = append(exts, x.(map[string]any)["schema"].(string))
	}
	assert.True(t, slices.Contains(exts, scim.SchemaVerification), "%v", exts)

	plain := newServer(t, newMemory())
	st, _, _ := plain.do("GET", "/scim/v2/Schemas/"+scim.SchemaVerification, readonlyToken, nil)
	assert.Equal(t, http.StatusNotFound, st)
	st, _, _ = plain.do("POST", "/scim/v2/Users/x/.confirm", adminToken, `{}`)
	assert.Equal(t, http.StatusNotFound, st)

	for _, bad := range []scim.EmailConfirmation{{Select: ""}, {Select: "primary"}, {Select: "a]b"}, {Select: "work", Mode: "later"}} {
		cfg := scim.DemoConfig()
		cfg.ConfirmEmail = &bad
		_, err := scim.New(cfg, newMemory())
		assert.Error(t, err, "%+v", bad)
	}
	cfg := scim.DemoConfig()
	cfg.ConfirmEmail = &scim.EmailConfirmation{Select: "primary", Mode: update.ApplyUnverified}
	_, err := scim.New(cfg, newMemory())
	assert.NoError(t, err)
}
