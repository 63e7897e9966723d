package rubiq_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// envelopeApp switches the demo app (not the read-only one) to the
// envelope format.
func envelopeApp(c *rubiq.Config) { c.Apps[0].Format = rubiq.FormatEnvelope }

// An app in envelope mode gets every answer wrapped, its status code a
// JSON number; the other app on the same handler keeps plain answers.
func TestEnvelopeAnswers(t *testing.T) {
	e := newEnv(t, envelopeApp)
	assertAnswer(t, e.get(byID1001, appToken), http.StatusOK, "envelope-read-1001")
	assertAnswer(t, e.put(byID1001, "city-oslo.json"), http.StatusOK, "envelope-200")
	assertAnswer(t, e.put(byExt1001, "mobile-new.json"), http.StatusOK, "envelope-200.1")
	assertAnswer(t, e.verifyCode(verify1001, "000000"), http.StatusForbidden, "envelope-403")
	assertAnswer(t, e.verifyCode(verify1001, e.codeFor("+4790000003")), http.StatusOK, "envelope-204")
	assertAnswer(t, e.get("/userentity/ext-key/crm-99/crm/data", appToken), http.StatusNotFound, "envelope-404.2")
	assertAnswer(t, e.do(http.MethodDelete, byID1001, appToken, nil), http.StatusMethodNotAllowed, "envelope-405")
	assertAnswer(t, e.do(http.MethodGet, byID1001, appToken, []byte("{}")), http.StatusBadRequest, "envelope-400-read-body")
	assertAnswer(t, e.do(http.MethodPut, byID1001, appToken, fixture(t, "hostile/outside-contract.json")), http.StatusBadRequest, "envelope-400-contract")

	// The read-only app is plain; a request naming no app is plain too.
	assertAnswer(t, e.put(byID1001, "city-oslo.json"), http.StatusOK, "envelope-200")
	assertAnswer(t, e.do(http.MethodPut, byID1001, readonlyToken, fixture(t, "requests/city-oslo.json")), http.StatusPreconditionFailed, "412")
	assertAnswer(t, e.do(http.MethodPut, byID1001, "", fixture(t, "requests/city-oslo.json")), http.StatusUnauthorized, "401")
}

// The status code is written as a JSON number with its sub-code, exactly.
func TestEnvelopeStatusCodeIsNumber(t *testing.T) {
	e := newEnv(t, envelopeApp)
	res := e.put(byExt1001, "mobile-new.json")
	assert.Contains(t, string(res.body), `"statusCode":200.1,`)
	var raw struct {
		Status struct {
			Code json.RawMessage `json:"statusCode"`
		} `json:"status"`
	}
	require.NoError(t, json.Unmarshal(res.body, &raw))
	assert.Equal(t, "200.1", string(raw.Status.Code))
}

// Every answer of the table has an envelope: the HTTP status of plain
// mode (204 written 200) and the same code and text.
func TestEnvelopeEveryStatus(t *testing.T) {
	for _, err := range []error{
		update.Errorf(update.NotFound, "x"), update.Errorf(update.Malformed, "x"),
		update.Errorf(update.Forbidden, "x"), update.Errorf(update.Conflict, "x"),
		&update.Error{Code: update.Throttled, Reason: update.ReasonQuota},
	} {
		status, b := rubiq.EncodeError(err, rubiq.OpVerify)
		s := rubiq.ErrorStatus(err, rubiq.OpVerify)
		envStatus, env := rubiq.EncodeEnvelope(s, b, nil)
		assert.Equal(t, status, envStatus)
		assert.Equal(t, json.Number(b.Status.Code), env.Status.Code)
		assert.Equal(t, b.Status.Text, env.Status.Text)
	}
	s, b := rubiq.EncodeVerify(nil)
	status, env := rubiq.EncodeEnvelope(s, b, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, json.Number("204"), env.Status.Code)
	assert.Nil(t, env.Data)
}

// A format the adapter does not know is refused by New, naming the app
// and the valid formats; in a configuration file it is refused as the
// file is read.
func TestEnvelopeFormatConfig(t *testing.T) {
	cfg := rubiq.DemoConfig()
	cfg.Apps[0].Format = "wrapped"
	_, err := rubiq.New(cfg, memory.New())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown answer format "wrapped"; expected one of plain, envelope`)

	var f rubiq.Format
	err = json.Unmarshal([]byte(`"envelop"`), &f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown answer format "envelop"; expected one of plain, envelope; did you mean "envelope"?`)
	require.NoError(t, json.Unmarshal([]byte(`"envelope"`), &f))
	assert.Equal(t, rubiq.FormatEnvelope, f)
	require.NoError(t, json.Unmarshal([]byte(`"plain"`), &f))
	assert.Equal(t, rubiq.FormatPlain, f)
	assert.Error(t, json.Unmarshal([]byte(`true`), &f))
}

// A 2004 call past a quota is 429, in either format, and costs no
// attempt: the right code still works once the quota's window has passed.
// Before, the quota read 200.3, "verification not dispatched".
func TestQuotaRefusal(t *testing.T) {
	quotas := update.WithQuotas(update.Quotas{ConfirmPerClient: storage.Quota{Limit: 2, Window: time.Minute}})
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnvWith(t, b.Open(t), []update.Option{quotas})
			assertAnswer(t, e.put(byID1001, "mobile-new.json"), http.StatusOK, "200.1")
			code := e.codeFor("+4790000003")
			assertAnswer(t, e.verifyCode(verify1001, "000000"), http.StatusForbidden, "403")
			assertAnswer(t, e.verifyCode(verify1001, "000001"), http.StatusForbidden, "403")
			before := e.snapshot("1001")
			res := e.verifyCode(verify1001, code)
			assertAnswer(t, res, http.StatusTooManyRequests, "429")
			assert.Equal(t, before, e.snapshot("1001"), "a refused call changes nothing")

			e.clk.Advance(2 * time.Minute)
			assertAnswer(t, e.verifyCode(verify1001, code), http.StatusNoContent, "")
			assert.Equal(t, "+4790000003", e.doc("1001")["mobile"])
		})
	}
}

// The quota answer in envelope mode.
func TestQuotaRefusalEnvelope(t *testing.T) {
	quotas := update.WithQuotas(update.Quotas{ConfirmPerSubject: storage.Quota{Limit: 1, Window: time.Minute}})
	e := newEnvWith(t, memory.New(), []update.Option{quotas}, envelopeApp)
	assertAnswer(t, e.put(byID1001, "mobile-new.json"), http.StatusOK, "envelope-200.1")
	assertAnswer(t, e.verifyCode(verify1001, "000000"), http.StatusForbidden, "envelope-403")
	assertAnswer(t, e.verifyCode(verify1001, "000000"), http.StatusTooManyRequests, "envelope-429")
}
