package druid_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/update"
)

// self sends an update with a user's own access token: no code_verifier.
func (e *env) self(tb testing.TB, method, tok, from string, body []byte) response {
	tb.Helper()
	return e.send(tb, method, druid.PathUpdate, updateHeader(tok, from), body)
}

// withDynamicToken adds a login service that knows one more token,
// "login-token-2", naming druid-user-2, and fails on "login-down".
func withDynamicToken(cfg *druid.Config) {
	cfg.LookupUserToken = func(_ context.Context, tok string) (druid.UserToken, bool, error) {
		switch tok {
		case "login-token-2":
			return druid.UserToken{Token: tok, Client: druid.DemoClientID, UserID: "druid-user-2"}, true, nil
		case "login-down":
			return druid.UserToken{}, false, errors.New("login service unreachable")
		}
		return druid.UserToken{}, false, nil
	}
}

func TestSelfUpdate(t *testing.T) {
	t.Run("TheTokenNamesTheUser", func(t *testing.T) {
		e := newEnv(t)
		r := e.self(t, http.MethodPost, druid.DemoUserToken, druid.DemoEntryPoint, fixture(t, "self_update.json"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		v := e.view(t, druid.DemoUserID)
		assert.Equal(t, map[string]any{"name": "Jane", "surname": "Roe"}, v.Doc["datas"])
		h, err := e.eng.History(context.Background(), druid.EntityType, update.ByID(druid.DemoUserID))
		require.NoError(t, err)
		assert.Equal(t, druid.DemoClientID+"/self", h[len(h)-1].Client, "the history says the user's own token made the change")
	})
	t.Run("PatchToo", func(t *testing.T) {
		e := newEnv(t)
		r := e.self(t, http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, []byte(
			`{"actor":{"id":"demo-app","objectType":"application"},"verb":"update","object":{"objectType":"user","datas":{"surname":null}},"source":{"id":"pc","objectType":"device"}}`))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.Equal(t, map[string]any{"name": "Jane"}, e.view(t, druid.DemoUserID).Doc["datas"])
	})
	t.Run("AChangedEmailWaitsForItsCode", func(t *testing.T) {
		e := newEnv(t)
		r := e.self(t, http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, fixture(t, "patch_email.json"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.Contains(t, string(r.body), `"pending":["email"]`)
		assert.Equal(t, "jane@example.com", e.view(t, druid.DemoUserID).Doc["email"])
	})
	t.Run("ALoginServiceToken", func(t *testing.T) {
		e := newEnvWith(t, withDynamicToken)
		r := e.self(t, http.MethodPatch, "login-token-2", druid.DemoEntryPoint, []byte(
			`{"actor":{"id":"demo-app","objectType":"application"},"verb":"update","object":{"objectType":"user","datas":{"name":"John"}},"source":{"id":"pc","objectType":"device"}}`))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.Equal(t, map[string]any{"name": "John"}, e.view(t, "druid-user-2").Doc["datas"])
	})

	for _, tc := range []struct {
		name, method, token, from, fixture string
		status                             int
		msg                                string
	}{
		{"AUserThatDoesNotExist", http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, "self_patch_missing_user.json", 403, "the client may act only on its own record"},
		{"AnotherUser", http.MethodPost, druid.DemoUserToken, druid.DemoEntryPoint, "self_update_other_user.json", 403, "the client may act only on its own record"},
		{"APathTheSelfGrantLacks", http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, "self_patch_national_id.json", 403, "object.ids.national_id.value: may not be written by this client"},
		{"AssertingConfirmed", http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, "self_patch_assert_confirmed.json", 403, ""},
		{"AnotherApplicationsEntryPoint", http.MethodPost, druid.DemoUserToken, "plain-entrypoint", "self_update.json", 403, "the entry point does not belong to the application"},
		{"AnUnknownToken", http.MethodPost, "not-a-token", druid.DemoEntryPoint, "self_update.json", 401, "invalid token"},
		{"RemovingAConfirmedID", http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, "patch_remove_email.json", 400, "confirmed id cannot be removed, only replaced"},
		{"AnUnknownMember", http.MethodPatch, druid.DemoUserToken, druid.DemoEntryPoint, "patch_unknown_member.json", 400, "object.nickname: is not a user member"},
		{"TheLoginServiceFails", http.MethodPost, "login-down", druid.DemoEntryPoint, "self_update.json", 500, "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, withDynamicToken)
			st1, st2 := e.state(t, druid.DemoUserID), e.state(t, "druid-user-2")
			r := e.self(t, tc.method, tc.token, tc.from, fixture(t, tc.fixture))
			assert.Equal(t, tc.status, r.status, string(r.body))
			assert.Contains(t, messages(errorBody(t, r)), tc.msg)
			assert.Equal(t, st1, e.state(t, druid.DemoUserID))
			assert.Equal(t, st2, e.state(t, "druid-user-2"))
			assert.Empty(t, e.rec.Messages())
		})
	}
	t.Run("AUserTokenIsNoChallengeToken", func(t *testing.T) {
		e := newEnv(t)
		st := e.state(t, druid.DemoUserID)
		r := e.send(t, http.MethodPost, druid.PathUpdate+"?code_verifier="+url.QueryEscape(newVerifier(t)),
			updateHeader(druid.DemoUserToken, druid.DemoEntryPoint), fixture(t, "self_update.json"))
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "invalid token", messages(errorBody(t, r)))
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
}
