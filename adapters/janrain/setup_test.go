package janrain_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Demo credentials (see janrain.DemoConfig).
const (
	ownerID      = "sgnyvus6pc4jm7khr2neq5gs89gbr2eq"
	ownerSecret  = "wt4c3un9wkkcfvyknqx44ync476afs68"
	readerID     = "demo_reader"
	readerSecret = "demo_reader_secret"
)

// newClock returns a clock that moves on by 1.5 s at every reading, so
// each commit gets its own time without sleeping.
func newClock() *adaptertest.Clock {
	return adaptertest.NewStepClock(time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC), 1500*time.Millisecond)
}

// env is one adapter over a fresh memory store with the demo records.
type env struct {
	eng   *update.Engine
	store storage.Store
	srv   *httptest.Server
	cfg   janrain.Config
}

func newEnv(tb testing.TB) *env { return newEnvWith(tb, memory.New(), testConfig()) }

// testConfig is the demo config plus one client of every other class.
func testConfig() janrain.Config {
	cfg := janrain.DemoConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Clients = append(cfg.Clients,
		janrain.Client{ID: "direct", Secret: "direct_secret", Class: janrain.DirectAccess},
		janrain.Client{ID: "issuer", Secret: "issuer_secret", Class: janrain.AccessIssuer},
		janrain.Client{ID: "login", Secret: "login_secret", Class: janrain.LoginClient},
	)
	return cfg
}

func newEnvWith(tb testing.TB, store storage.Store, cfg janrain.Config) *env {
	tb.Helper()
	cfg.Now = newClock().Now
	return newEnvClock(tb, store, cfg)
}

// newEnvClock is newEnvWith keeping the clock cfg.Now.
func newEnvClock(tb testing.TB, store storage.Store, cfg janrain.Config) *env {
	tb.Helper()
	h, err := janrain.New(cfg, store, update.WithDispatcher(&verify.Recorder{}))
	require.NoError(tb, err)
	eng := h.Engine()
	require.NoError(tb, janrain.SeedDemo(context.Background(), eng))
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &env{eng: eng, store: store, srv: srv, cfg: cfg}
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// response is one HTTP answer with its body decoded.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// post sends form to /op as the owner client.
func (e *env) post(tb testing.TB, op string, form url.Values) response {
	tb.Helper()
	return e.do(tb, http.MethodPost, op, basic(ownerID, ownerSecret), "application/x-www-form-urlencoded", form.Encode())
}

func (e *env) do(tb testing.TB, method, op, auth, contentType, body string) response {
	tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/"+op, strings.NewReader(body))
	require.NoError(tb, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(tb, req)
}

func send(tb testing.TB, req *http.Request) response {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	require.NoError(tb, dec.Decode(&body), "body: %s", raw)
	return response{status: resp.StatusCode, header: resp.Header, body: body, raw: raw}
}

// view reads a record straight from the engine.
func (e *env) view(tb testing.TB, id string) *update.View {
	tb.Helper()
	v, err := e.eng.Get(context.Background(), janrain.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return v
}

// snapshot is what must not move when a request is refused.
type snapshot struct {
	Version uint64
	Updated time.Time
	Events  int
	Doc     map[string]any
}

func (e *env) snapshot(tb testing.TB, id string) snapshot {
	tb.Helper()
	v := e.view(tb, id)
	h, err := e.eng.History(context.Background(), janrain.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return snapshot{Version: v.Version, Updated: v.Updated, Events: len(h), Doc: v.Doc}
}

// form builds url.Values from name, value pairs.
func form(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}

func memoryStore() storage.Store { return memory.New() }
