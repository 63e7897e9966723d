package druid_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// patch sends a partial update with a fresh demo-app token.
func (e *env) patch(tb testing.TB, body []byte) response {
	tb.Helper()
	tok, verifier := e.demoToken(tb)
	return e.send(tb, http.MethodPatch, druid.PathUpdate+"?code_verifier="+url.QueryEscape(verifier),
		updateHeader(tok, druid.DemoEntryPoint), body)
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(tb testing.TB, want, got []byte) {
	tb.Helper()
	var w, g any
	require.NoError(tb, json.Unmarshal(want, &w), string(want))
	require.NoError(tb, json.Unmarshal(got, &g), string(got))
	assert.Equal(tb, w, g, string(got))
}

func TestPatch(t *testing.T) {
	t.Run("ChangesOnlyWhatIsSentAndNullRemoves", func(t *testing.T) {
		e := newEnv(t)
		before := e.view(t, druid.DemoUserID)
		r := e.patch(t, fixture(t, "patch_datas.json"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		jsonEqual(t, fixture(t, "patch_datas.response.json"), r.body)
		after := e.view(t, druid.DemoUserID)
		assert.Equal(t, before.Version+1, after.Version)
		assert.Equal(t, before.Doc["email"], after.Doc["email"], "ids not sent stay")
	})
	t.Run("AgainIsNotModified", func(t *testing.T) {
		e := newEnv(t)
		require.Equal(t, http.StatusOK, e.patch(t, fixture(t, "patch_datas.json")).status)
		st := e.state(t, druid.DemoUserID)
		r := e.patch(t, fixture(t, "patch_datas.json"))
		assert.Equal(t, http.StatusNotModified, r.status)
		assert.Empty(t, r.body)
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
	t.Run("ReplacedEmailWaitsAndTheOldStays", func(t *testing.T) {
		e := newEnv(t)
		r := e.patch(t, fixture(t, "patch_email.json"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var body druid.Body
		require.NoError(t, json.Unmarshal(r.body, &body))
		assert.Equal(t, []string{"email"}, body.Result.Pending)
		assert.Equal(t, "jane@example.com", body.Object.IDs["email"].Value, "the old address stays established")
		assert.True(t, *body.Object.IDs["email"].Confirmed)

		msgs := e.rec.Messages()
		require.Len(t, msgs, 1)
		assert.Equal(t, "jane.new@example.com", msgs[0].To)
		c := e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint),
			[]byte(`{"verb":"confirm","object":{"id":"druid-user-1"},"context":{"code":"`+msgs[0].Code+`"}}`))
		require.Equal(t, http.StatusOK, c.status, string(c.body))
		v := e.view(t, druid.DemoUserID)
		assert.Equal(t, "jane.new@example.com", v.Doc["email"])
		assert.Equal(t, true, v.Doc["emailConfirmed"])
	})
	for _, tc := range []struct {
		name, fixture string
		status        int
		want          string // the whole answer, a fixture; or "" and msg
		msg           string
	}{
		{"RemovingAConfirmedIDIsRefused", "patch_remove_email.json", 400, "patch_remove_email.response.json", ""},
		{"RemovingThePasswordIsRefused", "patch_remove_password.json", 400, "", "object.password: cannot be removed, only replaced"},
		{"UnknownMemberIsRefused", "patch_unknown_member.json", 400, "", "object.nickname: is not a user member"},
		{"MalformedJSON", "hostile/bad_json.json", 400, "", "the body is not valid JSON"},
		{"ServerOwnedMember", "hostile/server_owned.json", 400, "", "object.createdOn: is set by the server and cannot be sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			st := e.state(t, druid.DemoUserID)
			r := e.patch(t, fixture(t, tc.fixture))
			assert.Equal(t, tc.status, r.status, string(r.body))
			if tc.want != "" {
				jsonEqual(t, fixture(t, tc.want), r.body)
			} else {
				assert.Contains(t, messages(errorBody(t, r)), tc.msg)
			}
			assert.Equal(t, st, e.state(t, druid.DemoUserID), "a refused patch changes nothing")
			assert.Empty(t, e.rec.Messages())
		})
	}
	t.Run("TooLargeAndTooDeep", func(t *testing.T) {
		e := newEnv(t)
		st := e.state(t, druid.DemoUserID)
		big := strings.Replace(string(fixture(t, "patch_datas.json")), `"Janet"`, `"`+strings.Repeat("x", 70<<10)+`"`, 1)
		deep := strings.Replace(string(fixture(t, "patch_datas.json")), `"Janet"`, strings.Repeat(`{"a":`, 20)+`1`+strings.Repeat(`}`, 20), 1)
		for body, msg := range map[string]string{big: "the request body is too large: it is larger than 65536 bytes", deep: "the body nests too deeply"} {
			r := e.patch(t, []byte(body))
			assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
			assert.Equal(t, msg, messages(errorBody(t, r)))
		}
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
	t.Run("NeedsAValidToken", func(t *testing.T) {
		e := newEnv(t)
		st := e.state(t, druid.DemoUserID)
		r := e.send(t, http.MethodPatch, druid.PathUpdate+"?code_verifier=x", updateHeader("no-such-token", druid.DemoEntryPoint), fixture(t, "patch_datas.json"))
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "invalid token", messages(errorBody(t, r)))
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
	t.Run("UnknownQueryParameter", func(t *testing.T) {
		e := newEnv(t)
		tok, verifier := e.demoToken(t)
		r := e.send(t, http.MethodPatch, druid.PathUpdate+"?code_verifier="+verifier+"&dry=1", updateHeader(tok, druid.DemoEntryPoint), fixture(t, "patch_datas.json"))
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "query parameter dry is not allowed here", messages(errorBody(t, r)))
	})
}

// newBackendEnv is newEnv over store, its configuration changed by tune
// (if any).
func newBackendEnv(tb testing.TB, store storage.Store, tune ...func(*druid.Config)) *env {
	tb.Helper()
	clk := adaptertest.NewClock(start)
	cfg := testConfig(clk)
	for _, f := range tune {
		f(&cfg)
	}
	rec := &verify.Recorder{}
	h, err := druid.New(cfg, store, update.WithDispatcher(rec))
	require.NoError(tb, err)
	ctx := context.Background()
	require.NoError(tb, druid.SeedDemo(ctx, h.Engine()))
	_, err = h.Engine().Create(ctx, update.CreateRequest{
		Type: druid.EntityType, ID: "druid-user-2", Client: druid.DemoClientID,
		Doc:      map[string]any{"email": "john@example.com", "phone_number": "+34600999888"},
		Verified: []string{"/email", "/phone_number"},
	})
	require.NoError(tb, err)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &env{srv: srv, eng: h.Engine(), rec: rec, clk: clk}
}

// The partial update, the refused removal of a confirmed id and a
// replaced id held for its code answer the same on every backend.
func TestPatchOnBackends(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newBackendEnv(t, b.Open(t))
			r := e.patch(t, fixture(t, "patch_datas.json"))
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			jsonEqual(t, fixture(t, "patch_datas.response.json"), r.body)

			st := e.state(t, druid.DemoUserID)
			r = e.patch(t, fixture(t, "patch_remove_email.json"))
			assert.Equal(t, http.StatusBadRequest, r.status)
			jsonEqual(t, fixture(t, "patch_remove_email.response.json"), r.body)
			assert.Equal(t, st, e.state(t, druid.DemoUserID))

			r = e.patch(t, fixture(t, "patch_email.json"))
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			assert.Contains(t, string(r.body), `"pending":["email"]`)
			assert.Equal(t, "jane@example.com", e.view(t, druid.DemoUserID).Doc["email"])
		})
	}
}
