package zitadel_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
)

// createUser creates a user of the demo organisation from the create
// fixture under another username and returns its id.
func (e *env) createUser(tb testing.TB, username string) string {
	tb.Helper()
	var body map[string]any
	require.NoError(tb, json.Unmarshal(fixture(tb, "create_user.json"), &body))
	body["username"] = username
	body["userId"] = "u-" + username
	b, err := json.Marshal(body)
	require.NoError(tb, err)
	status, out := e.do(tb, http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken, b)
	require.Equal(tb, http.StatusCreated, status, string(out))
	return "u-" + username
}

func TestCreate(t *testing.T) {
	t.Run("CreatedAndReadable", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.do(t, http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken, fixture(t, "create_user.json"))

		require.Equal(t, http.StatusCreated, status, string(body))
		var out zitadel.AddResponse
		require.NoError(t, json.Unmarshal(body, &out))
		assert.Equal(t, "70000000000000001", out.UserID)
		assert.Equal(t, "1", out.Details.Sequence)
		assert.Equal(t, zitadel.DemoOrgID, out.Details.ResourceOwner)
		assert.Regexp(t, codeForm, out.EmailCode)
		assert.Empty(t, out.PhoneCode)
		assert.NotContains(t, string(body), "Qu4ck")

		status, body = e.do(t, http.MethodGet, "/v2/users/70000000000000001", zitadel.DemoAdminToken, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		var u zitadel.UserResponse
		require.NoError(t, json.Unmarshal(body, &u))
		assert.Equal(t, "donald", u.User.Username)
		assert.Equal(t, zitadel.Email{Email: "donald@example.com"}, u.User.Human.Email)
		assert.Equal(t, zitadel.Phone{Phone: "+41795550101", IsVerified: true}, u.User.Human.Phone)
		assert.Equal(t, "GENDER_MALE", u.User.Human.Profile.Gender)
		assert.NotContains(t, string(body), "Qu4ck")
	})
	t.Run("SelfTokenForbidden", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.do(t, http.MethodPost, "/v2/users/human", zitadel.DemoSelfToken, fixture(t, "create_user.json"))

		assert.Equal(t, http.StatusForbidden, status)
		zerror(t, body, 7, "AUTHZ-HKJD33")
		status, _ = e.do(t, http.MethodGet, "/v2/users/70000000000000001", zitadel.DemoAdminToken, nil)
		assert.Equal(t, http.StatusNotFound, status)
	})
	t.Run("OtherOrganisationForbidden", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.do(t, http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken,
			[]byte(`{"organization":{"orgId":"1"},"profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@b.example"}}`))

		assert.Equal(t, http.StatusForbidden, status)
		zerror(t, body, 7, "AUTHZ-HKJD33")
	})
	t.Run("ExistingIDRefused", func(t *testing.T) {
		e := newEnv(t)
		id := e.createUser(t, "donald")
		before := e.state(t, id)
		body := []byte(`{"userId":"` + id + `","username":"daisy","profile":{"givenName":"Daisy","familyName":"Duck"},"email":{"email":"daisy@example.com"}}`)

		status, out := e.do(t, http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken, body)

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, out, 9, "COMMAND-7yiox1isql")
		assert.Equal(t, before, e.state(t, id))
	})
	t.Run("MissingGivenNameRefused", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.do(t, http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken,
			[]byte(`{"profile":{"givenName":"","familyName":"B"},"email":{"email":"a@b.example"}}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 3, "USER-UCej2")
	})
}

func TestEmailVerification(t *testing.T) {
	const verifyPath = "/v2/users/" + zitadel.DemoUserID + "/email/verify"
	changeEmail := func(t *testing.T, e *env) string {
		t.Helper()
		status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"new@example.com","returnCode":{}}}`))
		require.Equal(t, http.StatusOK, status, string(body))
		code := change(t, body).EmailCode
		require.Regexp(t, codeForm, code)
		return code
	}
	t.Run("RightCodeVerifies", func(t *testing.T) {
		e := newEnv(t)
		code := changeEmail(t, e)
		require.Equal(t, zitadel.Email{Email: "new@example.com", IsVerified: false}, e.user(t).Human.Email)
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

		require.Equal(t, http.StatusOK, status, string(body))
		out := change(t, body)
		assert.Equal(t, strconv.FormatUint(before.Version+1, 10), out.Details.Sequence)
		assert.NotContains(t, string(body), code)
		assert.Equal(t, zitadel.Email{Email: "new@example.com", IsVerified: true}, e.user(t).Human.Email)
	})
	t.Run("CodeUsedTwiceRefused", func(t *testing.T) {
		e := newEnv(t)
		code := changeEmail(t, e)
		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))
		require.Equal(t, http.StatusOK, status, string(body))
		before := e.state(t, zitadel.DemoUserID)

		status, body = e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 9, "IDUPD-CODE03")
		e.assertUnchanged(t, before)
	})
	t.Run("FiveWrongCodesLock", func(t *testing.T) {
		e := newEnv(t)
		code := changeEmail(t, e)
		wrong := "AAAAAA"
		if code == wrong {
			wrong = "BBBBBB"
		}
		for i := range 5 {
			status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+wrong+`"}`))
			require.Equal(t, http.StatusBadRequest, status, "attempt %d: %s", i+1, body)
		}
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 9, "IDUPD-CODE01")
		assert.Equal(t, before.Doc, e.state(t, zitadel.DemoUserID).Doc)
		assert.False(t, e.user(t).Human.Email.IsVerified)
	})
	t.Run("WrongCodeIsInvalid", func(t *testing.T) {
		e := newEnv(t)
		code := changeEmail(t, e)
		wrong := "ZZZZZZ"
		if code == wrong {
			wrong = "YYYYYY"
		}

		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+wrong+`"}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 3, "COMMAND-eis9R")
		assert.False(t, e.user(t).Human.Email.IsVerified)
	})
	t.Run("ExpiredCodeIsInvalid", func(t *testing.T) {
		e := newEnv(t)
		code := changeEmail(t, e)
		e.clk.Advance(time.Hour + time.Second)

		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 3, "COMMAND-eis9R")
		assert.False(t, e.user(t).Human.Email.IsVerified)
	})
	t.Run("NothingPendingIsCodeEmpty", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.do(t, http.MethodPost, verifyPath, zitadel.DemoSelfToken, []byte(`{"verificationCode":"ABC123"}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 9, "EMAIL-5w5ilin4yt")
	})
}

