package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/internal/curltest"
)

// The demo credentials the requests below use (see the adapters'
// DemoConfig).
const (
	janrainOwner2      = "ut4bgrra7w282jcfmypfqx9pzhqhjj2b:unjze9nwkfuy6jpw838qpa7ad3hdnya6"
	janrainReader      = "demo_reader:demo_reader_secret"
	rubiqAppToken      = "demo-rubiq-app"
	rubiqReadonlyToken = "demo-rubiq-readonly"
	zitadelPath        = "/v2/users/" + zitadel.DemoUserID
)

// codeForm is the form of ZITADEL's codes: 6 characters A–Z0–9.
var codeForm = regexp.MustCompile(`^[A-Z0-9]{6}$`)

func basicAuth(creds string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(creds))
}

func bearer(token string) string { return "Authorization: Bearer " + token }

const jsonType = "Content-Type: application/json"

// formBody encodes name/value pairs as a form body.
func formBody(pairs ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return []byte(v.Encode())
}

// janrainRecord reads a Janrain user through /entity with the read-only
// demo client.
func janrainRecord(tb testing.TB, s *shim, id string) map[string]any {
	tb.Helper()
	r := s.do(tb, "POST", "/entity", formBody("type_name", "user", "id", id),
		basicAuth(janrainReader), "Content-Type: application/x-www-form-urlencoded")
	require.Equal(tb, 200, r.status, string(r.body))
	body := r.json(tb)
	require.Equal(tb, "ok", body["stat"])
	rec, ok := body["result"].(map[string]any)
	require.True(tb, ok, "result is an object: %s", r.body)
	return rec
}

// replayJanrain sends the three examples of the vendor's entity.update
// page as printed, and the two the page gets wrong as a user would fix
// them.
func replayJanrain(t *testing.T, s *shim) {
	t.Run("Example1UpdatesGivenAndFamilyName", func(t *testing.T) {
		r := s.send(t, curltest.Request(t, string(fixture(t, "seed/janrain-example1.curl")), s.base))
		assert.Equal(t, 200, r.status)
		assert.JSONEq(t, `{"stat":"ok"}`, string(r.body))
		rec := janrainRecord(t, s, janrain.DemoID)
		assert.Equal(t, "Matt", rec["givenName"])
		assert.Equal(t, "Parker", rec["familyName"])
		assert.Equal(t, "Matt P", rec["displayName"], "what is not sent stays")
	})
	t.Run("Example2ElidedCredentialIsUnauthorized", func(t *testing.T) {
		r := s.send(t, curltest.Request(t, string(fixture(t, "seed/janrain-example2.curl")), s.base))
		assert.Equal(t, 401, r.status)
		assert.Equal(t, "client_permission_error", r.json(t)["error"])
		statuses := janrainRecord(t, s, janrain.DemoID)["statuses"]
		assert.Equal(t, []any{map[string]any{"id": json.Number("5253"), "status": "inactive"}}, statuses)
	})
	t.Run("Example2WithAnOwnerCredentialUpdatesElement5253", func(t *testing.T) {
		text := strings.Replace(string(fixture(t, "seed/janrain-example2.curl")),
			"Basic aW1fYV...NfbXk=", strings.TrimPrefix(basicAuth(janrainOwner2), "Authorization: "), 1)
		r := s.send(t, curltest.Request(t, text, s.base))
		assert.Equal(t, 200, r.status)
		assert.JSONEq(t, `{"stat":"ok"}`, string(r.body))
		statuses := janrainRecord(t, s, janrain.DemoID)["statuses"]
		assert.Equal(t, []any{map[string]any{"id": json.Number("5253"), "status": "active"}}, statuses)
	})
	t.Run("Example3AsPrintedIsInvalidArgument", func(t *testing.T) {
		req := curltest.Request(t, string(fixture(t, "seed/janrain-example3.curl")), s.base)
		req.Header.Set("X-Request-Id", "example-3")
		r := s.send(t, req)
		assert.Equal(t, 400, r.status)
		want := map[string]any{}
		require.NoError(t, json.Unmarshal(fixture(t, "seed/janrain-example3.response.json"), &want))
		want["request_id"] = "example-3"
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		assert.JSONEq(t, string(wantJSON), string(r.body))
		assert.Equal(t, "example-3", r.header.Get("X-Request-Id"))
		assert.Equal(t, "G Jack", janrainRecord(t, s, janrain.DemoSecondID)["displayName"])
	})
	t.Run("Example3CorrectedUpdatesDisplayName", func(t *testing.T) {
		text := strings.Replace(string(fixture(t, "seed/janrain-example3.curl")),
			`value='{"Gary Jackson"}'`, `value='"Gary Jackson"'`, 1)
		r := s.send(t, curltest.Request(t, text, s.base))
		assert.Equal(t, 200, r.status)
		assert.JSONEq(t, `{"stat":"ok"}`, string(r.body))
		assert.Equal(t, "Gary Jackson", janrainRecord(t, s, janrain.DemoSecondID)["displayName"])
	})
}

