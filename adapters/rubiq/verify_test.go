package rubiq_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
)

// Every status of the 2004 table, each produced by a request.
func TestVerifyStatuses(t *testing.T) {
	release := func(c *rubiq.Config) { c.ReleasePending = true }
	tests := []struct {
		name   string
		adjust func(*rubiq.Config)
		setup  func(e *env) string // returns the code to send
		path   string
		status int
		answer string
		want   map[string]any // members of 1001 afterwards
	}{
		{
			name:  "204/Verified",
			setup: func(e *env) string { e.put(byID1001, "mobile-new.json"); return e.codeFor("+4790000003") },
			path:  verify1001, status: http.StatusNoContent,
			want: map[string]any{"mobile": "+4790000003", "mobileVerified": true},
		},
		{
			name: "400.4/TakenMeanwhileByActive", adjust: release,
			setup: func(e *env) string {
				e.put(byID1001, "mobile-new.json")
				code := e.codeFor("+4790000003")
				e.create("2001", map[string]any{"mobile": "+4790000003"}, storage.Active)
				return code
			},
			path: verify1001, status: http.StatusBadRequest, answer: "400.4",
			want: map[string]any{"mobile": "+4790000001"},
		},
		{
			name: "400.5/TakenMeanwhileByInactive", adjust: release,
			setup: func(e *env) string {
				e.put(byExt1001, "mobile-new.json")
				code := e.codeFor("+4790000003")
				e.create("2002", map[string]any{"mobile": "+4790000003"}, storage.Inactive)
				return code
			},
			path: verifyExt1001, status: http.StatusBadRequest, answer: "400.5",
			want: map[string]any{"mobile": "+4790000001"},
		},
		{
			name: "400.2/EmailTakenMeanwhile", adjust: release,
			setup: func(e *env) string {
				e.put(byID1001, "email-new.json")
				code := e.codeFor("ola.new@example.com")
				e.create("2001", map[string]any{"email": "ola.new@example.com"}, storage.Active)
				return code
			},
			path: verify1001, status: http.StatusBadRequest, answer: "400.2",
			want: map[string]any{"email": "ola@example.com"},
		},
		{
			name:  "403/WrongCode",
			setup: func(e *env) string { e.put(byID1001, "mobile-new.json"); return wrong(e.codeFor("+4790000003")) },
			path:  verify1001, status: http.StatusForbidden, answer: "403",
			want: map[string]any{"mobile": "+4790000001"},
		},
		{
			name:  "404.1/UnknownEntity",
			setup: func(e *env) string { return "123456" },
			path:  "/entity/id/9999/verify", status: http.StatusNotFound, answer: "404.1",
		},
		{
			name:  "404.2/UnknownExtKey",
			setup: func(e *env) string { return "123456" },
			path:  "/entity/ext-key/crm-99/crm/verify", status: http.StatusNotFound, answer: "404.2",
		},
		{
			name:  "501.2/NothingToVerify",
			setup: func(e *env) string { return "123456" },
			path:  verify1001, status: http.StatusNotImplemented, answer: "501.2",
		},
		{
			name: "501.2/AlreadyVerified",
			setup: func(e *env) string {
				e.put(byID1001, "mobile-new.json")
				code := e.codeFor("+4790000003")
				assertAnswer(e.tb, e.verifyCode(verify1001, code), http.StatusNoContent, "")
				return code
			},
			path: verify1001, status: http.StatusNotImplemented, answer: "501.2",
			want: map[string]any{"mobile": "+4790000003"},
		},
		{
			name: "501.3/CodeExpired",
			setup: func(e *env) string {
				e.put(byID1001, "email-new.json")
				e.clk.Advance(rubiq.DefaultCodeTTL)
				return e.codeFor("ola.new@example.com")
			},
			path: verify1001, status: http.StatusNotImplemented, answer: "501.3-expired",
			want: map[string]any{"email": "ola@example.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var adjust []func(*rubiq.Config)
			if tc.adjust != nil {
				adjust = append(adjust, tc.adjust)
			}
			e := newEnv(t, adjust...)
			code := tc.setup(e)
			res := e.verifyCode(tc.path, code)
			assertAnswer(t, res, tc.status, tc.answer)
			doc := e.doc("1001")
			for k, v := range tc.want {
				assert.Equal(t, v, doc[k], k)
			}
		})
	}
}

// wrong returns a code of the same form that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// A change made through one path form is verified through the other.
func TestVerifyAcrossForms(t *testing.T) {
	tests := []struct{ name, update, verify string }{
		{"ExtKeyThenDPKeyID", byExt1001, verify1001},
		{"DPKeyIDThenExtKey", byID1001, verifyExt1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			assertAnswer(t, e.put(tc.update, "email-new.json"), http.StatusOK, "200.1")
			assertAnswer(t, e.verifyCode(tc.verify, e.codeFor("ola.new@example.com")), http.StatusNoContent, "")
			doc := e.doc("1001")
			assert.Equal(t, "ola.new@example.com", doc["email"])
			assert.Equal(t, true, doc["emailVerified"])
		})
	}
}

// Rubiq's limits over a stream of changes to one field: a 2-minute
// cooldown, then the window limit, then a fresh window.
func TestVerificationLimits(t *testing.T) {
	e := newEnv(t, func(c *rubiq.Config) { c.MaxSends, c.Window = 3, time.Hour })
	email := func(addr string) response {
		return e.do(http.MethodPut, byID1001, appToken, []byte(`{"email":"`+addr+`"}`))
	}
	steps := []struct {
		after  time.Duration
		addr   string
		answer string
	}{
		{0, "a@example.com", "200.1"},
		{30 * time.Second, "b@example.com", "200.3"}, // within 2 minutes
		{0, "b@example.com", "200.3"},                // the same value again: still in progress
		{2 * time.Minute, "c@example.com", "200.1"},  // 2m30s after the first send
		{2 * time.Minute, "d@example.com", "200.1"},  // third send in the hour
		{3 * time.Minute, "e@example.com", "200.2"},  // a fourth would break the window
		{50 * time.Minute, "f@example.com", "200.2"}, // 57m30s: all three sends still in the hour
		{4 * time.Minute, "g@example.com", "200.1"},  // 61m30s: the first send has left the hour
	}
	for _, s := range steps {
		e.clk.Advance(s.after)
		assertAnswer(t, email(s.addr), http.StatusOK, s.answer)
	}
	assert.Len(t, e.rec.Messages(), 4)
	assertAnswer(t, e.verifyCode(verify1001, e.codeFor("g@example.com")), http.StatusNoContent, "")
	assert.Equal(t, "g@example.com", e.doc("1001")["email"])
}
