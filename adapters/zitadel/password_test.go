package zitadel_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

const (
	passwordPath = "/v2/users/" + zitadel.DemoUserID + "/password"
	resetPath    = "/v2/users/" + zitadel.DemoUserID + "/password_reset"
	firstPass    = "Secr3t-Passw0rd!"
)

// setPassword sends SetPassword for the demo user.
func (e *env) setPassword(tb testing.TB, token, body string) (int, []byte) {
	tb.Helper()
	return e.do(tb, http.MethodPost, passwordPath, token, []byte(body))
}

// withPassword returns an env whose demo user has firstPass.
func withPassword(tb testing.TB) *env {
	tb.Helper()
	e := newEnv(tb)
	status, body := e.do(tb, http.MethodPost, passwordPath, zitadel.DemoAdminToken, fixture(tb, "set_password.json"))
	require.Equal(tb, http.StatusOK, status, string(body))
	return e
}

// returnedCode asks PasswordReset for a returned code.
func (e *env) returnedCode(tb testing.TB) string {
	tb.Helper()
	status, body := e.do(tb, http.MethodPost, resetPath, zitadel.DemoAdminToken, fixture(tb, "password_reset_return_code.json"))
	require.Equal(tb, http.StatusOK, status, string(body))
	code := change(tb, body).VerificationCode
	require.Len(tb, code, 6)
	return code
}

// failCase is a request that must fail with ZITADEL's error and change
// nothing.
type failCase struct {
	name, token, path, body string
	status, grpc            int
	id                      string
}

// failAll posts each case and checks its error and that the demo user is
// unchanged; no answer echoes the password sent.
func (e *env) failAll(t *testing.T, tests []failCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(t, zitadel.DemoUserID)
			status, body := e.do(t, http.MethodPost, tc.path, tc.token, []byte(tc.body))
			require.Equal(t, tc.status, status, string(body))
			zerror(t, body, tc.grpc, tc.id)
			assert.NotContains(t, string(body), "An0ther-Pass!")
			e.assertUnchanged(t, before)
		})
	}
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	before := e.state(t, zitadel.DemoUserID)
	status, body := e.do(t, http.MethodPost, passwordPath, zitadel.DemoAdminToken, fixture(t, "set_password.json"))
	require.Equal(t, http.StatusOK, status, string(body))
	out := change(t, body)
	assert.Equal(t, zitadel.DemoOrgID, out.Details.ResourceOwner)
	assert.NotEqual(t, before.Version, e.state(t, zitadel.DemoUserID).Version)
	assert.NotContains(t, string(body), firstPass)

	// The current password guards a change.
	before = e.state(t, zitadel.DemoUserID)
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"An0ther-Pass!"},"currentPassword":"Wrong-Pass1!"}`)
	require.Equal(t, http.StatusBadRequest, status, string(body))
	zerror(t, body, 3, "COMMAND-3M0fs")
	e.assertUnchanged(t, before)
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"An0ther-Pass!","changeRequired":true},"currentPassword":"`+firstPass+`"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.True(t, e.user(t).Human.PasswordChangeRequired)
}

func TestSetPasswordErrors(t *testing.T) {
	e := withPassword(t)
	tests := []failCase{
		{"Empty", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":""}}`, 400, 3, "COMMAND-3klek4sbns"},
		{"Missing", zitadel.DemoAdminToken, passwordPath, `{}`, 400, 3, "COMMAND-3klek4sbns"},
		{"TooShort", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"Aa1!"}}`, 400, 3, "COMMA-HuJf6"},
		{"NoSymbol", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"Abcdefg123"}}`, 400, 3, "COMMA-ZDLwA"},
		{"Oneof", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"An0ther-Pass!"},"currentPassword":"x","verificationCode":"ABC123"}`, 400, 3, "IDUPD-ONEOF01"},
		{"UnknownMember", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"An0ther-Pass!"},"hashedPassword":{"hash":"x"}}`, 400, 3, "IDUPD-BODY01"},
		{"SnakeCase", zitadel.DemoAdminToken, passwordPath, `{"new_password":{"password":"An0ther-Pass!"}}`, 400, 3, "IDUPD-BODY01"},
		{"CodeTooLong", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"An0ther-Pass!"},"verificationCode":"` + strings.Repeat("A", 21) + `"}`, 400, 3, "IDUPD-ARG01"},
		{"NoCodeIssued", zitadel.DemoAdminToken, passwordPath, `{"newPassword":{"password":"An0ther-Pass!"},"verificationCode":"ABC123"}`, 400, 9, "IDUPD-PW02"},
		// A user's own token reaches only itself: another id, existing or
		// not, is refused alike.
		{"OtherUser", zitadel.DemoSelfToken, "/v2/users/70000000000000009/password", `{"newPassword":{"password":"An0ther-Pass!"}}`, 403, 7, "AUTHZ-HKJD33"},
		{"NoToken", "", passwordPath, `{"newPassword":{"password":"An0ther-Pass!"}}`, 401, 16, "IDUPD-AUTH01"},
		{"Query", zitadel.DemoAdminToken, passwordPath + "?x=1", `{"newPassword":{"password":"An0ther-Pass!"}}`, 400, 3, "IDUPD-BODY01"},
	}
	e.failAll(t, tests)
	status, body := e.do(t, http.MethodGet, passwordPath, zitadel.DemoAdminToken, nil)
	require.Equal(t, http.StatusMethodNotAllowed, status, string(body))
}

func TestPasswordResetReturnCode(t *testing.T) {
	e := withPassword(t)
	code := e.returnedCode(t)
	status, body := e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Reset-Passw0rd!"},"verificationCode":"`+code+`"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	// The new password is in force: it guards the next change.
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Third-Passw0rd!"},"currentPassword":"Reset-Passw0rd!"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	// A code works once.
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Fourth-Passw0rd!"},"verificationCode":"`+code+`"}`)
	require.Equal(t, http.StatusBadRequest, status, string(body))
	zerror(t, body, 9, "IDUPD-PW02")
	// A reset code never verifies an email or phone.
	status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/verify", zitadel.DemoSelfToken, []byte(`{"verificationCode":"`+code+`"}`))
	require.Equal(t, http.StatusBadRequest, status, string(body))
}