// zitadelUser reads the demo user with the admin token.
func zitadelUser(tb testing.TB, s *shim) map[string]any {
	tb.Helper()
	r := s.do(tb, "GET", zitadelPath, nil, bearer(zitadel.DemoAdminToken))
	require.Equal(tb, 200, r.status, string(r.body))
	return r.json(tb)
}

// dig follows object members down a path.
func dig(tb testing.TB, v any, path ...string) any {
	tb.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(tb, ok, "%s: not an object in %v", p, v)
		v = m[p]
	}
	return v
}

// zitadelResolvedUpdate sends the seed body with its oneofs resolved and
// returns the email code it asked to be returned.
func zitadelResolvedUpdate(t testing.TB, s *shim) string {
	t.Helper()
	before := dig(t, zitadelUser(t, s), "details", "sequence").(string)
	r := s.do(t, "PUT", "/v2/users/human/"+zitadel.DemoUserID, fixture(t, "seed/zitadel-update-resolved.json"),
		bearer(zitadel.DemoAdminToken), jsonType)
	require.Equal(t, 200, r.status, string(r.body))
	body := r.json(t)
	assert.Equal(t, nextNumber(t, before), dig(t, body, "details", "sequence"))
	assert.Equal(t, zitadel.DemoOrgID, dig(t, body, "details", "resourceOwner"))
	assert.Nil(t, body["phoneCode"], "the phone is unchanged: no code")
	code, _ := body["emailCode"].(string)
	assert.Regexp(t, codeForm, code)
	assert.NotContains(t, string(r.body), "Secr3tP4ssw0rd!")
	return code
}

// nextNumber returns the decimal string one above n.
func nextNumber(tb testing.TB, n string) string {
	tb.Helper()
	var v uint64
	require.NoError(tb, json.Unmarshal([]byte(n), &v))
	b, err := json.Marshal(v + 1)
	require.NoError(tb, err)
	return string(b)
}

// replayZITADEL sends the UpdateHumanUser body of the vendor's page as
// printed (every oneof filled in at once) and resolved, then verifies the
// new address.
func replayZITADEL(t *testing.T, s *shim) {
	t.Run("BodyAsPrintedIsInvalidArgument", func(t *testing.T) {
		before := zitadelUser(t, s)
		r := s.do(t, "PUT", "/v2/users/human/"+zitadel.DemoUserID, fixture(t, "seed/zitadel-update.json"),
			bearer(zitadel.DemoAdminToken), jsonType)
		assert.Equal(t, 400, r.status)
		body := r.json(t)
		assert.Equal(t, json.Number("3"), body["code"], "gRPC InvalidArgument")
		assert.Contains(t, body["message"], "sendCode, returnCode, isVerified")
		assert.NotContains(t, string(r.body), "Secr3tP4ssw0rd!")
		assert.Equal(t, before, zitadelUser(t, s), "nothing changed")
	})
	var code string
	t.Run("ResolvedBodyUpdatesAndReturnsTheEmailCode", func(t *testing.T) {
		code = zitadelResolvedUpdate(t, s)
		u := zitadelUser(t, s)
		assert.Equal(t, "minnie-mouse", dig(t, u, "user", "username"))
		assert.Equal(t, map[string]any{"email": "mini@mouse.com", "isVerified": false}, dig(t, u, "user", "human", "email"))
		assert.Equal(t, "Mini", dig(t, u, "user", "human", "profile", "nickName"))
		assert.Equal(t, true, dig(t, u, "user", "human", "phone", "isVerified"))
		assert.Equal(t, true, dig(t, u, "user", "human", "passwordChangeRequired"))
	})
	t.Run("ReturnedCodeVerifiesTheEmail", func(t *testing.T) {
		require.NotEmpty(t, code)
		zitadelVerifyEmail(t, s, code)
	})
}

