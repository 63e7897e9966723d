package zitadel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// env is a running adapter over a fresh memory store with the demo user.
type env struct {
	srv *httptest.Server
	eng *update.Engine
	rec *verify.Recorder
	clk *adaptertest.Clock
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, zitadel.DemoConfig())
}

// newEnvWith is newEnv with another configuration.
func newEnvWith(tb testing.TB, cfg zitadel.Config) *env {
	tb.Helper()
	return newEnvOn(tb, cfg, memory.New())
}

// newEnvOn is newEnvWith over store.
func newEnvOn(tb testing.TB, cfg zitadel.Config, store storage.Store) *env {
	tb.Helper()
	clk := adaptertest.NewClock(time.Date(2025, 3, 25, 16, 0, 34, 438_000_000, time.UTC))
	rec := &verify.Recorder{}
	cfg.Now = clk.Now
	opts := []update.Option{update.WithDispatcher(rec)}
	if cfg.Logger != nil {
		opts = append(opts, update.WithLogger(cfg.Logger))
	}
	h, err := zitadel.New(cfg, store, opts...)
	require.NoError(tb, err)
	require.NoError(tb, zitadel.SeedDemo(context.Background(), h.Engine()))
	// HTTP/1.1 and cleartext HTTP/2, as the shim server serves: REST and
	// the RPC formats on one port.
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	tb.Cleanup(srv.Close)
	return &env{srv: srv, eng: h.Engine(), rec: rec, clk: clk}
}

// do sends one request and returns the status and the body.
func (e *env) do(tb testing.TB, method, path, token string, body []byte) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return resp.StatusCode, out
}

// update sends UpdateHumanUser for the demo user with the admin token.
func (e *env) update(tb testing.TB, token string, body []byte) (int, []byte) {
	tb.Helper()
	return e.do(tb, http.MethodPut, "/v2/users/human/"+zitadel.DemoUserID, token, body)
}

// user reads the demo user through the API.
func (e *env) user(tb testing.TB) zitadel.User {
	tb.Helper()
	status, body := e.do(tb, http.MethodGet, "/v2/users/"+zitadel.DemoUserID, zitadel.DemoAdminToken, nil)
	require.Equal(tb, http.StatusOK, status, string(body))
	var out zitadel.UserResponse
	require.NoError(tb, json.Unmarshal(body, &out))
	return out.User
}

// state is what must not move when a request fails.
type state struct {
	Version uint64
	Updated time.Time
	Events  int
	Doc     map[string]any
}

func (e *env) state(tb testing.TB, id string) state {
	tb.Helper()
	ctx := context.Background()
	v, err := e.eng.Get(ctx, zitadel.EntityType, update.ByID(id))
	require.NoError(tb, err)
	h, err := e.eng.History(ctx, zitadel.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return state{Version: v.Version, Updated: v.Updated, Events: len(h), Doc: v.Doc}
}

// assertUnchanged checks that the demo user is as before.
func (e *env) assertUnchanged(tb testing.TB, before state) {
	tb.Helper()
	after := e.state(tb, zitadel.DemoUserID)
	assert.Equal(tb, before.Version, after.Version, "version moved")
	assert.True(tb, before.Updated.Equal(after.Updated), "updated moved")
	assert.Equal(tb, before.Events, after.Events, "history grew")
	assert.Equal(tb, before.Doc, after.Doc, "document changed")
}

// fixture returns the bytes of testdata/name.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

// change decodes a success answer.
func change(tb testing.TB, body []byte) zitadel.ChangeResponse {
	tb.Helper()
	var out zitadel.ChangeResponse
	require.NoError(tb, json.Unmarshal(body, &out), string(body))
	return out
}

// zerror decodes an error answer and checks its shape: the gRPC code, the
// message "<text> (<id>)" and one ErrorDetail with the same id and text.
func zerror(tb testing.TB, body []byte, grpc int, id string) zitadel.ErrorBody {
	tb.Helper()
	var out zitadel.ErrorBody
	require.NoError(tb, json.Unmarshal(body, &out), string(body))
	assert.Equal(tb, grpc, out.Code, string(body))
	if assert.Len(tb, out.Details, 1, string(body)) {
		d := out.Details[0]
		assert.Equal(tb, "type.googleapis.com/zitadel.v1.ErrorDetail", d.Type)
		assert.Equal(tb, id, d.ID, string(body))
		assert.Equal(tb, d.Message+" ("+id+")", out.Message)
	}
	return out
}
