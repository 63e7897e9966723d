package rubiq_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/update"
)

// Hostile requests get Rubiq's answer and change nothing: not the
// document, not the open verification, not the version, not the history.
func TestHostileRequests(t *testing.T) {
	tenMB := []byte(`{"name":"` + strings.Repeat("A", 10<<20) + `"}`)
	tests := []struct {
		name   string
		method string
		path   string
		token  string // "" means the demo app; "-" means none
		body   string // a fixture under testdata/hostile or testdata/requests
		raw    []byte // or these bytes
		status int
		answer string
	}{
		{name: "BadJSON", path: byID1001, body: "hostile/bad-json.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "ArrayBody", path: byID1001, body: "hostile/array.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "EmptyBody", path: byID1001, body: "hostile/empty.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "TrailingData", path: byID1001, body: "hostile/trailing-data.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "DuplicateMember", path: byID1001, body: "hostile/duplicate-member.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "InvalidUTF8", path: byID1001, body: "hostile/invalid-utf8.bin", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "DeepNesting", path: byID1001, body: "hostile/deep.json", status: http.StatusBadRequest, answer: "400-too-large"},
		{name: "TenMegabytes", path: byID1001, raw: tenMB, status: http.StatusBadRequest, answer: "400-too-large"},
		{name: "UnknownContract", path: byID1001 + "/billing", body: "requests/city-oslo.json", status: http.StatusBadRequest, answer: "400-unknown-contract"},
		{name: "FieldsOutsideContract", path: byID1001, body: "hostile/outside-contract.json", status: http.StatusBadRequest, answer: "400-contract"},
		{name: "FieldOutsideNamedContract", path: byExt1001 + "/profile", body: "requests/email-new.json", status: http.StatusBadRequest, answer: "400-contract-email"},
		{name: "NumberWhereStringBelongs", path: byID1001, body: "hostile/number-for-string.json", status: http.StatusBadRequest, answer: "400-type-name"},
		{name: "ObjectForMobile", path: byID1001, body: "hostile/object-for-mobile.json", status: http.StatusBadRequest, answer: "400.3-type"},
		{name: "NullEmail", path: byID1001, body: "hostile/null-email.json", status: http.StatusBadRequest, answer: "400-null-email"},
		{name: "OverlongName", path: byID1001, body: "hostile/long-name.json", status: http.StatusBadRequest, answer: "400-long-name"},
		{name: "EncodedSlashInDPKeyID", path: "/userentity/dp-keyid/1001%2F..%2F1002/data", body: "requests/city-oslo.json", status: http.StatusNotFound, answer: "404.1"},
		{name: "EncodedSlashInExtKey", path: "/userentity/ext-key/crm-42%2Fcrm/crm/data", body: "requests/city-oslo.json", status: http.StatusNotFound, answer: "404.2"},
		{name: "NoToken", path: byID1001, token: "-", body: "requests/city-oslo.json", status: http.StatusUnauthorized, answer: "401"},
		{name: "UnknownToken", path: byID1001, token: "demo-rubiq-ap", body: "requests/city-oslo.json", status: http.StatusUnauthorized, answer: "401"},
		{name: "NoUpdatePermission", path: byID1001, token: readonlyToken, body: "requests/city-oslo.json", status: http.StatusPreconditionFailed, answer: "412"},
		{name: "WrongMethod", method: http.MethodDelete, path: byID1001, status: http.StatusMethodNotAllowed, answer: "405"},
		{name: "UnknownRoute", path: "/userentity/dp-keyid/1001/password", body: "requests/city-oslo.json", status: http.StatusNotFound, answer: "404"},
		{name: "VerifyEmptyCode", method: http.MethodPost, path: verify1001, body: "hostile/verify-empty-code.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "VerifyNumberCode", method: http.MethodPost, path: verify1001, body: "hostile/verify-number-code.json", status: http.StatusBadRequest, answer: "400-malformed"},
		{name: "VerifyExtraMember", method: http.MethodPost, path: verifyExt1001, body: "hostile/verify-extra-member.json", status: http.StatusBadRequest, answer: "400-unknown-path"},
		{name: "VerifyTenMegabytes", method: http.MethodPost, path: verify1001, raw: tenMB, status: http.StatusBadRequest, answer: "400-too-large"},
		{name: "VerifyWrongMethod", method: http.MethodGet, path: verify1001, status: http.StatusMethodNotAllowed, answer: "405"},
		{name: "VerifyNoUpdatePermission", method: http.MethodPost, path: verify1001, token: readonlyToken, body: "hostile/verify-guess.json", status: http.StatusPreconditionFailed, answer: "412"},
		{name: "VerifyNoToken", method: http.MethodPost, path: verify1001, token: "-", body: "hostile/verify-number-code.json", status: http.StatusUnauthorized, answer: "401"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			// An open verification, so the hostile request has one to
			// disturb.
			assertAnswer(t, e.put(byID1001, "email-new.json"), http.StatusOK, "200.1")
			before := e.snapshot("1001")
			other := e.snapshot("1002")

			method, token, body := tc.method, tc.token, tc.raw
			if method == "" {
				method = http.MethodPut
			}
			switch token {
			case "":
				token = appToken
			case "-":
				token = ""
			}
			if tc.body != "" {
				body = fixture(t, tc.body)
			}
			res := e.do(method, tc.path, token, body)
			assertAnswer(t, res, tc.status, tc.answer)
			assert.Equal(t, before, e.snapshot("1001"))
			assert.Equal(t, other, e.snapshot("1002"))
			// The open verification still completes.
			assertAnswer(t, e.verifyCode(verify1001, e.codeFor("ola.new@example.com")), http.StatusNoContent, "")
		})
	}
}

// 10,000 wrong codes in a row: the first MaxAttempts are counted (each is
// recorded in the history), the last of them locks the verification, and
// nothing else changes: the held value is never applied, later guesses and
// even the right code are refused without touching the record.
func TestBruteForceLocks(t *testing.T) {
	e := newEnv(t)
	assertAnswer(t, e.put(byID1001, "mobile-new.json"), http.StatusOK, "200.1")
	right := e.codeFor("+4790000003")
	before := e.snapshot("1001")

	var atLock snapshot
	sent := 0
	for n := 0; sent < 10_000; n++ {
		guess := fmt.Sprintf("%06d", n)
		if guess == right {
			continue
		}
		sent++
		res := e.verifyCode(verify1001, guess)
		switch {
		case sent < rubiq.DefaultMaxAttempts:
			assertAnswer(t, res, http.StatusForbidden, "403")
		default:
			assertAnswer(t, res, http.StatusForbidden, "403-locked")
		}
		if sent == rubiq.DefaultMaxAttempts {
			atLock = e.snapshot("1001")
		}
		if t.Failed() {
			t.Fatalf("guess %d went wrong", sent)
		}
	}
	assertAnswer(t, e.verifyCode(verify1001, right), http.StatusForbidden, "403-locked")

	after := e.snapshot("1001")
	assert.Equal(t, atLock, after, "nothing changes once locked")
	assert.Equal(t, before.Doc, after.Doc, "the held value is never applied")
	assert.Equal(t, before.Version+rubiq.DefaultMaxAttempts, after.Version, "only the counted attempts are recorded")
	require.Len(t, after.Pending, 1)
	assert.Equal(t, "locked", string(after.Pending[0].State))

	// A new change (outside the cooldown) starts afresh.
	e.clk.Advance(rubiq.DefaultCooldown)
	assertAnswer(t, e.put(byID1001, "mobile-new.json"), http.StatusOK, "200.1")
	assertAnswer(t, e.verifyCode(verify1001, e.codeFor("+4790000003")), http.StatusNoContent, "")
	assert.Equal(t, "+4790000003", e.doc("1001")["mobile"])
}

// Codes and tokens never appear in answers, logs or the history.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime}))
	e := newEnv(t, func(c *rubiq.Config) { c.Logger = logger })

	var bodies [][]byte
	keep := func(r response) { bodies = append(bodies, r.body) }
	keep(e.put(byID1001, "mobile-new.json"))
	code := e.codeFor("+4790000003")
	keep(e.verifyCode(verify1001, wrong(code)))
	keep(e.verifyCode(verify1001, code))
	keep(e.do(http.MethodPut, byID1001, "not-a-real-token", nil))

	h, err := e.eng.History(context.Background(), rubiq.EntityType, update.ByID("1001"))
	require.NoError(t, err)
	history, err := json.Marshal(h)
	require.NoError(t, err)
	require.NotEmpty(t, logs.String(), "the handler logs each request")
	for _, secret := range []string{code, wrong(code), appToken, "not-a-real-token"} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, string(history), secret)
		for _, b := range bodies {
			assert.NotContains(t, string(b), secret)
		}
	}
}
