package druid_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/update"
)

func TestFlow(t *testing.T) {
	e := newEnv(t)
	body := fixture(t, "flow_update.json")

	// Token with an S256 challenge.
	verifier := newVerifier(t)
	resp := e.requestToken(t, tokenForm(druid.DemoClientID, druid.DemoSecret, "S256", druid.S256Challenge(verifier)))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	var tr druid.TokenResponse
	require.NoError(t, json.Unmarshal(resp.body, &tr))
	assert.NotEmpty(t, tr.AccessToken)
	assert.Equal(t, "bearer", tr.TokenType)
	assert.Equal(t, 60, tr.ExpiresIn)
	assert.Equal(t, "update", tr.Scope)
	assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))

	// Email changed, not confirmed: 200, pending, the old email established.
	before := e.state(t, druid.DemoUserID)
	resp = e.update(t, updateHeader(tr.AccessToken, druid.DemoEntryPoint), verifier, body)
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	assert.JSONEq(t, string(fixture(t, "flow_update.response.json")), string(resp.body))
	v := e.view(t, druid.DemoUserID)
	assert.Equal(t, "jane@example.com", v.Doc["email"], "the old email stays until the new one is confirmed")
	assert.Equal(t, true, v.Doc["emailConfirmed"])
	assert.Greater(t, v.Version, before.Version)
	code, sent := e.rec.CodeFor("jane.new@example.com")
	require.True(t, sent, "a code went to the new address")
	afterUpdate := e.state(t, druid.DemoUserID)

	t.Run("SameRequestAgainIsNotModified", func(t *testing.T) {
		tok, ver := e.demoToken(t)
		resp := e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, body)
		assert.Equal(t, http.StatusNotModified, resp.status)
		assert.Empty(t, resp.body)
		assert.Equal(t, afterUpdate, e.state(t, druid.DemoUserID), "nothing written")
	})

	t.Run("ReusedVerifierIsUnauthorized", func(t *testing.T) {
		// The same token again, and a new token bound to the same challenge.
		resp := e.update(t, updateHeader(tr.AccessToken, druid.DemoEntryPoint), verifier, body)
		assert.Equal(t, http.StatusUnauthorized, resp.status)
		assert.Contains(t, messages(errorBody(t, resp)), "token already used")

		again := e.requestToken(t, tokenForm(druid.DemoClientID, druid.DemoSecret, "S256", druid.S256Challenge(verifier)))
		require.Equal(t, http.StatusOK, again.status)
		var tr2 druid.TokenResponse
		require.NoError(t, json.Unmarshal(again.body, &tr2))
		resp = e.update(t, updateHeader(tr2.AccessToken, druid.DemoEntryPoint), verifier, fixture(t, "update_datas.json"))
		assert.Equal(t, http.StatusUnauthorized, resp.status)
		assert.Contains(t, messages(errorBody(t, resp)), "code_verifier already used")
		assert.Equal(t, afterUpdate, e.state(t, druid.DemoUserID))
	})

	t.Run("ConfirmEstablishesTheNewEmail", func(t *testing.T) {
		confirm := bytes.ReplaceAll(fixture(t, "flow_confirm.json"), []byte("{{code}}"), []byte(code))
		resp := e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), confirm)
		require.Equal(t, http.StatusOK, resp.status, string(resp.body))
		assert.JSONEq(t, `{"result":{"status":200}}`, string(resp.body))
		v := e.view(t, druid.DemoUserID)
		assert.Equal(t, "jane.new@example.com", v.Doc["email"])
		assert.Equal(t, true, v.Doc["emailConfirmed"])
		assert.Equal(t, "+34600111222", v.Doc["phone_number"])

		confirmed := e.state(t, druid.DemoUserID)
		resp = e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), confirm)
		assert.Equal(t, http.StatusBadRequest, resp.status)
		assert.Equal(t, "code has already been used", errorBody(t, resp).Result.Errors[0].Message)
		assert.Equal(t, confirmed, e.state(t, druid.DemoUserID))
	})

	t.Run("TokenPastSixtySecondsIsUnauthorized", func(t *testing.T) {
		tok, ver := e.demoToken(t)
		e.clk.Advance(61 * time.Second)
		st := e.state(t, druid.DemoUserID)
		resp := e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(t, "update_datas.json"))
		assert.Equal(t, http.StatusUnauthorized, resp.status)
		assert.Contains(t, messages(errorBody(t, resp)), "token expired")
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
}

