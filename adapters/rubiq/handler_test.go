package rubiq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

const (
	appToken      = "demo-rubiq-app"
	readonlyToken = "demo-rubiq-readonly"
)

// env is one engine over a fresh memory store with the demo records, the
// Rubiq handler in front of it and a real HTTP server around that.
type env struct {
	tb    testing.TB
	srv   *httptest.Server
	eng   *update.Engine
	store storage.Store
	rec   *verify.Recorder
	clk   *adaptertest.Clock
}

// newEnv builds an env from the demo config, with the extra contract
// "account" (name and email, the seed document's example) on the demo app,
// after applying adjust to the config.
func newEnv(tb testing.TB, adjust ...func(*rubiq.Config)) *env {
	tb.Helper()
	return newEnvWith(tb, memory.New(), nil, adjust...)
}

// newEnvWith is newEnv over store, with opts given to the engine after
// the recording dispatcher.
func newEnvWith(tb testing.TB, store storage.Store, opts []update.Option, adjust ...func(*rubiq.Config)) *env {
	tb.Helper()
	cfg := rubiq.DemoConfig()
	cfg.Apps[0].Contracts["account"] = []string{rubiq.FieldName, rubiq.FieldEmail}
	cfg.Logger = slog.New(slog.DiscardHandler)
	for _, f := range adjust {
		f(&cfg)
	}
	clk := adaptertest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rec := &verify.Recorder{}
	cfg.Now = clk.Now
	h, err := rubiq.New(cfg, store, append([]update.Option{update.WithDispatcher(rec)}, opts...)...)
	require.NoError(tb, err)
	eng := h.Engine()
	require.NoError(tb, rubiq.SeedDemo(context.Background(), eng))
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &env{tb: tb, srv: srv, eng: eng, store: store, rec: rec, clk: clk}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; token "" sends no Authorization header.
func (e *env) do(method, path, token string, body []byte) response {
	e.tb.Helper()
	res, err := e.try(method, path, token, body)
	require.NoError(e.tb, err)
	return res
}

// try is do for goroutines other than the test's: it reports an error
// instead of failing the test.
func (e *env) try(method, path, token string, body []byte) (response, error) {
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

// put sends a 1003 update as the demo app with the body of a request
// fixture.
func (e *env) put(path, fixtureName string) response {
	e.tb.Helper()
	return e.do(http.MethodPut, path, appToken, fixture(e.tb, "requests/"+fixtureName))
}

// verifyCode sends a 2004 verify with code as the demo app.
func (e *env) verifyCode(path, code string) response {
	e.tb.Helper()
	b, err := json.Marshal(map[string]string{"code": code})
	require.NoError(e.tb, err)
	return e.do(http.MethodPost, path, appToken, b)
}

// codeFor returns the last code sent to address.
func (e *env) codeFor(address string) string {
	e.tb.Helper()
	code, ok := e.rec.CodeFor(address)
	require.True(e.tb, ok, "no code was sent to %s", address)
	return code
}

// create adds an entity beside the demo ones.
func (e *env) create(id string, doc map[string]any, state storage.RecordState) {
	e.tb.Helper()
	_, err := e.eng.Create(context.Background(), update.CreateRequest{
		Type: rubiq.EntityType, ID: id, Client: rubiq.SeedClient, Doc: doc, State: state,
	})
	require.NoError(e.tb, err)
}

// snapshot is what a refused request must leave as it was.
type snapshot struct {
	Version uint64
	Updated time.Time
	Doc     map[string]any
	Pending []update.PendingInfo
	Events  int
}

func (e *env) snapshot(id string) snapshot {
	e.tb.Helper()
	ctx := context.Background()
	v, err := e.eng.Get(ctx, rubiq.EntityType, update.ByID(id))
	require.NoError(e.tb, err)
	h, err := e.eng.History(ctx, rubiq.EntityType, update.ByID(id))
	require.NoError(e.tb, err)
	return snapshot{Version: v.Version, Updated: v.Updated, Doc: v.Doc, Pending: v.Pending, Events: len(h)}
}

func (e *env) doc(id string) map[string]any {
	e.tb.Helper()
	return e.snapshot(id).Doc
}

// assertAnswer checks the HTTP status and the body against a response
// fixture. An entry of "errors" in the fixture without a "message" leaves
// the message to the engine: only field and rule are compared.
func assertAnswer(tb testing.TB, res response, status int, fixtureName string) {
	tb.Helper()
	assert.Equal(tb, status, res.status, "body: %s", res.body)
	if fixtureName == "" {
		assert.Empty(tb, res.body)
		return
	}
	var want, got map[string]any
	require.NoError(tb, json.Unmarshal(fixture(tb, "responses/"+fixtureName+".json"), &want))
	require.NoError(tb, json.Unmarshal(res.body, &got), "body: %s", res.body)
	wantErrs, _ := want["errors"].([]any)
	gotErrs, _ := got["errors"].([]any)
	if len(wantErrs) == len(gotErrs) {
		for i := range wantErrs {
			w, _ := wantErrs[i].(map[string]any)
			g, _ := gotErrs[i].(map[string]any)
			if _, ok := w["message"]; !ok && g != nil {
				assert.NotEmpty(tb, g["message"], "every error says why")
				delete(g, "message")
			}
		}
	}
	assert.Equal(tb, want, got)
	assert.Equal(tb, "application/json; charset=utf-8", res.header.Get("Content-Type"))
}