// zitadelVerifyEmail verifies the demo user's email with code.
func zitadelVerifyEmail(t testing.TB, s *shim, code string) {
	t.Helper()
	r := s.do(t, "POST", zitadelPath+"/email/verify", []byte(`{"verificationCode":"`+code+`"}`),
		bearer(zitadel.DemoAdminToken), jsonType)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, map[string]any{"email": "mini@mouse.com", "isVerified": true},
		dig(t, zitadelUser(t, s), "user", "human", "email"))
}

// druidToken gets a challenge-code token with a fresh S256 verifier.
func druidToken(tb testing.TB, s *shim) (token, verifier string) {
	tb.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	r := s.do(tb, "POST", druid.PathToken, formBody(
		"grant_type", "urn:druid:oauth2:grant-type:code_challenge",
		"client_id", druid.DemoClientID, "client_secret", druid.DemoSecret,
		"code_challenge", druid.S256Challenge(verifier), "code_challenge_method", "S256"),
		"Content-Type: application/x-www-form-urlencoded")
	require.Equal(tb, 200, r.status, string(r.body))
	token, _ = r.json(tb)["access_token"].(string)
	require.NotEmpty(tb, token)
	return token, verifier
}

// druidUpdate sends a user update with a fresh token.
func druidUpdate(tb testing.TB, s *shim, body []byte) response {
	tb.Helper()
	token, verifier := druidToken(tb, s)
	return s.do(tb, "POST", druid.PathUpdate+"?code_verifier="+verifier, body,
		bearer(token), jsonType, "Accept: application/json", "From: "+druid.DemoEntryPoint)
}

// druidConfirm confirms the demo user's pending id with code.
func druidConfirm(tb testing.TB, s *shim, code string) response {
	tb.Helper()
	body := strings.Replace(string(fixture(tb, "seed/druid-confirm.json")), "{{code}}", code, 1)
	return s.do(tb, "POST", druid.PathConfirm, []byte(body), jsonType, "From: "+druid.DemoEntryPoint)
}