func TestPasswordResetSendLink(t *testing.T) {
	e := withPassword(t)
	status, body := e.do(t, http.MethodPost, resetPath, zitadel.DemoAdminToken, fixture(t, "password_reset_send_link.json"))
	require.Equal(t, http.StatusOK, status, string(body))
	out := change(t, body)
	assert.Empty(t, out.VerificationCode, "a sent code is not returned")
	m, ok := e.rec.Last()
	require.True(t, ok)
	assert.Equal(t, "minnie@example.com", m.To)
	assert.Equal(t, "https://example.com/password/set?userID="+zitadel.DemoUserID+"&code="+m.Code+"&orgID="+zitadel.DemoOrgID, m.Link)

	// Another reset within the cooldown is refused and changes nothing.
	before := e.state(t, zitadel.DemoUserID)
	status, body = e.do(t, http.MethodPost, resetPath, zitadel.DemoAdminToken, []byte(`{}`))
	require.Equal(t, http.StatusTooManyRequests, status, string(body))
	zerror(t, body, 8, "IDUPD-CODE02")
	e.assertUnchanged(t, before)

	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Reset-Passw0rd!"},"verificationCode":"`+m.Code+`"}`)
	require.Equal(t, http.StatusOK, status, string(body))
}

func TestPasswordResetErrors(t *testing.T) {
	e := withPassword(t)
	tests := []failCase{
		{"Oneof", zitadel.DemoAdminToken, resetPath, `{"sendLink":{},"returnCode":{}}`, 400, 3, "IDUPD-ONEOF01"},
		{"SMS", zitadel.DemoAdminToken, resetPath, `{"sendLink":{"notificationType":"NOTIFICATION_TYPE_SMS"}}`, 400, 3, "IDUPD-BODY01"},
		{"BadType", zitadel.DemoAdminToken, resetPath, `{"sendLink":{"notificationType":"FAX"}}`, 400, 3, "IDUPD-BODY01"},
		{"BadTemplate", zitadel.DemoAdminToken, resetPath, `{"sendLink":{"urlTemplate":"{{.Secret}}"}}`, 400, 3, "DOMAIN-oGh5e"},
		{"Unknown", zitadel.DemoAdminToken, resetPath, `{"returnCode":{},"extra":1}`, 400, 3, "IDUPD-BODY01"},
		{"NotFound", zitadel.DemoAdminToken, "/v2/users/70000000000000009/password_reset", `{"returnCode":{}}`, 404, 5, "COMMAND-ugjs0upun6"},
	}
	e.failAll(t, tests)
	assert.Empty(t, e.rec.Messages())
}

