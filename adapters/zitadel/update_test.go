package zitadel_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
)

var codeForm = regexp.MustCompile(`^[A-Z0-9]{6}$`)

func TestSeedBody(t *testing.T) {
	t.Run("AsWrittenRefusedNamingEveryOneof", func(t *testing.T) {
		e := newEnv(t)
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.update(t, zitadel.DemoAdminToken, fixture(t, "seed_body.json"))

		assert.Equal(t, http.StatusBadRequest, status)
		out := zerror(t, body, 3, "IDUPD-ONEOF01")
		for _, name := range []string{"email.verification", "phone.verification", "password.passwordType", "password.verification"} {
			assert.Contains(t, out.Message, name)
		}
		assert.Contains(t, out.Message, "sendCode, returnCode, isVerified")
		assert.NotContains(t, string(body), "Secr3tP4ssw0rd!")
		e.assertUnchanged(t, before)
		assert.Empty(t, e.rec.Messages())
	})
	t.Run("ResolvedSucceedsWithNewSequenceAndCode", func(t *testing.T) {
		e := newEnv(t)
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.update(t, zitadel.DemoAdminToken, fixture(t, "seed_body_resolved.json"))

		require.Equal(t, http.StatusOK, status, string(body))
		out := change(t, body)
		assert.Equal(t, strconv.FormatUint(before.Version+1, 10), out.Details.Sequence)
		assert.Equal(t, "2025-03-25T16:00:34.438Z", out.Details.ChangeDate)
		assert.Equal(t, zitadel.DemoOrgID, out.Details.ResourceOwner)
		assert.Regexp(t, codeForm, out.EmailCode)
		assert.Empty(t, out.PhoneCode, "the phone is unchanged, so no code")
		assert.NotContains(t, string(body), "Secr3tP4ssw0rd!")
		assert.Empty(t, e.rec.Messages(), "returnCode sends nothing")

		u := e.user(t)
		assert.Equal(t, "minnie-mouse", u.Username)
		assert.Equal(t, zitadel.Profile{GivenName: "Minnie", FamilyName: "Mouse", NickName: "Mini",
			DisplayName: "Minnie Mouse", PreferredLanguage: "en", Gender: "GENDER_FEMALE"}, u.Human.Profile)
		assert.Equal(t, zitadel.Email{Email: "mini@mouse.com", IsVerified: false}, u.Human.Email)
		assert.Equal(t, zitadel.Phone{Phone: "+41791234567", IsVerified: true}, u.Human.Phone)
		assert.True(t, u.Human.PasswordChangeRequired)
		assert.Equal(t, out.Details.Sequence, u.Details.Sequence)
	})
}

func TestUpdateSameBodyTwiceKeepsSequence(t *testing.T) {
	e := newEnv(t)
	body := fixture(t, "update_profile_email.json")

	status, first := e.update(t, zitadel.DemoAdminToken, body)
	require.Equal(t, http.StatusOK, status, string(first))
	afterFirst := e.state(t, zitadel.DemoUserID)
	status, second := e.update(t, zitadel.DemoAdminToken, body)
	require.Equal(t, http.StatusOK, status, string(second))

	a, b := change(t, first), change(t, second)
	assert.Equal(t, a.Details.Sequence, b.Details.Sequence)
	assert.Equal(t, a.Details.ChangeDate, b.Details.ChangeDate)
	assert.NotEmpty(t, a.EmailCode, "the first answer returns the new address's code")
	assert.Empty(t, b.EmailCode, "the address is already set: no second code")
	e.assertUnchanged(t, afterFirst)
}

func TestUpdateEmptyBodyAnswersCurrentDetails(t *testing.T) {
	e := newEnv(t)
	before := e.state(t, zitadel.DemoUserID)

	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{}`))

	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, strconv.FormatUint(before.Version, 10), change(t, body).Details.Sequence)
	e.assertUnchanged(t, before)
}

func TestUpdateProfileIsPatchedFieldByField(t *testing.T) {
	e := newEnv(t)

	status, body := e.update(t, zitadel.DemoAdminToken,
		[]byte(`{"profile":{"givenName":"","familyName":"Maus","displayName":""}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	p := e.user(t).Human.Profile
	assert.Equal(t, "Minnie", p.GivenName, "empty given name is unchanged")
	assert.Equal(t, "Maus", p.FamilyName)
	assert.Empty(t, p.DisplayName, `"" clears the display name`)
	assert.Equal(t, "en", p.PreferredLanguage, "left out is unchanged")
	assert.Equal(t, "GENDER_FEMALE", p.Gender, "left out is unchanged")
}

func TestUpdateSelfToken(t *testing.T) {
	t.Run("IsVerifiedForbiddenAndNothingChanges", func(t *testing.T) {
		e := newEnv(t)
		before := e.state(t, zitadel.DemoUserID)

		status, body := e.update(t, zitadel.DemoSelfToken,
			[]byte(`{"username":"mickey","email":{"email":"evil@example.com","isVerified":true}}`))

		assert.Equal(t, http.StatusForbidden, status)
		zerror(t, body, 7, "AUTHZ-HKJD33")
		e.assertUnchanged(t, before)
	})
	t.Run("OwnChangeWithReturnCodeAllowed", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.update(t, zitadel.DemoSelfToken,
			[]byte(`{"email":{"email":"minnie@mouse.example","returnCode":{}}}`))

		require.Equal(t, http.StatusOK, status, string(body))
		assert.Regexp(t, codeForm, change(t, body).EmailCode)
		assert.Equal(t, zitadel.Email{Email: "minnie@mouse.example"}, e.user(t).Human.Email)
	})
	t.Run("OtherUserForbidden", func(t *testing.T) {
		e := newEnv(t)
		id := e.createUser(t, "donald")
		before := e.state(t, id)

		status, body := e.do(t, http.MethodPut, "/v2/users/human/"+id, zitadel.DemoSelfToken,
			[]byte(`{"username":"duck"}`))

		assert.Equal(t, http.StatusForbidden, status)
		zerror(t, body, 7, "AUTHZ-HKJD33")
		assert.Equal(t, before, e.state(t, id))
	})
}