func TestReplaceOmittingDatasKeepsPasswordAndID(t *testing.T) {
	e := newEnv(t)
	tok, ver := e.demoToken(t)
	resp := e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(t, "update_password.json"))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	assert.NotContains(t, string(resp.body), "correct-horse-battery")
	assert.NotContains(t, string(resp.body), "password")
	before := e.view(t, druid.DemoUserID)
	require.Contains(t, before.HasSecret, "/password")
	require.Contains(t, before.Doc, "datas")

	tok, ver = e.demoToken(t)
	resp = e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(t, "update_no_datas.json"))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	var body druid.Body
	require.NoError(t, json.Unmarshal(resp.body, &body))
	require.NotNil(t, body.Object)
	assert.Nil(t, body.Object.Datas)
	assert.Equal(t, druid.DemoUserID, body.Object.ID)
	assert.Empty(t, body.Result.Pending)

	after := e.view(t, druid.DemoUserID)
	assert.NotContains(t, after.Doc, "datas", "what a replacement does not send is removed")
	assert.Equal(t, map[string]any{"optin": map[string]any{"value": true}}, after.Doc["assertions"])
	assert.Contains(t, after.HasSecret, "/password", "the password hash is kept")
	assert.Equal(t, before.ID, after.ID)
	assert.Equal(t, before.Created, after.Created)
	assert.Equal(t, true, after.Doc["emailConfirmed"])
	assert.Equal(t, true, after.Doc["phoneNumberConfirmed"])
}

func entryHeader(from string) http.Header {
	return http.Header{"Content-Type": {"application/json"}, "From": {from}}
}

func TestSamePasswordAgainIsNotModified(t *testing.T) {
	e := newEnv(t)
	tok, ver := e.demoToken(t)
	resp := e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(t, "update_password.json"))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	before := e.state(t, druid.DemoUserID)

	tok, ver = e.demoToken(t)
	resp = e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(t, "update_password.json"))
	assert.Equal(t, http.StatusNotModified, resp.status, string(resp.body))
	assert.Equal(t, before, e.state(t, druid.DemoUserID))

	changed := bytes.Replace(fixture(t, "update_password.json"), []byte("correct-horse-battery"), []byte("another-long-password"), 1)
	tok, ver = e.demoToken(t)
	resp = e.update(t, updateHeader(tok, druid.DemoEntryPoint), ver, changed)
	assert.Equal(t, http.StatusOK, resp.status, "a new password is a change")
	assert.Greater(t, e.state(t, druid.DemoUserID).Version, before.Version)
	hist, err := e.eng.History(t.Context(), druid.EntityType, update.ByID(druid.DemoUserID))
	require.NoError(t, err)
	last := hist[len(hist)-1]
	require.Len(t, last.Changes, 1)
	assert.Equal(t, "/password", last.Changes[0].Path)
	assert.Equal(t, update.Redacted, last.Changes[0].New)
}

// TestRacingOneTokenWinsOnce sends one token and verifier many times at
// once: exactly one request may get past the token check.
func TestRacingOneTokenWinsOnce(t *testing.T) {
	e := newEnv(t)
	tok, ver := e.demoToken(t)
	body := fixture(t, "update_datas.json")
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			// No require here: FailNow must not run outside the test's goroutine.
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+druid.PathUpdate+"?code_verifier="+ver, bytes.NewReader(body))
			if err != nil {
				statuses <- -1
				return
			}
			req.Header = updateHeader(tok, druid.DemoEntryPoint)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusUnauthorized: n - 1}, count)
	assert.Equal(t, map[string]any{"name": "Janet", "surname": "Doe"}, e.view(t, druid.DemoUserID).Doc["datas"])
}