// druidHeldUpdate sends the flow's update (a new, unconfirmed email) and
// checks the answer: 200, the email pending, the old one still standing.
func druidHeldUpdate(t testing.TB, s *shim) {
	t.Helper()
	r := druidUpdate(t, s, fixture(t, "seed/druid-update.json"))
	require.Equal(t, 200, r.status, string(r.body))
	got := r.json(t)
	obj := got["object"].(map[string]any)
	for _, stamp := range []string{"createdOn", "updatedOn"} {
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT`, obj[stamp], stamp)
		delete(obj, stamp)
	}
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "seed/druid-update.response.json")), string(gotJSON))
}

// replayDRUID runs the documented flow: a challenge-code token, a
// replacement update holding a new email, the confirmation with the code
// sent to it, and an update that shows the new email established.
func replayDRUID(t *testing.T, s *shim) {
	t.Run("UpdateHoldsTheNewEmail", func(t *testing.T) {
		druidHeldUpdate(t, s)
	})
	t.Run("ConfirmWithTheSentCodeEstablishesIt", func(t *testing.T) {
		code := s.codeFor(t, "jane.new@example.com")
		r := druidConfirm(t, s, code)
		require.Equal(t, 200, r.status, string(r.body))
		assert.JSONEq(t, `{"result":{"status":200}}`, string(r.body))

		again := druidConfirm(t, s, code)
		assert.Equal(t, 400, again.status)
		assert.Contains(t, string(again.body), "code has already been used")
	})
	t.Run("NextUpdateShowsTheNewEmailConfirmed", func(t *testing.T) {
		r := druidUpdate(t, s, fixture(t, "seed/druid-update-datas.json"))
		require.Equal(t, 200, r.status, string(r.body))
		obj := r.json(t)["object"]
		assert.Equal(t, map[string]any{"objectType": "user_id", "value": "jane.new@example.com", "confirmed": true},
			dig(t, obj, "ids", "email"))
		assert.Equal(t, map[string]any{"name": "Janet", "surname": "Doe"}, dig(t, obj, "datas"))
		assert.Empty(t, dig(t, r.json(t), "result", "pending"))
	})
}

// rubiqStatus returns the statusCode of a Rubiq answer.
func rubiqStatus(tb testing.TB, r response) any {
	tb.Helper()
	return dig(tb, r.json(tb), "status", "statusCode")
}

// rubiqSeedUpdate sends the page's example body to entity 1001 and checks
// that a verification of the new email went out (200.1).
func rubiqSeedUpdate(t testing.TB, s *shim) {
	t.Helper()
	r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", fixture(t, "seed/rubiq-update.json"), bearer(rubiqAppToken), jsonType)
	require.Equal(t, 200, r.status, string(r.body))
	assert.JSONEq(t, `{"status":{"statusCode":"200.1","statusText":"A verification request has been dispatched"}}`, string(r.body))
}

// rubiqVerify sends 2004 for entity 1001.
func rubiqVerify(tb testing.TB, s *shim, code string) response {
	tb.Helper()
	return s.do(tb, "POST", "/entity/id/1001/verify", []byte(`{"code":"`+code+`"}`), bearer(rubiqAppToken), jsonType)
}

// replayRubiq sends the example body of endpoint 1003, verifies the held
// email through 2004, and tries the refusals the page lists.
func replayRubiq(t *testing.T, s *shim) {
	t.Run("ReadonlyAppIs412", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", fixture(t, "seed/rubiq-update.json"), bearer(rubiqReadonlyToken), jsonType)
		assert.Equal(t, 412, r.status)
		assert.Equal(t, "412", rubiqStatus(t, r))
	})
	t.Run("ExampleBodyDispatchesAVerification", func(t *testing.T) {
		rubiqSeedUpdate(t, s)
	})
	t.Run("WrongCodeIs403", func(t *testing.T) {
		r := rubiqVerify(t, s, "000000x")
		assert.Equal(t, 403, r.status)
		assert.Equal(t, "403", rubiqStatus(t, r))
	})
	t.Run("SentCodeVerifiesWith204", func(t *testing.T) {
		r := rubiqVerify(t, s, s.codeFor(t, "mailbox@mailserver.com"))
		assert.Equal(t, 204, r.status, string(r.body))
		assert.Empty(t, r.body)
	})
	t.Run("VerifiedEmailIsTakenForOthers", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1002/data", []byte(`{"email":"mailbox@mailserver.com"}`), bearer(rubiqAppToken), jsonType)
		assert.Equal(t, 400, r.status)
		assert.Equal(t, "400.2", rubiqStatus(t, r))
	})
	t.Run("ExtKeyWithContractUpdatesCity", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/ext-key/crm-42/crm/data/profile", []byte(`{"city":"Oslo"}`), bearer(rubiqAppToken), jsonType)
		assert.Equal(t, 200, r.status)
		assert.Equal(t, "200", rubiqStatus(t, r))
		r = s.do(t, "PUT", "/userentity/ext-key/crm-42/crm/data/profile", []byte(`{"email":"x@example.com"}`), bearer(rubiqAppToken), jsonType)
		assert.Equal(t, 400, r.status, "email is outside the profile contract")
	})
}