func TestEmailResend(t *testing.T) {
	const resendPath = "/v2/users/" + zitadel.DemoUserID + "/email/resend"
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"new@example.com","sendCode":{}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	first, ok := e.rec.CodeFor("new@example.com")
	require.True(t, ok)

	t.Run("WithinCooldownRefused", func(t *testing.T) {
		e.clk.Advance(10 * time.Second)
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.do(t, http.MethodPost, resendPath, zitadel.DemoAdminToken, []byte(`{"returnCode":{}}`))

		assert.Equal(t, http.StatusTooManyRequests, status)
		zerror(t, body, 8, "IDUPD-CODE02")
		assert.Len(t, e.rec.Messages(), 1)
		e.assertUnchanged(t, before)
	})
	t.Run("AfterCooldownSendsNewCode", func(t *testing.T) {
		e.clk.Advance(time.Minute)

		status, body := e.do(t, http.MethodPost, resendPath, zitadel.DemoAdminToken,
			[]byte(`{"sendCode":{"urlTemplate":"https://x.example/{{.Code}}"}}`))

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Empty(t, change(t, body).VerificationCode, "a sent code is not returned")
		second, ok := e.rec.CodeFor("new@example.com")
		require.True(t, ok)
		m, _ := e.rec.Last()
		assert.Equal(t, "https://x.example/"+second, m.Link)
		assert.Len(t, e.rec.Messages(), 2)

		if second != first {
			status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/verify",
				zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+first+`"}`))
			assert.Equal(t, http.StatusBadRequest, status, "the old code died with the resend: %s", body)
		}
		status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/verify",
			zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+second+`"}`))
		require.Equal(t, http.StatusOK, status, string(body))
		assert.True(t, e.user(t).Human.Email.IsVerified)
	})
}

