package rubiq_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// get sends a 1002 read with token and no body.
func (e *env) get(path, token string) response {
	e.tb.Helper()
	return e.do(http.MethodGet, path, token, nil)
}

// The account read answers the contract's fields on both path forms, on
// every store: the external key is a lookup in the store's key index.
func TestReadAccount(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnvWith(t, b.Open(t), nil)
			assertAnswer(t, e.get(byID1001, appToken), http.StatusOK, "read-1001")
			assertAnswer(t, e.get(byExt1001, appToken), http.StatusOK, "read-1001")
			assertAnswer(t, e.get(byID1001+"/default", appToken), http.StatusOK, "read-1001")
			assertAnswer(t, e.get("/userentity/dp-keyid/1002/data", appToken), http.StatusOK, "read-1002")
			// An app without update permission may still read.
			assertAnswer(t, e.get(byID1001, readonlyToken), http.StatusOK, "read-1001")

			// The contract cuts the answer: "profile" is name and city.
			assertAnswer(t, e.put(byID1001, "city-oslo.json"), http.StatusOK, "200")
			assertAnswer(t, e.get(byExt1001+"/profile", appToken), http.StatusOK, "read-1001-profile")

			// A read changes nothing.
			before := e.snapshot("1001")
			e.get(byID1001, appToken)
			assert.Equal(t, before, e.snapshot("1001"))
		})
	}
}

// A value waiting for its code is not the account's yet: the read shows
// the stored one, and the verified one once 2004 confirms it.
func TestReadAccountHidesPendingValue(t *testing.T) {
	e := newEnv(t)
	assertAnswer(t, e.put(byID1001, "mobile-new.json"), http.StatusOK, "200.1")
	assertAnswer(t, e.get(byID1001, appToken), http.StatusOK, "read-1001")
	assertAnswer(t, e.verifyCode(verify1001, e.codeFor("+4790000003")), http.StatusNoContent, "")
	res := e.get(byID1001, appToken)
	assert.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, string(res.body), `"mobile":"+4790000003"`)
	assert.NotContains(t, string(res.body), "Verified", "verified flags are not contract fields")
}

// A dp-keyid that is not a decimal number is answered as a string.
func TestReadAccountNonNumericID(t *testing.T) {
	e := newEnv(t)
	e.create("a-17", map[string]any{"name": "Kari"}, storage.Active)
	assertAnswer(t, e.get("/userentity/dp-keyid/a-17/data", appToken), http.StatusOK, "read-abc")
}

// Every refusal of the read gets Rubiq's body and reads nothing it should
// not; none changes the entity.
func TestReadAccountRefusals(t *testing.T) {
	tenMB := strings.Repeat("A", 10<<20)
	tests := []struct {
		name, method, path, token, body string
		status                          int
		answer                          string
	}{
		{name: "UnknownID", path: "/userentity/dp-keyid/9999/data", status: http.StatusNotFound, answer: "404.1"},
		{name: "UnknownExtKey", path: "/userentity/ext-key/crm-99/crm/data", status: http.StatusNotFound, answer: "404.2"},
		{name: "UnknownExtType", path: "/userentity/ext-key/crm-42/erp/data", status: http.StatusNotFound, answer: "404.2"},
		{name: "EncodedSlashInDPKeyID", path: "/userentity/dp-keyid/1001%2F..%2F1002/data", status: http.StatusNotFound, answer: "404.1"},
		{name: "EncodedSlashInExtKey", path: "/userentity/ext-key/crm-42%2Fcrm/crm/data", status: http.StatusNotFound, answer: "404.2"},
		{name: "OverlongDPKeyID", path: "/userentity/dp-keyid/" + strings.Repeat("1", 65) + "/data", status: http.StatusNotFound, answer: "404.1"},
		{name: "UnknownContract", path: byID1001 + "/billing", status: http.StatusBadRequest, answer: "400-unknown-contract"},
		{name: "Body", path: byID1001, body: `{"name":"x"}`, status: http.StatusBadRequest, answer: "400-read-body"},
		{name: "TenMegabyteBody", path: byID1001, body: tenMB, status: http.StatusBadRequest, answer: "400-too-large"},
		{name: "UnknownQuery", path: byID1001 + "?fields=name", status: http.StatusBadRequest, answer: "400-unknown-query"},
		{name: "NoToken", path: byID1001, token: "-", status: http.StatusUnauthorized, answer: "401"},
		{name: "UnknownToken", path: byExt1001, token: "demo-rubiq-ap", status: http.StatusUnauthorized, answer: "401"},
		{name: "WrongMethod", method: http.MethodPost, path: byExt1001, status: http.StatusMethodNotAllowed, answer: "405"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.snapshot("1001")
			method, token := tt.method, tt.token
			if method == "" {
				method = http.MethodGet
			}
			switch token {
			case "":
				token = appToken
			case "-":
				token = ""
			}
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			res := e.do(method, tt.path, token, body)
			assertAnswer(t, res, tt.status, tt.answer)
			assert.NotContains(t, string(res.body), "Ola", "a refused read shows no account data")
			assert.Equal(t, before, e.snapshot("1001"))
		})
	}
}

// A known path answers 405 naming both methods it serves.
func TestReadAccountAllow(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{byID1001, byID1001 + "/profile", byExt1001, byExt1001 + "/profile"} {
		res := e.do(http.MethodDelete, p, appToken, nil)
		require.Equal(t, http.StatusMethodNotAllowed, res.status, p)
		assert.Equal(t, "PUT, GET", res.header.Get("Allow"), p)
	}
}

// A read the app's grant refuses (Policy gives every app a grant today,
// so this is the table's row for a grant limited to some entities) is 412
// with the read's own text, not the update's.
func TestReadForbiddenAnswer(t *testing.T) {
	forbidden := update.Errorf(update.Forbidden, "client may not read")
	for _, op := range []rubiq.Op{rubiq.OpRead, rubiq.OpReadByExtKey} {
		status, body := rubiq.EncodeError(forbidden, op)
		assert.Equal(t, http.StatusPreconditionFailed, status)
		assert.Equal(t, "App has no permission to read this account", body.Status.Text)
	}
	_, body := rubiq.EncodeError(forbidden, rubiq.OpUpdate)
	assert.Equal(t, "App has no permission to update accounts", body.Status.Text)
}