func TestUpdateAdminIsVerifiedMarksVerified(t *testing.T) {
	e := newEnv(t)

	status, body := e.update(t, zitadel.DemoAdminToken,
		[]byte(`{"email":{"email":"mm@example.com","isVerified":true},"phone":{"phone":"079 765 43 21","isVerified":true}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	out := change(t, body)
	assert.Empty(t, out.EmailCode)
	assert.Empty(t, out.PhoneCode)
	u := e.user(t)
	assert.Equal(t, zitadel.Email{Email: "mm@example.com", IsVerified: true}, u.Human.Email)
	assert.Equal(t, zitadel.Phone{Phone: "+41797654321", IsVerified: true}, u.Human.Phone, "normalized in region CH")
	assert.Empty(t, e.rec.Messages())
}

func TestUpdateEmptyPhoneChangesNothing(t *testing.T) {
	e := newEnv(t)
	before := e.state(t, zitadel.DemoUserID)

	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"phone":{"phone":""}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	e.assertUnchanged(t, before)
}

func TestUpdateSendCodeRendersTemplate(t *testing.T) {
	e := newEnv(t)

	status, body := e.update(t, zitadel.DemoAdminToken, []byte(
		`{"email":{"email":"new@example.com","sendCode":{"urlTemplate":"https://example.com/v?u={{.UserID}}&c={{.Code}}&o={{.OrgID}}"}}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	assert.Empty(t, change(t, body).EmailCode, "a sent code is not returned")
	m, ok := e.rec.Last()
	require.True(t, ok)
	assert.Equal(t, "new@example.com", m.To)
	assert.Regexp(t, codeForm, m.Code)
	assert.Equal(t, "https://example.com/v?u="+zitadel.DemoUserID+"&c="+m.Code+"&o="+zitadel.DemoOrgID, m.Link)
}

func TestUpdateDefaultTemplateWhenNoOneofMember(t *testing.T) {
	e := newEnv(t)

	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"plain@example.com"}}`))

	require.Equal(t, http.StatusOK, status, string(body))
	m, ok := e.rec.Last()
	require.True(t, ok)
	assert.Equal(t, "https://login.example.com/ui/v2/login/verify?userId="+zitadel.DemoUserID+
		"&code="+m.Code+"&orgId="+zitadel.DemoOrgID, m.Link)
}

func TestUpdatePassword(t *testing.T) {
	t.Run("CurrentPasswordMustMatch", func(t *testing.T) {
		e := newEnv(t)
		status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"password":{"password":{"password":"Fir5t-Passw0rd"}}}`))
		require.Equal(t, http.StatusOK, status, string(body))
		before := e.state(t, zitadel.DemoUserID)

		status, body = e.update(t, zitadel.DemoSelfToken,
			[]byte(`{"password":{"password":{"password":"Sec0nd-Passw0rd"},"currentPassword":"Wrong-Passw0rd"}}`))

		assert.Equal(t, http.StatusBadRequest, status)
		zerror(t, body, 3, "COMMAND-3M0fs")
		assert.NotContains(t, string(body), "Passw0rd")
		e.assertUnchanged(t, before)

		status, body = e.update(t, zitadel.DemoSelfToken,
			[]byte(`{"password":{"password":{"password":"Sec0nd-Passw0rd"},"currentPassword":"Fir5t-Passw0rd"}}`))
		require.Equal(t, http.StatusOK, status, string(body))
		assert.Equal(t, strconv.FormatUint(before.Version+1, 10), change(t, body).Details.Sequence)
	})
	t.Run("BcryptHashAcceptedAndChangeRequiredKept", func(t *testing.T) {
		e := newEnv(t)

		status, body := e.update(t, zitadel.DemoAdminToken, fixture(t, "update_hashed_password.json"))

		require.Equal(t, http.StatusOK, status, string(body))
		assert.True(t, e.user(t).Human.PasswordChangeRequired)
		assert.NotContains(t, string(body), "$2a$")
	})
}

func TestUpdateUsernameTaken(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "donald")
	before := e.state(t, zitadel.DemoUserID)

	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"username":"donald"}`))

	assert.Equal(t, http.StatusConflict, status)
	zerror(t, body, 6, "IDUPD-USER01")
	e.assertUnchanged(t, before)
}

func TestUpdateUnknownUser(t *testing.T) {
	e := newEnv(t)

	status, body := e.do(t, http.MethodPut, "/v2/users/human/404", zitadel.DemoAdminToken, []byte(`{"username":"x"}`))

	assert.Equal(t, http.StatusNotFound, status)
	zerror(t, body, 5, "COMMAND-ugjs0upun6")
}
