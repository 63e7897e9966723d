package druid_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
)

// call is one update as a hostile test sends it.
type call struct {
	header   http.Header
	verifier string
	body     []byte
}

// TestHostileUpdates sends requests that must be refused, each with the
// vendor's error body, and checks that none of them changed either user.
func TestHostileUpdates(t *testing.T) {
	e := newEnv(t)
	// valid returns a call that would succeed (datas change) with a fresh
	// demo token; each case breaks one thing.
	valid := func(t *testing.T) call {
		tok, ver := e.demoToken(t)
		return call{header: updateHeader(tok, druid.DemoEntryPoint), verifier: ver, body: fixture(t, "update_datas.json")}
	}
	withBody := func(name string) func(*testing.T, *call) {
		return func(t *testing.T, c *call) { c.body = fixture(t, name) }
	}
	plainApp := func(t *testing.T, c *call) {
		tok, ver := e.token(t, "plain-app", "plain-secret")
		c.header, c.verifier = updateHeader(tok, "plain-entrypoint"), ver
	}
	tokenWith := func(method string, challenge func(verifier string) string, send func(verifier string) string) func(*testing.T, *call) {
		return func(t *testing.T, c *call) {
			ver := newVerifier(t)
			resp := e.requestToken(t, tokenForm(druid.DemoClientID, druid.DemoSecret, method, challenge(ver)))
			require.Equal(t, http.StatusOK, resp.status, string(resp.body))
			var tr druid.TokenResponse
			require.NoError(t, json.Unmarshal(resp.body, &tr))
			c.header.Set("Authorization", "Bearer "+tr.AccessToken)
			c.verifier = send(ver)
		}
	}
	same := func(v string) string { return v }

	tests := []struct {
		name    string
		change  func(*testing.T, *call)
		status  int
		message string // a part of the error messages
	}{
		{"BadJSONIs400", withBody("hostile/bad_json.json"), 400, "not valid JSON"},
		{"MissingActorIs400", withBody("hostile/missing_actor.json"), 400, "actor: is required"},
		{"MissingObjectIs400", withBody("hostile/missing_object.json"), 400, "object: is required"},
		{"WrongObjectTypeIs400", withBody("hostile/wrong_object_type.json"), 400, `object.objectType: must be "user"`},
		{"WrongSourceIDIs400", withBody("hostile/wrong_source_id.json"), 400, "source.id: must be one of"},
		{"WrongTypesInsideIDsIs400", withBody("hostile/wrong_id_types.json"), 400, "object.ids.email.value: must be a string"},
		{"UnknownMemberIs400", withBody("hostile/unknown_member.json"), 400, "object.isAdmin: is not a user member"},
		{"ServerOwnedMemberIs400", withBody("hostile/server_owned.json"), 400, "object.createdOn: is set by the server"},
		{"InvalidEmailIs400", withBody("hostile/invalid_email.json"), 400, "object.ids.email.value"},
		{"ShortPasswordIs400", withBody("hostile/short_password.json"), 400, "object.password"},
		{"DroppingConfirmedEmailIs400", withBody("hostile/drops_confirmed_email.json"), 400, "object.ids.email: is confirmed and cannot be removed"},
		{"TakenPhoneIs409", withBody("hostile/taken_phone.json"), 409, "id already in use"},
		{"UnknownUserIs404", withBody("hostile/unknown_user.json"), 404, "user not found"},
		{"OtherActorIs403", withBody("hostile/other_actor.json"), 403, "actor.id does not name"},
		{"ConfirmedWithoutPermissionIs403", func(t *testing.T, c *call) {
			plainApp(t, c)
			c.body = fixture(t, "hostile/asserts_confirmed.json")
		}, 403, "object.ids.email.value: may not be set as verified"},
		{"DeepNestingIs413", func(t *testing.T, c *call) {
			deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
			c.body = bytes.Replace(c.body, []byte(`"Janet"`), []byte(deep), 1)
		}, 413, "nests too deeply"},
		{"TenMegabyteBodyIs413", func(t *testing.T, c *call) {
			c.body = bytes.Replace(c.body, []byte(`"Janet"`), []byte(`"`+strings.Repeat("x", 10<<20)+`"`), 1)
		}, 413, "too large"},
		{"InvalidUTF8Is400", func(t *testing.T, c *call) {
			c.body = bytes.Replace(c.body, []byte(`Janet`), []byte("Jan\xffet"), 1)
		}, 400, "not valid UTF-8"},
		{"MissingFromIs400", func(t *testing.T, c *call) { c.header.Del("From") }, 400, "From header"},
		{"ForeignEntryPointIs403", func(t *testing.T, c *call) { c.header.Set("From", "plain-entrypoint") }, 403, "entry point"},
		{"WrongContentTypeIs400", func(t *testing.T, c *call) { c.header.Set("Content-Type", "text/plain") }, 400, "Content-Type"},
		{"MissingTokenIs401", func(t *testing.T, c *call) { c.header.Del("Authorization") }, 401, "Bearer token required"},
		{"UnknownTokenIs401", func(t *testing.T, c *call) { c.header.Set("Authorization", "Bearer forged") }, 401, "invalid token"},
		{"MissingVerifierIs401", func(t *testing.T, c *call) { c.verifier = "" }, 401, "code_verifier required"},
		{"S256VerifierNotMatchingIs401", func(t *testing.T, c *call) { c.verifier = newVerifier(t) }, 401, "does not match"},
		{"PlainChallengeAnsweredAsS256Is401", tokenWith("plain",
			func(v string) string { return druid.S256Challenge(v) }, same), 401, "does not match"},
		{"S256ChallengeAnsweredAsPlainIs401", tokenWith("S256",
			same, same), 401, "does not match"},
		{"NoUpdateScopeIs403", func(t *testing.T, c *call) {
			tok, ver := e.token(t, "scope-app", "scope-secret")
			c.header, c.verifier = updateHeader(tok, "scope-entrypoint"), ver
		}, 403, "scope"},
	}
	require.GreaterOrEqual(t, len(tests), 15)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid(t)
			tt.change(t, &c)
			jane, john := e.state(t, druid.DemoUserID), e.state(t, "druid-user-2")
			resp := e.update(t, c.header, c.verifier, c.body)
			assert.Equal(t, tt.status, resp.status, string(resp.body))
			body := errorBody(t, resp)
			assert.Contains(t, messages(body), tt.message)
			assert.Equal(t, jane, e.state(t, druid.DemoUserID), "the user is unchanged")
			assert.Equal(t, john, e.state(t, "druid-user-2"), "the other user is unchanged")
			assert.Empty(t, e.rec.Messages(), "no code was sent")
		})
	}
	t.Run("VerifierSentTwiceIs401", func(t *testing.T) {
		c := valid(t)
		jane := e.state(t, druid.DemoUserID)
		resp := e.post(t, druid.PathUpdate+"?code_verifier="+c.verifier+"&code_verifier="+url.QueryEscape(c.verifier), c.header, c.body)
		assert.Equal(t, http.StatusUnauthorized, resp.status)
		errorBody(t, resp)
		assert.Equal(t, jane, e.state(t, druid.DemoUserID))
	})
}

