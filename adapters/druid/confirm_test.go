package druid_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
)

// pendingEmail changes Jane's email to jane.new@example.com (held) and
// returns the code sent for it.
func pendingEmail(tb testing.TB, e *env) string {
	tb.Helper()
	tok, ver := e.demoToken(tb)
	resp := e.update(tb, updateHeader(tok, druid.DemoEntryPoint), ver, fixture(tb, "flow_update.json"))
	require.Equal(tb, http.StatusOK, resp.status, string(resp.body))
	code, ok := e.rec.CodeFor("jane.new@example.com")
	require.True(tb, ok)
	return code
}

func withCode(tb testing.TB, name, code string) []byte {
	tb.Helper()
	return bytes.ReplaceAll(fixture(tb, name), []byte("{{code}}"), []byte(code))
}

func TestConfirm(t *testing.T) {
	t.Run("ByEstablishedEmail", func(t *testing.T) {
		e := newEnv(t)
		code := pendingEmail(t, e)
		resp := e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), withCode(t, "confirm_by_email.json", code))
		require.Equal(t, http.StatusOK, resp.status, string(resp.body))
		assert.Equal(t, "jane.new@example.com", e.view(t, druid.DemoUserID).Doc["email"])
	})

	tests := []struct {
		name    string
		header  http.Header
		body    func(t *testing.T, code string) []byte
		status  int
		message string
	}{
		{"WrongCodeIsCodeNotFound", entryHeader(druid.DemoEntryPoint), func(t *testing.T, code string) []byte {
			return withCode(t, "flow_confirm.json", "WRONG000")
		}, 400, "code not found"},
		{"MissingCodeIs400", entryHeader(druid.DemoEntryPoint), func(t *testing.T, _ string) []byte {
			return fixture(t, "confirm_missing_code.json")
		}, 400, "context.code: is required"},
		{"MissingFromIs400", http.Header{"Content-Type": {"application/json"}}, func(t *testing.T, code string) []byte {
			return withCode(t, "flow_confirm.json", code)
		}, 400, "From header"},
		{"UnknownEntryPointIs403", entryHeader("nowhere"), func(t *testing.T, code string) []byte {
			return withCode(t, "flow_confirm.json", code)
		}, 403, "unknown entry point"},
		{"BadJSONIs400", entryHeader(druid.DemoEntryPoint), func(t *testing.T, code string) []byte {
			return []byte(`{"verb":"confirm",`)
		}, 400, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := pendingEmail(t, e)
			before := e.state(t, druid.DemoUserID)
			resp := e.post(t, druid.PathConfirm, tt.header, tt.body(t, code))
			assert.Equal(t, tt.status, resp.status)
			assert.Contains(t, messages(errorBody(t, resp)), tt.message)
			after := e.state(t, druid.DemoUserID)
			assert.Equal(t, before.Doc, after.Doc, "the new email is still held")
			assert.Equal(t, "jane@example.com", after.Doc["email"])
		})
	}

	t.Run("ExpiredCodeIs400", func(t *testing.T) {
		e := newEnv(t)
		code := pendingEmail(t, e)
		e.clk.Advance(25 * time.Hour)
		resp := e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), withCode(t, "flow_confirm.json", code))
		assert.Equal(t, http.StatusBadRequest, resp.status)
		assert.Equal(t, "code has expired", errorBody(t, resp).Result.Errors[0].Message)
		assert.Equal(t, "jane@example.com", e.view(t, druid.DemoUserID).Doc["email"])
	})
}

func TestResend(t *testing.T) {
	e := newEnv(t)
	first := pendingEmail(t, e)

	resp := e.post(t, druid.PathResend, entryHeader(druid.DemoEntryPoint), fixture(t, "resend_email.json"))
	assert.Equal(t, http.StatusTooManyRequests, resp.status, "inside the cooldown")
	errorBody(t, resp)

	e.clk.Advance(61 * time.Second)
	resp = e.post(t, druid.PathResend, entryHeader(druid.DemoEntryPoint), fixture(t, "resend_email.json"))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	assert.JSONEq(t, `{"result":{"status":200}}`, string(resp.body))
	second, ok := e.rec.CodeFor("jane.new@example.com")
	require.True(t, ok)
	require.Len(t, e.rec.Messages(), 2)

	require.NotEqual(t, first, second)
	resp = e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), withCode(t, "flow_confirm.json", first))
	assert.Equal(t, http.StatusBadRequest, resp.status, "the first code died with the resend")
	resp = e.post(t, druid.PathConfirm, entryHeader(druid.DemoEntryPoint), withCode(t, "flow_confirm.json", second))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	assert.Equal(t, "jane.new@example.com", e.view(t, druid.DemoUserID).Doc["email"])

	t.Run("NothingPendingIs400", func(t *testing.T) {
		e.clk.Advance(61 * time.Second)
		resp := e.post(t, druid.PathResend, entryHeader(druid.DemoEntryPoint), fixture(t, "resend_email.json"))
		assert.Equal(t, http.StatusBadRequest, resp.status)
		errorBody(t, resp)
	})
}