func TestPhone(t *testing.T) {
	t.Run("ChangeReturnCodeThenVerify", func(t *testing.T) {
		e := newEnv(t)
		status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"phone":{"phone":"+41 79 111 22 33","returnCode":{}}}`))
		require.Equal(t, http.StatusOK, status, string(body))
		code := change(t, body).PhoneCode
		require.Regexp(t, codeForm, code)
		require.Equal(t, zitadel.Phone{Phone: "+41791112233"}, e.user(t).Human.Phone)

		status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/phone/verify",
			zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, zitadel.Phone{Phone: "+41791112233", IsVerified: true}, e.user(t).Human.Phone)
	})
	t.Run("ResendReturnsCode", func(t *testing.T) {
		e := newEnv(t)
		status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"phone":{"phone":"+41791112233","returnCode":{}}}`))
		require.Equal(t, http.StatusOK, status, string(body))
		e.clk.Advance(2 * time.Minute)

		status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/phone/resend",
			zitadel.DemoSelfToken, []byte(`{"returnCode":{}}`))

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Regexp(t, codeForm, change(t, body).VerificationCode)
	})
	t.Run("RemoveThenRemoveAgain", func(t *testing.T) {
		e := newEnv(t)
		path := "/v2/users/" + zitadel.DemoUserID + "/phone"

		status, body := e.do(t, http.MethodDelete, path, zitadel.DemoSelfToken, nil)

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, zitadel.Phone{}, e.user(t).Human.Phone)
		before := e.state(t, zitadel.DemoUserID)
		status, body = e.do(t, http.MethodDelete, path, zitadel.DemoSelfToken, nil)
		assert.Equal(t, http.StatusNotFound, status)
		zerror(t, body, 5, "IDUPD-PHONE01")
		e.assertUnchanged(t, before)
	})
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, token string
		status, grpc              int
		id                        string
	}{
		{"WrongMethodOnUpdate", http.MethodPatch, "/v2/users/human/" + zitadel.DemoUserID, zitadel.DemoAdminToken, 405, 12, "IDUPD-HTTP405"},
		{"WrongMethodOnVerify", http.MethodGet, "/v2/users/" + zitadel.DemoUserID + "/email/verify", zitadel.DemoAdminToken, 405, 12, "IDUPD-HTTP405"},
		{"WrongMethodOnCreate", http.MethodDelete, "/v2/users/human", zitadel.DemoAdminToken, 405, 12, "IDUPD-HTTP405"},
		{"UnknownPath", http.MethodGet, "/v2/users/" + zitadel.DemoUserID + "/avatar", zitadel.DemoAdminToken, 404, 5, "IDUPD-HTTP404"},
		{"NoToken", http.MethodGet, "/v2/users/" + zitadel.DemoUserID, "", 401, 16, "IDUPD-AUTH01"},
		{"UnknownToken", http.MethodGet, "/v2/users/" + zitadel.DemoUserID, "not-a-token", 401, 16, "IDUPD-AUTH01"},
		{"UnknownUser", http.MethodGet, "/v2/users/1", zitadel.DemoAdminToken, 404, 5, "COMMAND-ugjs0upun6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, tc.token, nil)
			assert.Equal(t, tc.status, status)
			zerror(t, body, tc.grpc, tc.id)
		})
	}
}

func TestSameAddressWithIsVerified(t *testing.T) {
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"new@example.com","returnCode":{}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	before := e.state(t, zitadel.DemoUserID)
	same := []byte(`{"email":{"email":"new@example.com","isVerified":true}}`)

	t.Run("SelfTokenForbidden", func(t *testing.T) {
		status, body := e.update(t, zitadel.DemoSelfToken, same)

		assert.Equal(t, http.StatusForbidden, status)
		zerror(t, body, 7, "AUTHZ-HKJD33")
		e.assertUnchanged(t, before)
	})
	t.Run("AdminMarksVerified", func(t *testing.T) {
		status, body := e.update(t, zitadel.DemoAdminToken, same)

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, strconv.FormatUint(before.Version+1, 10), change(t, body).Details.Sequence)
		assert.Equal(t, zitadel.Email{Email: "new@example.com", IsVerified: true}, e.user(t).Human.Email)
	})
}

func TestRemovePhoneWithdrawsPendingCode(t *testing.T) {
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"phone":{"phone":"+41791112233","returnCode":{}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	code := change(t, body).PhoneCode
	status, body = e.do(t, http.MethodDelete, "/v2/users/"+zitadel.DemoUserID+"/phone", zitadel.DemoAdminToken, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	before := e.state(t, zitadel.DemoUserID)

	status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/phone/verify",
		zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))

	assert.Equal(t, http.StatusBadRequest, status)
	zerror(t, body, 9, "EMAIL-5w5ilin4yt")
	e.assertUnchanged(t, before)
	assert.Equal(t, zitadel.Phone{}, e.user(t).Human.Phone)
}