func TestWrongMethodIsVendor405(t *testing.T) {
	e := newEnv(t)
	allow := map[string]string{druid.PathUpdate: "POST, PATCH"}
	for _, path := range []string{druid.PathToken, druid.PathUpdate, druid.PathConfirm, druid.PathResend, druid.PathBulk} {
		t.Run(path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			require.NoError(t, err)
			resp, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
			want := allow[path]
			if want == "" {
				want = "POST"
			}
			assert.Equal(t, want, resp.Header.Get("Allow"))
			var body druid.ErrorBody
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, 405, body.Result.Status)
		})
	}
}

func TestToken(t *testing.T) {
	e := newEnv(t)
	good := func() url.Values {
		return tokenForm(druid.DemoClientID, druid.DemoSecret, "S256", druid.S256Challenge(newVerifier(t)))
	}
	tests := []struct {
		name    string
		form    func() url.Values
		status  int
		message string
	}{
		{"WrongSecretIs401", func() url.Values { f := good(); f.Set("client_secret", "guess"); return f }, 401, "invalid client credentials"},
		{"UnknownClientIs401", func() url.Values { f := good(); f.Set("client_id", "nobody"); return f }, 401, "invalid client credentials"},
		{"ClientWithoutFlowIs403", func() url.Values {
			f := good()
			f.Set("client_id", "noflow-app")
			f.Set("client_secret", "noflow-secret")
			return f
		}, 403, "challenge-code flow"},
		{"WrongGrantIs400", func() url.Values { f := good(); f.Set("grant_type", "client_credentials"); return f }, 400, "grant_type"},
		{"UnknownMethodIs400", func() url.Values { f := good(); f.Set("code_challenge_method", "S512"); return f }, 400, "code_challenge_method"},
		{"ShortChallengeIs400", func() url.Values { f := good(); f.Set("code_challenge", "abc"); return f }, 400, "43 characters (got 3)"},
		{"ShortPlainChallengeSaysTheLength", func() url.Values {
			f := good()
			f.Set("code_challenge_method", "plain")
			f.Set("code_challenge", "short-verifier")
			return f
		}, 400, "it must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (got 14)"},
		{"MissingChallengeIs400", func() url.Values { f := good(); f.Del("code_challenge"); return f }, 400, "code_challenge"},
		{"ScopeNotHeldIs403", func() url.Values { f := good(); f.Set("scope", "update admin"); return f }, 403, "scope admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.requestToken(t, tt.form())
			assert.Equal(t, tt.status, resp.status)
			assert.Contains(t, messages(errorBody(t, resp)), tt.message)
			assert.NotContains(t, string(resp.body), "access_token")
		})
	}
	t.Run("FormFieldTwiceIs400", func(t *testing.T) {
		body := good().Encode() + "&client_id=demo-app"
		resp := e.post(t, druid.PathToken, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(body))
		assert.Equal(t, http.StatusBadRequest, resp.status)
		errorBody(t, resp)
	})
	t.Run("JSONBodyIs400", func(t *testing.T) {
		resp := e.post(t, druid.PathToken, http.Header{"Content-Type": {"application/json"}}, []byte(`{}`))
		assert.Equal(t, http.StatusBadRequest, resp.status)
		errorBody(t, resp)
	})
	t.Run("PlainChallengeWorks", func(t *testing.T) {
		ver := newVerifier(t)
		resp := e.requestToken(t, tokenForm(druid.DemoClientID, druid.DemoSecret, "plain", ver))
		require.Equal(t, http.StatusOK, resp.status)
		var tr druid.TokenResponse
		require.NoError(t, json.Unmarshal(resp.body, &tr))
		resp = e.update(t, updateHeader(tr.AccessToken, druid.DemoEntryPoint), ver, fixture(t, "update_datas.json"))
		require.Equal(t, http.StatusOK, resp.status, string(resp.body))
		assert.Equal(t, map[string]any{"name": "Janet", "surname": "Doe"}, e.view(t, druid.DemoUserID).Doc["datas"])
	})
}
