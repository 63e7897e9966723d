package zitadel_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*zitadel.Config)
	}{
		{"DuplicateToken", func(c *zitadel.Config) {
			c.Clients = append(c.Clients, zitadel.Client{ID: "x", Token: zitadel.DemoAdminToken, OrgID: "1"})
		}},
		{"DuplicateID", func(c *zitadel.Config) {
			c.Clients = append(c.Clients, zitadel.Client{ID: "zitadel-admin", Token: "t", OrgID: "1"})
		}},
		{"ClientWithoutOrg", func(c *zitadel.Config) { c.Clients = append(c.Clients, zitadel.Client{ID: "x", Token: "t"}) }},
		{"BadDefaultTemplate", func(c *zitadel.Config) { c.DefaultURLTemplate = "{{.Password}}" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := zitadel.DemoConfig()
			tc.cfg(&cfg)
			_, err := zitadel.New(cfg, memory.New())
			assert.Error(t, err)
		})
	}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"username":"minnie2"}`))
	require.Equal(t, http.StatusOK, status, string(body))
	before := e.state(t, zitadel.DemoUserID)

	require.NoError(t, zitadel.SeedDemo(context.Background(), e.eng))

	e.assertUnchanged(t, before)
	assert.Equal(t, "minnie2", e.user(t).Username, "the existing record is left alone")
}

func TestRegisterOnSharedMux(t *testing.T) {
	h, err := zitadel.New(zitadel.DemoConfig(), memory.New())
	require.NoError(t, err)
	require.NoError(t, zitadel.SeedDemo(context.Background(), h.Engine()))
	mux := http.NewServeMux()
	mux.HandleFunc("/entity", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })

	require.NotPanics(t, func() { h.Register(mux) })

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v2/users/"+zitadel.DemoUserID, nil)
	req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
	mux.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/entity", nil))
	assert.Equal(t, http.StatusTeapot, rec.Code, "other vendors' paths stay theirs")
}

func TestLogsCarryNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	cfg := zitadel.DemoConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnvWith(t, cfg)
	e.rec.FailWith(errors.New("mail relay down"))

	status, body := e.update(t, zitadel.DemoAdminToken,
		[]byte(`{"email":{"email":"new@example.com"},"password":{"password":{"password":"L0gged-Never!"}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	status, body = e.update(t, zitadel.DemoAdminToken, []byte(`{"phone":{"phone":"+41791112233","returnCode":{}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	code := change(t, body).PhoneCode
	require.NotEmpty(t, code)

	assert.Contains(t, logs.String(), "verification code not sent", "the failed send is logged")
	assert.NotContains(t, logs.String(), "L0gged-Never!")
	assert.NotContains(t, logs.String(), code)
	v, err := e.eng.Get(context.Background(), zitadel.EntityType, update.ByID(zitadel.DemoUserID))
	require.NoError(t, err)
	assert.Equal(t, "new@example.com", v.Doc["email"].(map[string]any)["email"], "the change stands; the code can be resent")
}
