package zitadel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func target() zitadel.Target {
	return zitadel.Target{
		UserID: "u1", OrgID: "o1", Client: "c1", Actor: "a1",
		DefaultURLTemplate: "https://d.example/{{.Code}}",
	}
}

func TestParseUpdate(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		code   update.Code
		params []string // the oneofs named, for conflicts
	}{
		{"EmptyBodyOK", ``, "", nil},
		{"EmptyObjectOK", `{}`, "", nil},
		{"NullSectionsOK", `{"profile":null,"email":null}`, "", nil},
		{"OneMemberOK", `{"email":{"email":"a@b.example","returnCode":{}}}`, "", nil},
		{"NullMemberIsUnset", `{"email":{"email":"a@b.example","returnCode":{},"sendCode":null}}`, "", nil},
		{"GoodTemplateOK", `{"email":{"email":"a@b.example","sendCode":{"urlTemplate":"https://x/{{.UserID}}/{{.Code}}/{{.OrgID}}"}}}`, "", nil},
		{"EmailConflict", `{"email":{"sendCode":{},"isVerified":false}}`, update.Malformed, []string{"email.verification"}},
		{"PhoneConflict", `{"phone":{"returnCode":{},"isVerified":true}}`, update.Malformed, []string{"phone.verification"}},
		{"PasswordConflicts", `{"password":{"password":{"password":"x"},"hashedPassword":{"hash":"y"},"currentPassword":"a","verificationCode":"b"}}`,
			update.Malformed, []string{"password.passwordType", "password.verification"}},
		{"EmptyTemplate", `{"email":{"sendCode":{"urlTemplate":""}}}`, update.Malformed, nil},
		{"TemplateVariable", `{"email":{"sendCode":{"urlTemplate":"{{$x := .Code}}{{$x}}"}}}`, update.Malformed, nil},
		{"TemplateRange", `{"email":{"sendCode":{"urlTemplate":"{{range .Code}}x{{end}}"}}}`, update.Malformed, nil},
		{"TemplateNestedField", `{"email":{"sendCode":{"urlTemplate":"{{.Code.X}}"}}}`, update.Malformed, nil},
		{"UnknownMember", `{"nickName":"x"}`, update.Malformed, nil},
		{"TooDeep", `{"profile":{"givenName":[[[[[[[[[["x"]]]]]]]]]]}}`, update.Malformed, nil},
		{"BracesInStringsDoNotCount", `{"username":"[[[[[[[[[[[[{{{{{{{{{{{{\"[[[["}`, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := zitadel.DecodeUpdate([]byte(tc.body), 8)
			if tc.code == "" {
				require.NoError(t, err)
				assert.NotNil(t, b)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.code, update.ErrorCode(err))
			var named []string
			for _, f := range update.ErrorFields(err) {
				if f.Rule == "oneofConflict" {
					named = append(named, f.Param)
				}
			}
			assert.Equal(t, tc.params, named)
		})
	}
}

