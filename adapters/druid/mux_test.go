package druid_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func TestRegisterOnSharedMux(t *testing.T) {
	cfg := testConfig(adaptertest.NewClock(start))
	h := newHandler(t, cfg, update.WithDispatcher(&verify.Recorder{}))

	mux := http.NewServeMux()
	mux.HandleFunc("/entity.update", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := srv.Client().PostForm(srv.URL+druid.PathToken, tokenForm(druid.DemoClientID, druid.DemoSecret, "plain", newVerifier(t)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "DRUID's paths are served")

	resp, err = srv.Client().Post(srv.URL+"/entity.update", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode, "other vendors' paths are left alone")
}

func TestUnknownPathIsVendor404(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, "/activityid/v1/user/delete", entryHeader(druid.DemoEntryPoint), []byte(`{}`))
	assert.Equal(t, http.StatusNotFound, resp.status)
	errorBody(t, resp)
}

// TestTokenQuotaIsPerClient checks that a client past its token quota is
// refused while another client is still served, and that the quota
// slides back open with time.
func TestTokenQuotaIsPerClient(t *testing.T) {
	clk := adaptertest.NewClock(start)
	cfg := testConfig(clk)
	cfg.TokenQuota = storage.Quota{Limit: 2, Window: time.Minute}
	h := newHandler(t, cfg)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ask := func(client, secret string) int {
		resp, err := srv.Client().PostForm(srv.URL+druid.PathToken,
			tokenForm(client, secret, "S256", druid.S256Challenge(newVerifier(t))))
		require.NoError(t, err)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var body druid.ErrorBody
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, resp.StatusCode, body.Result.Status)
		}
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, ask(druid.DemoClientID, druid.DemoSecret))
	assert.Equal(t, http.StatusOK, ask(druid.DemoClientID, druid.DemoSecret))
	for range 20 {
		assert.Equal(t, http.StatusTooManyRequests, ask(druid.DemoClientID, druid.DemoSecret), "past the quota")
	}
	assert.Equal(t, http.StatusOK, ask("plain-app", "plain-secret"), "another client is not held back")
	clk.Advance(2 * time.Minute)
	assert.Equal(t, http.StatusOK, ask(druid.DemoClientID, druid.DemoSecret), "the quota slides open")
}

// TestSecretsStayOutOfLogsAndBodies runs the flow with a password and a
// failing confirm and looks for every secret in everything the adapter
// wrote.
func TestSecretsStayOutOfLogsAndBodies(t *testing.T) {
	clk := adaptertest.NewClock(start)
	cfg := testConfig(clk)
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &verify.Recorder{}
	h := newHandler(t, cfg, update.WithDispatcher(rec))
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := &env{srv: srv, eng: h.Engine(), rec: rec, clk: clk}

	var written bytes.Buffer
	tok, ver := e.demoToken(t)
	body := bytes.Replace(fixture(t, "flow_update.json"), []byte(`"ids"`), []byte(`"password": "correct-horse-battery", "ids"`), 1)
	resp := e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, body)
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	written.Write(resp.body)
	code, ok := rec.CodeFor("jane.new@example.com")
	require.True(t, ok)

	// Refused requests log; they must not log the token, verifier or code.
	resp = e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, body)
	require.Equal(t, http.StatusUnauthorized, resp.status)
	written.Write(resp.body)
	short := bytes.Replace(body, []byte("correct-horse-battery"), []byte("Zq9xK"), 1)
	tok2, ver2 := e.demoToken(t)
	resp = e.update(t, updateHeader(tok2, druid.DemoEntryPoint), ver2, short)
	require.Equal(t, http.StatusBadRequest, resp.status)
	written.Write(resp.body)
	last := "Z"
	if strings.HasSuffix(code, last) {
		last = "Y" // a wrong code, whatever the right one ends with
	}
	wrong := withCode(t, "flow_confirm.json", code[:len(code)-1]+last)
	resp = e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), wrong)
	require.Equal(t, http.StatusBadRequest, resp.status)
	written.Write(resp.body)

	require.NotZero(t, logs.Len(), "refusals were logged")
	for _, secret := range []string{"correct-horse-battery", "Zq9xK", code, tok, ver, url.QueryEscape(ver), tok2, ver2} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, written.String(), secret)
	}
}

// TestServeHTTPRoutesAsTheMux: the Handler asks its mux once and calls
// the handler it names; it answers exactly as the mux's own ServeHTTP
// does (the way the Handler served before), with the same request
// Pattern, for every route, method, redirect and unknown path.
func TestServeHTTPRoutesAsTheMux(t *testing.T) {
	h := newHandler(t, testConfig(adaptertest.NewClock(start)))
	mux := http.NewServeMux()
	h.Register(mux)
	viaMux := func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			h.ServeHTTP(w, r) // the vendor 404, checked below
			return
		}
		mux.ServeHTTP(w, r)
	}
	paths := []string{druid.PathToken, druid.PathUpdate, druid.PathConfirm, druid.PathResend, druid.PathBulk,
		druid.PathUpdate + "/", "/a/.." + druid.PathUpdate, "//" + strings.TrimPrefix(druid.PathToken, "/"),
		druid.PathUpdate + "?x=1", "/", "/nothing/here", "/a/../nothing"}
	methods := []string{http.MethodPost, http.MethodPatch, http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions}
	for _, p := range paths {
		for _, m := range methods {
			serve := func(f http.HandlerFunc) (*httptest.ResponseRecorder, string) {
				r := httptest.NewRequest(m, p, strings.NewReader(`{}`))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set(httpx.RequestIDHeader, "req-1")
				w := httptest.NewRecorder()
				f(w, r)
				return w, r.Pattern
			}
			got, gotPattern := serve(h.ServeHTTP)
			want, wantPattern := serve(viaMux)
			assert.Equal(t, want.Code, got.Code, "%s %s", m, p)
			assert.Equal(t, want.Header(), got.Header(), "%s %s", m, p)
			assert.Equal(t, want.Body.String(), got.Body.String(), "%s %s", m, p)
			assert.Equal(t, wantPattern, gotPattern, "%s %s", m, p)
			if _, pattern := mux.Handler(httptest.NewRequest(m, p, nil)); pattern == "" {
				assert.Equal(t, http.StatusNotFound, got.Code, "%s %s", m, p)
				assert.Contains(t, got.Body.String(), "no such endpoint", "%s %s", m, p)
			}
		}
	}
}
