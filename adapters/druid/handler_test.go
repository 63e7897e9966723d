package druid_test

import (
	"bytes"
	"context"
	"crypto/rand"
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

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// start is when every test's clock begins.
var start = adaptertest.Start

// clock is the settable clock shared by the engine and the adapter.
type clock = adaptertest.Clock

// newHandler builds the adapter over a fresh memory store with cfg and
// opts and seeds the demo user.
func newHandler(tb testing.TB, cfg druid.Config, opts ...update.Option) *druid.Handler {
	tb.Helper()
	h, err := druid.New(cfg, memory.New(), opts...)
	require.NoError(tb, err)
	require.NoError(tb, druid.SeedDemo(context.Background(), h.Engine()))
	return h
}

// env is one adapter over one engine over a memory store, served by
// httptest, with the demo data seeded.
type env struct {
	srv *httptest.Server
	eng *update.Engine
	rec *verify.Recorder
	clk *clock
}

// testConfig is the demo configuration plus the clients the tests need:
// plain-app may use the flow but not assert confirmed ids, noflow-app may
// not use the flow, scope-app gets tokens without the update scope.
func testConfig(clk *clock) druid.Config {
	cfg := druid.DemoConfig()
	cfg.Clients = append(cfg.Clients,
		druid.Client{ID: "plain-app", Secret: "plain-secret", ChallengeFlow: true, EntryPoints: []string{"plain-entrypoint"}},
		druid.Client{ID: "noflow-app", Secret: "noflow-secret", EntryPoints: []string{"noflow-entrypoint"}},
		druid.Client{ID: "scope-app", Secret: "scope-secret", ChallengeFlow: true, EntryPoints: []string{"scope-entrypoint"}, Scopes: []string{"profile"}},
	)
	cfg.Now = clk.Now
	cfg.PasswordCost = 4 // bcrypt's least; the cost is not what these tests are about
	cfg.Logger = slog.New(slog.DiscardHandler)
	return cfg
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, func(*druid.Config) {})
}

// newEnvWith is newEnv with the configuration changed by tune.
func newEnvWith(tb testing.TB, tune func(*druid.Config)) *env {
	tb.Helper()
	clk := adaptertest.NewClock(start)
	cfg := testConfig(clk)
	tune(&cfg)
	rec := &verify.Recorder{}
	h := newHandler(tb, cfg, update.WithDispatcher(rec))
	eng := h.Engine()
	ctx := context.Background()
	require.NoError(tb, druid.SeedDemo(ctx, eng), "seeding twice leaves the user alone")
	// A second user, holding the phone number a hostile request tries to take.
	_, err := eng.Create(ctx, update.CreateRequest{
		Type: druid.EntityType, ID: "druid-user-2", Client: druid.DemoClientID,
		Doc:      map[string]any{"email": "john@example.com", "phone_number": "+34600999888"},
		Verified: []string{"/email", "/phone_number"},
	})
	require.NoError(tb, err)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &env{srv: srv, eng: eng, rec: rec, clk: clk}
}

// newVerifier returns a fresh RFC 7636 code verifier (43 characters).
func newVerifier(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// response is what a test keeps of an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) post(tb testing.TB, path string, header http.Header, body []byte) response {
	tb.Helper()
	return e.send(tb, http.MethodPost, path, header, body)
}

// send sends body to path with method and header.
func (e *env) send(tb testing.TB, method, path string, header http.Header, body []byte) response {
	tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(tb, err)
	req.Header = header
	return e.do(tb, req)
}

// do sends req to the test server and reads the whole answer.
func (e *env) do(tb testing.TB, req *http.Request) response {
	tb.Helper()
	resp, err := e.srv.Client().Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// requestToken asks for a challenge-code token.
func (e *env) requestToken(tb testing.TB, form url.Values) response {
	tb.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return e.post(tb, druid.PathToken, h, []byte(form.Encode()))
}

func tokenForm(client, secret, method, challenge string) url.Values {
	return url.Values{
		"grant_type": {"urn:druid:oauth2:grant-type:code_challenge"}, "client_id": {client},
		"client_secret": {secret}, "code_challenge": {challenge}, "code_challenge_method": {method},
	}
}

// token returns a token for client (its secret is "<prefix>-secret" or the
// demo secret) bound to an S256 challenge, and the verifier answering it.
func (e *env) token(tb testing.TB, client, secret string) (tok, verifier string) {
	tb.Helper()
	verifier = newVerifier(tb)
	resp := e.requestToken(tb, tokenForm(client, secret, "S256", druid.S256Challenge(verifier)))
	require.Equal(tb, http.StatusOK, resp.status, string(resp.body))
	var tr druid.TokenResponse
	require.NoError(tb, json.Unmarshal(resp.body, &tr))
	return tr.AccessToken, verifier
}

func (e *env) demoToken(tb testing.TB) (string, string) {
	tb.Helper()
	return e.token(tb, druid.DemoClientID, druid.DemoSecret)
}

func updateHeader(tok, from string) http.Header {
	return http.Header{
		"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"},
		"Accept": {"application/json"}, "From": {from},
	}
}

// update sends an update with the token and verifier.
func (e *env) update(tb testing.TB, header http.Header, verifier string, body []byte) response {
	tb.Helper()
	return e.post(tb, druid.PathUpdate+"?code_verifier="+url.QueryEscape(verifier), header, body)
}

// state is what must not move when a request is refused.
type state struct {
	Version uint64
	Updated time.Time
	Doc     map[string]any
	History int
}

func (e *env) state(tb testing.TB, id string) state {
	tb.Helper()
	ctx := context.Background()
	v, err := e.eng.Get(ctx, druid.EntityType, update.ByID(id))
	require.NoError(tb, err)
	h, err := e.eng.History(ctx, druid.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return state{Version: v.Version, Updated: v.Updated, Doc: v.Doc, History: len(h)}
}

func (e *env) view(tb testing.TB, id string) *update.View {
	tb.Helper()
	v, err := e.eng.Get(context.Background(), druid.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return v
}

// errorBody decodes DRUID's error document, checking its status matches
// the HTTP status.
func errorBody(tb testing.TB, r response) druid.ErrorBody {
	tb.Helper()
	var body druid.ErrorBody
	require.NoError(tb, json.Unmarshal(r.body, &body), string(r.body))
	require.Equal(tb, r.status, body.Result.Status, "the body's status is the HTTP status")
	require.NotEmpty(tb, body.Result.Errors)
	return body
}

func messages(b druid.ErrorBody) string {
	var s []string
	for _, m := range b.Result.Errors {
		s = append(s, m.Message)
	}
	return strings.Join(s, " | ")
}