func TestUpdateRequest(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		doc      map[string]any
		delivery map[string]update.Delivery
		secrets  map[string]update.SecretValue
	}{
		{
			name: "ProfilePatchedFieldByField",
			body: `{"profile":{"givenName":"","familyName":"Maus","nickName":"","displayName":"MM","gender":"GENDER_MALE"}}`,
			doc:  map[string]any{"profile": map[string]any{"familyName": "Maus", "nickName": nil, "displayName": "MM", "gender": "GENDER_MALE"}},
		},
		{
			name: "ProfileWithOnlyEmptyNamesIsNoChange",
			body: `{"profile":{"givenName":"","familyName":""}}`,
			doc:  map[string]any{},
		},
		{
			name:     "EmailReturnCode",
			body:     `{"email":{"email":"a@b.example","returnCode":{}}}`,
			doc:      map[string]any{"email": map[string]any{"email": "a@b.example"}},
			delivery: map[string]update.Delivery{"/email/email": {Kind: update.ReturnCode}},
		},
		{
			name:     "EmailNoMemberSendsWithDefaultTemplate",
			body:     `{"email":{"email":"a@b.example"}}`,
			doc:      map[string]any{"email": map[string]any{"email": "a@b.example"}},
			delivery: map[string]update.Delivery{"/email/email": {Kind: update.Send, LinkTemplate: "https://d.example/{{.Code}}", OrgID: "o1"}},
		},
		{
			name:     "EmailSendCodeWithOwnTemplate",
			body:     `{"email":{"email":"a@b.example","sendCode":{"urlTemplate":"https://x/{{.Code}}"}}}`,
			doc:      map[string]any{"email": map[string]any{"email": "a@b.example"}},
			delivery: map[string]update.Delivery{"/email/email": {Kind: update.Send, LinkTemplate: "https://x/{{.Code}}", OrgID: "o1"}},
		},
		{
			name:     "EmailIsVerifiedFalseSends",
			body:     `{"email":{"email":"a@b.example","isVerified":false}}`,
			doc:      map[string]any{"email": map[string]any{"email": "a@b.example"}},
			delivery: map[string]update.Delivery{"/email/email": {Kind: update.Send, LinkTemplate: "https://d.example/{{.Code}}", OrgID: "o1"}},
		},
		{
			name:     "PhoneIsVerified",
			body:     `{"phone":{"phone":"0791234567","isVerified":true}}`,
			doc:      map[string]any{"phone": map[string]any{"phone": "0791234567"}},
			delivery: map[string]update.Delivery{"/phone/phone": {Kind: update.AlreadyVerified}},
		},
		{
			name: "EmptyPhoneIsNoChange",
			body: `{"phone":{"phone":"","isVerified":true}}`,
			doc:  map[string]any{},
		},
		{
			name:    "PlainPasswordWithCurrent",
			body:    `{"password":{"password":{"password":"N3w-Passw0rd","changeRequired":true},"currentPassword":"0ld-Passw0rd"}}`,
			doc:     map[string]any{"passwordChangeRequired": true},
			secrets: map[string]update.SecretValue{"/password": {Plain: "N3w-Passw0rd", Current: "0ld-Passw0rd"}},
		},
		{
			name:    "HashedPassword",
			body:    `{"password":{"hashedPassword":{"hash":"$2a$10$x"}}}`,
			doc:     map[string]any{"passwordChangeRequired": false},
			secrets: map[string]update.SecretValue{"/password": {Hash: "$2a$10$x"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := zitadel.DecodeUpdate([]byte(tc.body), 8)
			require.NoError(t, err)

			req, err := b.Request(target())

			require.NoError(t, err)
			assert.Equal(t, zitadel.EntityType, req.Type)
			assert.Equal(t, update.ByID("u1"), req.Locator)
			assert.Equal(t, update.Merge, req.Mode)
			assert.Equal(t, "c1", req.Client)
			assert.Equal(t, tc.doc, req.Doc)
			assertMap(t, tc.delivery, req.Delivery)
			assertMap(t, tc.secrets, req.Secrets)
		})
	}
}

// assertMap checks that got holds what want holds: nothing when want is
// nil (the request leaves the map out).
func assertMap[V any](t *testing.T, want, got map[string]V) {
	t.Helper()
	if want == nil {
		assert.Empty(t, got)
		return
	}
	assert.Equal(t, want, got)
}

func TestUpdateRequestRefusals(t *testing.T) {
	tests := []struct {
		name string
		body string
		code update.Code
		path string
		rule string
	}{
		{"ProfileWithoutGivenName", `{"profile":{"familyName":"M"}}`, update.Invalid, "/profile/givenName", "required"},
		{"EmailEmpty", `{"email":{"email":""}}`, update.Invalid, "/email/email", "required"},
		{"EmailMissing", `{"email":{"returnCode":{}}}`, update.Invalid, "/email/email", "required"},
		{"PasswordEmpty", `{"password":{"password":{"password":""}}}`, update.Invalid, "/password", "required"},
		{"PasswordNeitherKind", `{"password":{"currentPassword":"x"}}`, update.Invalid, "/password", "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := zitadel.DecodeUpdate([]byte(tc.body), 8)
			require.NoError(t, err)

			_, err = b.Request(target())

			require.Error(t, err)
			assert.Equal(t, tc.code, update.ErrorCode(err))
			fields := update.ErrorFields(err)
			require.NotEmpty(t, fields)
			assert.Equal(t, tc.path, fields[0].Path)
			assert.Equal(t, tc.rule, fields[0].Rule)
			assert.NotContains(t, err.Error(), "N3w-Passw0rd")
		})
	}
}

