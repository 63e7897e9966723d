package druid_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// storeEnv is env over a store of the backend's, with the tokens in the
// records' store (spent in the update's transaction) or, when apart is
// set, in a store of their own (spent before the update).
func storeEnv(t *testing.T, be adaptertest.Backend, apart bool) (*env, storage.Store) {
	t.Helper()
	clk := adaptertest.NewClock(start)
	cfg := testConfig(clk)
	if apart {
		cfg.Tokens = memory.New()
	}
	store := be.Open(t)
	h, err := druid.New(cfg, store)
	require.NoError(t, err)
	require.NoError(t, druid.SeedDemo(context.Background(), h.Engine()))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{srv: srv, eng: h.Engine(), clk: clk}, store
}

// TestTokenSpentWithTheUpdate checks that a token spent in the update's
// own transaction answers every request exactly as a token spent before
// the update does, on every backend: the token is spent by the first
// request that presents it, whatever that request's outcome, and a
// token that cannot be spent answers before anything else.
func TestTokenSpentWithTheUpdate(t *testing.T) {
	datas := fixture(t, "update_datas.json")
	other := bytes.Replace(datas, []byte(`"Janet"`), []byte(`"Jana"`), 1)
	type step struct {
		name    string
		status  int
		message string
	}
	// script runs the requests on e and returns what each answered.
	script := func(t *testing.T, e *env) []step {
		var out []step
		record := func(name string, r response) {
			msg := ""
			if r.status != http.StatusOK && r.status != http.StatusNotModified {
				msg = messages(errorBody(t, r))
			}
			out = append(out, step{name, r.status, msg})
		}
		// call sends body with a fresh token (changed by forge), then the
		// same token again with a good request.
		call := func(name string, forge func(tok, ver string) (string, string, string), body []byte) {
			tok, ver := e.demoToken(t)
			ftok, fver, from := forge(tok, ver)
			record(name, e.update(t, updateHeader(ftok, from), fver, body))
			record(name+" then again", e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, other))
		}
		same := func(tok, ver string) (string, string, string) { return tok, ver, druid.DemoEntryPoint }
		call("updated", same, datas)
		call("no change", same, datas)
		call("malformed body", same, []byte(`{"actor":`))
		call("not the token's actor", same, bytes.Replace(datas, []byte(`"id": "demo-app"`), []byte(`"id": "plain-app"`), 1))
		call("user not found", same, bytes.Replace(datas, []byte(`"druid-user-1"`), []byte(`"nobody"`), 1))
		call("invalid data", same, bytes.Replace(datas, []byte(`"jane@example.com"`), []byte(`"not an email"`), 1))
		call("wrong entry point", func(tok, ver string) (string, string, string) { return tok, ver, "plain-entrypoint" }, datas)
		call("wrong verifier", func(tok, _ string) (string, string, string) {
			return tok, newVerifier(t), druid.DemoEntryPoint
		}, datas)
		call("no verifier", func(tok, _ string) (string, string, string) { return tok, "", druid.DemoEntryPoint }, datas)
		call("another client's name", func(tok, ver string) (string, string, string) {
			_, random, _ := strings.Cut(tok, ".")
			return base64.RawURLEncoding.EncodeToString([]byte("plain-app")) + "." + random, ver, "plain-entrypoint"
		}, datas)
		call("unknown token", func(_, ver string) (string, string, string) {
			return base64.RawURLEncoding.EncodeToString([]byte(druid.DemoClientID)) + ".forged", ver, druid.DemoEntryPoint
		}, []byte(`{"actor":`))
		tok, ver := e.token(t, "scope-app", "scope-secret")
		record("without the scope", e.update(t, updateHeader(tok, "scope-entrypoint"), ver, datas))
		tok, ver = e.demoToken(t)
		e.clk.Advance(61 * time.Second)
		record("expired", e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, []byte(`{"actor":`)))
		return out
	}
	want := []step{
		{"updated", 200, ""}, {"updated then again", 401, "token already used"},
		{"no change", 304, ""}, {"no change then again", 401, "token already used"},
		{"malformed body", 400, "the body is not valid JSON"}, {"malformed body then again", 401, "token already used"},
		{"not the token's actor", 403, "actor.id does not name the application the token was issued to"},
		{"not the token's actor then again", 401, "token already used"},
		{"user not found", 404, "user not found"}, {"user not found then again", 401, "token already used"},
		{"invalid data", 400, "invalid data | object.ids.email.value: is not a valid email address | object.ids.email: is confirmed and cannot be removed, only replaced"}, {"invalid data then again", 401, "token already used"},
		{"wrong entry point", 403, "the entry point does not belong to the application"},
		{"wrong entry point then again", 401, "token already used"},
		{"wrong verifier", 401, "code_verifier does not match the code challenge"},
		{"wrong verifier then again", 401, "token already used"},
		{"no verifier", 401, "code_verifier required"}, {"no verifier then again", 401, "token already used"},
		{"another client's name", 401, "invalid token"}, {"another client's name then again", 200, ""},
		{"unknown token", 401, "invalid token"}, {"unknown token then again", 304, ""},
		{"without the scope", 403, "token lacks the update scope"},
		{"expired", 401, "token expired"},
	}
	for _, be := range adaptertest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			inUpdate, _ := storeEnv(t, be, false)
			apart, _ := storeEnv(t, be, true)
			got := script(t, inUpdate)
			assert.Equal(t, want, got, "tokens spent in the update")
			assert.Equal(t, got, script(t, apart), "tokens spent in the update and apart answer alike")
		})
	}
}