// TestPasswordResetBruteForce: wrong codes lock the reset after
// MaxAttempts; the password and the document stay as they were, and a new
// code comes only after the cooldown.
func TestPasswordResetBruteForce(t *testing.T) {
	e := withPassword(t)
	code := e.returnedCode(t)
	doc := e.state(t, zitadel.DemoUserID).Doc
	for i := 1; i <= 5; i++ {
		status, body := e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Evil-Passw0rd!"},"verificationCode":"`+wrongCode(code)+`"}`)
		require.Equal(t, http.StatusBadRequest, status, string(body))
		if i < 5 {
			zerror(t, body, 3, "COMMAND-eis9R")
		} else {
			zerror(t, body, 9, "IDUPD-CODE01")
		}
	}
	status, body := e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Evil-Passw0rd!"},"verificationCode":"`+code+`"}`)
	require.Equal(t, http.StatusBadRequest, status, string(body))
	zerror(t, body, 9, "IDUPD-CODE01")
	assert.Equal(t, doc, e.state(t, zitadel.DemoUserID).Doc)

	status, _ = e.do(t, http.MethodPost, resetPath, zitadel.DemoAdminToken, []byte(`{"returnCode":{}}`))
	require.Equal(t, http.StatusTooManyRequests, status)
	e.clk.Advance(2 * time.Minute)
	fresh := e.returnedCode(t)

	// The old password still holds: it guards this change.
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Next-Passw0rd!"},"currentPassword":"`+firstPass+`"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	// Which superseded the fresh reset code.
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Evil-Passw0rd!"},"verificationCode":"`+fresh+`"}`)
	require.Equal(t, http.StatusBadRequest, status, string(body))
}