func TestCreateRequest(t *testing.T) {
	b, err := zitadel.DecodeCreate(fixture(t, "create_user.json"), 8)
	require.NoError(t, err)

	req, err := b.Request(target())

	require.NoError(t, err)
	assert.Equal(t, "70000000000000001", req.ID)
	assert.Equal(t, map[string]any{
		"orgId":    "o1",
		"username": "donald",
		"profile":  map[string]any{"givenName": "Donald", "familyName": "Duck", "gender": "GENDER_MALE"},
		"email":    map[string]any{"email": "donald@example.com"},
		"phone":    map[string]any{"phone": "+41795550101"},

		"passwordChangeRequired": false,
	}, req.Doc)
	assert.Equal(t, []string{"/phone/phone"}, req.Verified)
	assert.Equal(t, map[string]update.Delivery{"/email/email": {Kind: update.ReturnCode}}, req.Delivery)
	assert.Equal(t, map[string]update.SecretValue{"/password": {Plain: "Qu4ck-Qu4ck!"}}, req.Secrets)
}

func TestCreateRequestUsernameDefaultsToEmail(t *testing.T) {
	b, err := zitadel.DecodeCreate([]byte(`{"profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@b.example","isVerified":true}}`), 8)
	require.NoError(t, err)

	req, err := b.Request(target())

	require.NoError(t, err)
	assert.Equal(t, "a@b.example", req.Doc["username"])
	assert.Equal(t, []string{"/email/email"}, req.Verified)
	assert.Empty(t, req.Delivery)
}

func TestDecodeResend(t *testing.T) {
	e, err := zitadel.DecodeResendEmail(nil, 8)
	require.NoError(t, err)
	assert.Equal(t, update.Delivery{Kind: update.Send, LinkTemplate: "https://d.example/{{.Code}}", OrgID: "o1"}, e.Request(target()).Delivery, "an empty body sends")

	e, err = zitadel.DecodeResendEmail([]byte(`{"returnCode":{}}`), 8)
	require.NoError(t, err)
	assert.Equal(t, update.Delivery{Kind: update.ReturnCode}, e.Request(target()).Delivery)

	p, err := zitadel.DecodeResendPhone([]byte(`{"sendCode":{}}`), 8)
	require.NoError(t, err)
	req := p.Request(target())
	assert.Equal(t, update.Delivery{Kind: update.Send, OrgID: "o1"}, req.Delivery)
	assert.Equal(t, "/phone/phone", req.Path)

	_, err = zitadel.DecodeResendPhone([]byte(`{"sendCode":{},"returnCode":{}}`), 8)
	assert.Equal(t, update.Malformed, update.ErrorCode(err))
}

func TestDecodeVerify(t *testing.T) {
	v, err := zitadel.DecodeVerify([]byte(`{"verificationCode":"ABC123"}`), 8)
	require.NoError(t, err)
	assert.Equal(t, "ABC123", v.Request(target(), verify.Email).Code)

	_, err = zitadel.DecodeVerify([]byte(`{}`), 8)
	assert.Equal(t, update.Invalid, update.ErrorCode(err))
}

func TestDecodeQuery(t *testing.T) {
	require.NoError(t, zitadel.DecodeQuery(""))
	err := zitadel.DecodeQuery("userId=1&sequence=2")
	assert.Equal(t, update.Malformed, update.ErrorCode(err))
	assert.Contains(t, update.ErrorMessage(err), "sequence")
	assert.Equal(t, update.Malformed, update.ErrorCode(zitadel.DecodeQuery("%zz")))
}