// TestTokenWithoutClientName checks that a token that does not name its
// client (as an older version issued them) is still honoured: it is
// spent before the update.
func TestTokenWithoutClientName(t *testing.T) {
	for _, be := range adaptertest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e, store := storeEnv(t, be, false)
			verifier := newVerifier(t)
			tok := "an-older-token-without-a-name-0123456789"
			h := sha256.Sum256([]byte(tok))
			data := fmt.Sprintf(`{"client":%q,"scopes":["update"],"method":"S256","challenge":%q}`, druid.DemoClientID, druid.S256Challenge(verifier))
			require.NoError(t, store.(storage.Ephemeral).PutToken(context.Background(),
				storage.Token{Kind: "druid.token", Hash: h[:], Data: []byte(data), Expires: start.Add(time.Minute)}, start))
			r := e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, fixture(t, "update_datas.json"))
			assert.Equal(t, http.StatusOK, r.status, string(r.body))
			r = e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, fixture(t, "update_datas.json"))
			assert.Equal(t, http.StatusUnauthorized, r.status)
			assert.Equal(t, "token already used", messages(errorBody(t, r)))
		})
	}
}

// TestGrantStoredByEncodingJSON checks that tokens whose grant was stored
// by json.Marshal, as earlier versions stored every grant, are honoured
// when spent in the update's transaction, escapes and all, and that a
// grant that cannot be read refuses the update as before: the token is
// spent, nothing changes, and the answer is an internal error.
func TestGrantStoredByEncodingJSON(t *testing.T) {
	type storedGrant struct {
		Client    string   `json:"client"`
		Scopes    []string `json:"scopes"`
		Method    string   `json:"method"`
		Challenge string   `json:"challenge"`
	}
	for _, be := range adaptertest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e, store := storeEnv(t, be, false)
			put := func(data []byte) string {
				tok := base64.RawURLEncoding.EncodeToString([]byte(druid.DemoClientID)) + "." + base64.RawURLEncoding.EncodeToString([]byte(newVerifier(t)[:32]))
				h := sha256.Sum256([]byte(tok))
				require.NoError(t, store.(storage.Ephemeral).PutToken(context.Background(),
					storage.Token{Kind: "druid.token", Hash: h[:], Data: data, Expires: e.clk.Now().Add(time.Minute)}, e.clk.Now()))
				return tok
			}
			datas := fixture(t, "update_datas.json")
			for i, g := range []storedGrant{
				{Client: druid.DemoClientID, Scopes: []string{"update"}, Method: "S256"},
				{Client: druid.DemoClientID, Scopes: []string{"read<&>", "update"}, Method: "S256"},
				{Client: druid.DemoClientID, Scopes: []string{"update"}, Method: "plain"},
			} {
				verifier := newVerifier(t)
				g.Challenge = verifier
				if g.Method == "S256" {
					g.Challenge = druid.S256Challenge(verifier)
				}
				data, err := json.Marshal(g)
				require.NoError(t, err)
				tok := put(data)
				body := datas
				if i%2 == 1 {
					body = bytes.Replace(datas, []byte(`"Janet"`), []byte(`"Jana"`), 1)
				}
				r := e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, body)
				assert.Equal(t, http.StatusOK, r.status, "%s: %s", data, r.body)
				r = e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, body)
				assert.Equal(t, http.StatusUnauthorized, r.status, "%s", data)
			}
			before, err := store.Get(context.Background(), druid.EntityType, druid.DemoUserID)
			require.NoError(t, err)
			for _, data := range []string{`{"client":"demo-app","scopes":["update"],"method":"S256","challenge":"x"`, `not json`, ``} {
				verifier := newVerifier(t)
				tok := put([]byte(data))
				r := e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, bytes.Replace(datas, []byte(`"Janet"`), []byte(`"Jolene"`), 1))
				assert.Equal(t, http.StatusInternalServerError, r.status, "%q", data)
				assert.Equal(t, "internal error", messages(errorBody(t, r)), "the cause is logged, not answered")
				r = e.update(t, updateHeader(tok, druid.DemoEntryPoint), verifier, datas)
				assert.Equal(t, "token already used", messages(errorBody(t, r)), "%q", data)
			}
			after, err := store.Get(context.Background(), druid.EntityType, druid.DemoUserID)
			require.NoError(t, err)
			assert.Equal(t, before.Version, after.Version)
		})
	}
}