func TestPermissions(t *testing.T) {
	cfg := zitadel.DemoConfig()
	cfg.Clients = append(cfg.Clients, zitadel.Client{ID: "other-admin", Token: "other-admin-token", OrgID: "1"})
	e := newEnvWith(t, cfg)
	other := e.createUser(t, "donald")
	// A user of another organisation does not exist for an admin token:
	// it is answered as a missing user, so nothing tells it the id is
	// taken. A user's own token reaches only itself: any other id is 403.
	notFound := func(t *testing.T, body []byte) { zerror(t, body, 5, "COMMAND-ugjs0upun6") }
	forbidden := func(t *testing.T, body []byte) { zerror(t, body, 7, "AUTHZ-HKJD33") }
	tests := []struct {
		name, method, path, token string
		body                      []byte
		status                    int
		check                     func(*testing.T, []byte)
	}{
		{"OtherOrgAdminCannotRead", http.MethodGet, "/v2/users/" + zitadel.DemoUserID, "other-admin-token", nil, http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotUpdate", http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID, "other-admin-token", []byte(`{"username":"x"}`), http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotRemovePhone", http.MethodDelete, "/v2/users/" + zitadel.DemoUserID + "/phone", "other-admin-token", nil, http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotVerify", http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/email/verify", "other-admin-token", []byte(`{"verificationCode":"ABC123"}`), http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotResend", http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/phone/resend", "other-admin-token", []byte(`{"returnCode":{}}`), http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotSetPassword", http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/password", "other-admin-token", []byte(`{"newPassword":{"password":"An0ther-Pass!"}}`), http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotResetPassword", http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/password_reset", "other-admin-token", []byte(`{"returnCode":{}}`), http.StatusNotFound, notFound},
		{"OtherOrgAdminCannotCreateThere", http.MethodPost, "/v2/users/human", "other-admin-token",
			[]byte(`{"username":"daisy","organization":{"orgId":"` + zitadel.DemoOrgID + `"},"profile":{"givenName":"Daisy","familyName":"Duck"},"email":{"email":"daisy@example.com"}}`),
			http.StatusForbidden, forbidden},
		{"SelfCannotReadOthers", http.MethodGet, "/v2/users/" + other, zitadel.DemoSelfToken, nil, http.StatusForbidden, forbidden},
		{"SelfCannotVerifyOthers", http.MethodPost, "/v2/users/" + other + "/email/verify", zitadel.DemoSelfToken, []byte(`{"verificationCode":"ABC123"}`), http.StatusForbidden, forbidden},
		{"SelfCannotResendForOthers", http.MethodPost, "/v2/users/" + other + "/email/resend", zitadel.DemoSelfToken, []byte(`{"returnCode":{}}`), http.StatusForbidden, forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			demo, donald := e.state(t, zitadel.DemoUserID), e.state(t, other)

			status, body := e.do(t, tc.method, tc.path, tc.token, tc.body)

			assert.Equal(t, tc.status, status, string(body))
			tc.check(t, body)
			e.assertUnchanged(t, demo)
			assert.Equal(t, donald, e.state(t, other))
			assert.Empty(t, e.rec.Messages(), "no code went out")
		})
	}
}

func TestChangeWithinCooldownIsAppliedButNotSent(t *testing.T) {
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"one@example.com"}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	e.clk.Advance(10 * time.Second)

	status, body = e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"two@example.com"}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, zitadel.Email{Email: "two@example.com"}, e.user(t).Human.Email)
	_, sent := e.rec.CodeFor("two@example.com")
	assert.False(t, sent, "the limiter holds the second code back")
	e.clk.Advance(time.Minute)
	status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/resend", zitadel.DemoSelfToken, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	code, sent := e.rec.CodeFor("two@example.com")
	require.True(t, sent, "a resend after the cooldown sends it")
	status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/verify",
		zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))
	require.Equal(t, http.StatusOK, status, string(body))
	assert.True(t, e.user(t).Human.Email.IsVerified)
}
