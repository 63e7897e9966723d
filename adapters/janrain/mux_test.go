package janrain_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
)

func TestRegister_SharesAMuxWithOtherVendorsPaths(t *testing.T) {
	cfg := testConfig()
	h, err := janrain.New(cfg, memoryStore())
	require.NoError(t, err)
	require.NoError(t, janrain.SeedDemo(t.Context(), h.Engine()))

	mux := http.NewServeMux()
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.Handle("GET /entity/id/{id}", other)
	mux.Handle("/entity/ext-key/", other)
	mux.Handle("/userentity/", other)
	mux.Handle("POST /oauth2/token", other)
	require.NotPanics(t, func() { h.Register(mux) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	req, err := http.NewRequest("POST", srv.URL+"/entity", strings.NewReader("type_name=user&id=5252"))
	require.NoError(t, err)
	req.Header.Set("Authorization", basic(ownerID, ownerSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := send(t, req)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "ok", r.body["stat"])

	resp, err := http.Get(srv.URL + "/entity/id/5252")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode, "other vendors' paths stay theirs")

	req, err = http.NewRequest("DELETE", srv.URL+"/entity.delete", nil)
	require.NoError(t, err)
	r = send(t, req)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))
	assert.Equal(t, "invalid_argument", r.body["error"])
}

func TestLogs_CarryNoSecretsOrValues(t *testing.T) {
	var buf bytes.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	e := newEnvWith(t, memoryStore(), cfg)

	e.do(t, "POST", "entity.update", basic(ownerID, "guessed-secret-123"), "application/x-www-form-urlencoded", "type_name=user&id=5252")
	e.post(t, "entity.update", form("type_name", "user", "id", "5252", "value", `{"email":"private-address@example.com","x":1}`))
	r := e.post(t, "entity.update", form("type_name", "user", "id", "5252", "value", `{"givenName":"`+strings.Repeat("q", 10)+`"`))
	require.Equal(t, 400, r.status)

	logs := buf.String()
	require.NotEmpty(t, logs)
	for _, secret := range []string{ownerSecret, "guessed-secret-123", "private-address", readerSecret} {
		assert.NotContains(t, logs, secret)
	}
}