// TestRPCPassword runs SetPassword and PasswordReset over every RPC
// protocol.
func TestRPCPassword(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			users := e.client(t, protocol, zitadel.DemoAdminToken)
			self := e.client(t, protocol, zitadel.DemoSelfToken)

			set, err := users.SetPassword(ctx, connect.NewRequest(&userpb.SetPasswordRequest{
				UserId: zitadel.DemoUserID, NewPassword: &userpb.Password{Password: firstPass},
			}))
			require.NoError(t, err)
			assert.Equal(t, e.user(t).Details.Sequence, itoa(set.Msg.GetDetails().GetSequence()))

			_, err = self.SetPassword(ctx, connect.NewRequest(&userpb.SetPasswordRequest{
				UserId: zitadel.DemoUserID, NewPassword: &userpb.Password{Password: "An0ther-Pass!"},
				Verification: &userpb.SetPasswordRequest_CurrentPassword{CurrentPassword: "Wrong-Pass1!"},
			}))
			rpcError(t, err, connect.CodeInvalidArgument, "COMMAND-3M0fs")
			_, err = users.SetPassword(ctx, connect.NewRequest(&userpb.SetPasswordRequest{UserId: zitadel.DemoUserID}))
			rpcError(t, err, connect.CodeInvalidArgument, "COMMAND-3klek4sbns")

			reset, err := users.PasswordReset(ctx, connect.NewRequest(&userpb.PasswordResetRequest{
				UserId: zitadel.DemoUserID, Medium: &userpb.PasswordResetRequest_ReturnCode{ReturnCode: &userpb.ReturnPasswordResetCode{}},
			}))
			require.NoError(t, err)
			code := reset.Msg.GetVerificationCode()
			require.Len(t, code, 6)

			_, err = users.PasswordReset(ctx, connect.NewRequest(&userpb.PasswordResetRequest{UserId: zitadel.DemoUserID}))
			rpcError(t, err, connect.CodeResourceExhausted, "IDUPD-CODE02")
			_, err = users.PasswordReset(ctx, connect.NewRequest(&userpb.PasswordResetRequest{
				UserId: zitadel.DemoUserID, Medium: &userpb.PasswordResetRequest_SendLink{SendLink: &userpb.SendPasswordResetLink{NotificationType: userpb.NotificationType_NOTIFICATION_TYPE_SMS}},
			}))
			rpcError(t, err, connect.CodeInvalidArgument, "IDUPD-BODY01")

			withCode := func(c string) error {
				_, err := self.SetPassword(ctx, connect.NewRequest(&userpb.SetPasswordRequest{
					UserId: zitadel.DemoUserID, NewPassword: &userpb.Password{Password: "Reset-Passw0rd!"},
					Verification: &userpb.SetPasswordRequest_VerificationCode{VerificationCode: c},
				}))
				return err
			}
			rpcError(t, withCode(wrongCode(code)), connect.CodeInvalidArgument, "COMMAND-eis9R")
			require.NoError(t, withCode(code))
			rpcError(t, withCode(code), connect.CodeFailedPrecondition, "IDUPD-PW02")

			// Brute force over RPC locks too.
			e.clk.Advance(2 * time.Minute)
			reset, err = users.PasswordReset(ctx, connect.NewRequest(&userpb.PasswordResetRequest{
				UserId: zitadel.DemoUserID, Medium: &userpb.PasswordResetRequest_ReturnCode{ReturnCode: &userpb.ReturnPasswordResetCode{}},
			}))
			require.NoError(t, err)
			code = reset.Msg.GetVerificationCode()
			for i := 1; i < 5; i++ {
				rpcError(t, withCode(wrongCode(code)), connect.CodeInvalidArgument, "COMMAND-eis9R")
			}
			rpcError(t, withCode(wrongCode(code)), connect.CodeFailedPrecondition, "IDUPD-CODE01")
			rpcError(t, withCode(code), connect.CodeFailedPrecondition, "IDUPD-CODE01")
		})
	}
}

func itoa(u uint64) string { return strconv.FormatUint(u, 10) }

// UpdateHumanUser's password section takes a PasswordReset code too.
func TestUpdateHumanUserPasswordWithResetCode(t *testing.T) {
	e := withPassword(t)
	code := e.returnedCode(t)
	status, body := e.update(t, zitadel.DemoSelfToken, []byte(`{"password":{"password":{"password":"Reset-Passw0rd!"},"verificationCode":"`+wrongCode(code)+`"}}`))
	require.Equal(t, http.StatusBadRequest, status, string(body))
	zerror(t, body, 3, "COMMAND-eis9R")
	status, body = e.update(t, zitadel.DemoSelfToken, []byte(`{"password":{"password":{"password":"Reset-Passw0rd!"},"verificationCode":"`+code+`"}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	status, body = e.setPassword(t, zitadel.DemoSelfToken, `{"newPassword":{"password":"Third-Passw0rd!"},"currentPassword":"Reset-Passw0rd!"}`)
	require.Equal(t, http.StatusOK, status, string(body))
}
