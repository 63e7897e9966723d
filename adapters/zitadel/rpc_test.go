package zitadel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/messagepb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb/userpbconnect"
)

// protocols are the RPC wire formats a client may pick.
var protocols = []string{"grpc", "grpc-web", "connect-proto", "connect-json"}

// h2cClient speaks cleartext HTTP/2 with prior knowledge, as gRPC clients
// do for http:// addresses.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

// client returns the generated client of the user service over protocol,
// sending token.
func (e *env) client(tb testing.TB, protocol, token string) userpbconnect.UserServiceClient {
	tb.Helper()
	opts := []connect.ClientOption{connect.WithInterceptors(bearer(token))}
	hc := e.srv.Client()
	switch protocol {
	case "grpc":
		hc = h2cClient()
		opts = append(opts, connect.WithGRPC())
	case "grpc-web":
		opts = append(opts, connect.WithGRPCWeb())
	case "connect-json":
		opts = append(opts, connect.WithProtoJSON())
	case "connect-proto":
	default:
		tb.Fatalf("unknown protocol %q", protocol)
	}
	return userpbconnect.NewUserServiceClient(hc, e.srv.URL, opts...)
}

// bearer sets the authorization metadata of every call.
func bearer(token string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	}
}

// rpcError checks that err is a Connect error with code and one
// zitadel.v1.ErrorDetail with id, and that the message is "<text> (<id>)".
func rpcError(tb testing.TB, err error, code connect.Code, id string) {
	tb.Helper()
	var ce *connect.Error
	require.ErrorAs(tb, err, &ce)
	assert.Equal(tb, code, ce.Code(), ce.Message())
	var ids []string
	for _, d := range ce.Details() {
		v, derr := d.Value()
		require.NoError(tb, derr)
		if ed, ok := v.(*messagepb.ErrorDetail); ok {
			ids = append(ids, ed.GetId())
			assert.Equal(tb, ed.GetMessage()+" ("+ed.GetId()+")", ce.Message())
		}
	}
	assert.Equal(tb, []string{id}, ids, ce.Message())
}

func str(s string) *string { return &s }

func returnEmail(addr string) *userpb.SetHumanEmail {
	return &userpb.SetHumanEmail{Email: addr, Verification: &userpb.SetHumanEmail_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}}}
}

func returnPhone(number string) *userpb.SetHumanPhone {
	return &userpb.SetHumanPhone{Phone: number, Verification: &userpb.SetHumanPhone_ReturnCode{ReturnCode: &userpb.ReturnPhoneVerificationCode{}}}
}

// wrongCode returns a code of the same shape that differs from code.
func wrongCode(code string) string {
	if strings.HasPrefix(code, "A") {
		return "B" + code[1:]
	}
	return "A" + code[1:]
}

// TestRPCFlows runs ZITADEL's calls over every RPC protocol and checks
// each answer against the REST view of the same user.
func TestRPCFlows(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			users := e.client(t, protocol, zitadel.DemoAdminToken)
			id := &userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID}

			got, err := users.GetUserByID(ctx, connect.NewRequest(id))
			require.NoError(t, err)
			rest := e.user(t)
			human := got.Msg.GetUser().GetHuman()
			assert.Equal(t, rest.UserID, got.Msg.GetUser().GetUserId())
			assert.Equal(t, rest.Human.Profile.GivenName, human.GetProfile().GetGivenName())
			assert.Equal(t, rest.Human.Email.Email, human.GetEmail().GetEmail())
			assert.Equal(t, rest.Details.Sequence, strconv.FormatUint(got.Msg.GetDetails().GetSequence(), 10))
			assert.Equal(t, zitadel.DemoOrgID, got.Msg.GetDetails().GetResourceOwner())
			seq := got.Msg.GetDetails().GetSequence()

			// Profile: patched; the REST view agrees.
			profile := &userpb.SetHumanProfile{GivenName: "Minnie", FamilyName: "Mouse", NickName: str("Mini")}
			up, err := users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: profile}))
			require.NoError(t, err)
			assert.Equal(t, seq+1, up.Msg.GetDetails().GetSequence())
			assert.Nil(t, up.Msg.EmailCode)
			rest = e.user(t)
			assert.Equal(t, "Minnie", rest.Human.Profile.GivenName)
			assert.Equal(t, "Mini", rest.Human.Profile.NickName)
			assert.Equal(t, rest.Details.Sequence, strconv.FormatUint(up.Msg.GetDetails().GetSequence(), 10))

			// The same update again: success, nothing changed.
			before := e.state(t, zitadel.DemoUserID)
			same, err := users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: profile}))
			require.NoError(t, err)
			assert.Equal(t, seq+1, same.Msg.GetDetails().GetSequence())
			e.assertUnchanged(t, before)

			// Email with returnCode: a wrong code is InvalidArgument, the
			// right one verifies.
			up, err = users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: returnEmail("minnie.new@example.com")}))
			require.NoError(t, err)
			code := up.Msg.GetEmailCode()
			require.Regexp(t, `^[A-Z0-9]{6}$`, code)
			_, err = users.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: wrongCode(code)}))
			rpcError(t, err, connect.CodeInvalidArgument, "COMMAND-eis9R")
			_, err = users.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: code}))
			require.NoError(t, err)
			rest = e.user(t)
			assert.Equal(t, "minnie.new@example.com", rest.Human.Email.Email)
			assert.True(t, rest.Human.Email.IsVerified)

			// Phone with returnCode, normalised to E.164.
			up, err = users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Phone: returnPhone("079 765 43 21")}))
			require.NoError(t, err)
			code = up.Msg.GetPhoneCode()
			require.Regexp(t, `^[A-Z0-9]{6}$`, code)
			_, err = users.VerifyPhone(ctx, connect.NewRequest(&userpb.VerifyPhoneRequest{UserId: zitadel.DemoUserID, VerificationCode: wrongCode(code)}))
			rpcError(t, err, connect.CodeInvalidArgument, "COMMAND-eis9R")
			_, err = users.VerifyPhone(ctx, connect.NewRequest(&userpb.VerifyPhoneRequest{UserId: zitadel.DemoUserID, VerificationCode: code}))
			require.NoError(t, err)
			rest = e.user(t)
			assert.Equal(t, "+41797654321", rest.Human.Phone.Phone)
			assert.True(t, rest.Human.Phone.IsVerified)

			// Resend after the cooldown returns a fresh code.
			e.clk.Advance(2 * time.Minute)
			_, err = users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: returnEmail("mini@example.com")}))
			require.NoError(t, err)
			e.clk.Advance(2 * time.Minute)
			rs, err := users.ResendEmailCode(ctx, connect.NewRequest(&userpb.ResendEmailCodeRequest{
				UserId: zitadel.DemoUserID, Verification: &userpb.ResendEmailCodeRequest_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}},
			}))
			require.NoError(t, err)
			require.Regexp(t, `^[A-Z0-9]{6}$`, rs.Msg.GetVerificationCode())
			_, err = users.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: rs.Msg.GetVerificationCode()}))
			require.NoError(t, err)

			// Remove the phone; a second removal finds none.
			_, err = users.RemovePhone(ctx, connect.NewRequest(&userpb.RemovePhoneRequest{UserId: zitadel.DemoUserID}))
			require.NoError(t, err)
			assert.Empty(t, e.user(t).Human.Phone.Phone)
			_, err = users.RemovePhone(ctx, connect.NewRequest(&userpb.RemovePhoneRequest{UserId: zitadel.DemoUserID}))
			rpcError(t, err, connect.CodeNotFound, "IDUPD-PHONE01")

			// A new user.
			add, err := users.AddHumanUser(ctx, connect.NewRequest(&userpb.AddHumanUserRequest{
				UserId:       str("rpc-user"),
				Organization: &objectpb.Organization{Org: &objectpb.Organization_OrgId{OrgId: zitadel.DemoOrgID}},
				Profile:      &userpb.SetHumanProfile{GivenName: "Mickey", FamilyName: "Mouse"},
				Email:        returnEmail("mickey@example.com"),
			}))
			require.NoError(t, err)
			assert.Equal(t, "rpc-user", add.Msg.GetUserId())
			assert.Regexp(t, `^[A-Z0-9]{6}$`, add.Msg.GetEmailCode())
			got, err = users.GetUserByID(ctx, connect.NewRequest(&userpb.GetUserByIDRequest{UserId: "rpc-user"}))
			require.NoError(t, err)
			assert.Equal(t, "mickey@example.com", got.Msg.GetUser().GetHuman().GetEmail().GetEmail())
			assert.Equal(t, userpb.UserState_USER_STATE_ACTIVE, got.Msg.GetUser().GetState())
		})
	}
}

// TestRPCErrors checks the error table on both wire formats: every case
// of ZITADEL's error list answers the same gRPC code and id over RPC as
// over REST, and changes nothing.
func TestRPCErrors(t *testing.T) {
	type call struct {
		method, path, token, body string
		rpc                       func(context.Context, userpbconnect.UserServiceClient) error
	}
	update := func(body string, m *userpb.UpdateHumanUserRequest) call {
		return call{http.MethodPut, "/v2/users/human/" + m.GetUserId(), zitadel.DemoAdminToken, body,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.UpdateHumanUser(ctx, connect.NewRequest(m))
				return err
			}}
	}
	updateUser := func(body string, m *userpb.UpdateUserRequest) call {
		return call{http.MethodPatch, "/v2/users/" + m.GetUserId(), zitadel.DemoAdminToken, body,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.UpdateUser(ctx, connect.NewRequest(m))
				return err
			}}
	}
	human := func(id string, h *userpb.UpdateUserRequest_Human) *userpb.UpdateUserRequest {
		return &userpb.UpdateUserRequest{UserId: id, UserType: &userpb.UpdateUserRequest_Human_{Human: h}}
	}
	verifyEmail := func(code string) call {
		return call{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/email/verify", zitadel.DemoAdminToken, `{"verificationCode":"` + code + `"}`,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: code}))
				return err
			}}
	}
	cases := []struct {
		name  string
		setup bool // ask for an email code first
		call  call
		grpc  connect.Code
		id    string
	}{
		{"user not found", false, update(`{"profile":{"givenName":"A","familyName":"B"}}`,
			&userpb.UpdateHumanUserRequest{UserId: "no-such-user", Profile: &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B"}}),
			connect.CodeNotFound, "COMMAND-ugjs0upun6"},
		{"email invalid", false, update(`{"email":{"email":"not an address"}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: &userpb.SetHumanEmail{Email: "not an address"}}),
			connect.CodeInvalidArgument, "EMAIL-599BI"},
		{"email empty", false, update(`{"email":{"email":""}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: &userpb.SetHumanEmail{}}),
			connect.CodeInvalidArgument, "EMAIL-spblu"},
		{"phone invalid", false, update(`{"phone":{"phone":"12"}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Phone: &userpb.SetHumanPhone{Phone: "12"}}),
			connect.CodeInvalidArgument, "PHONE-so0wa"},
		{"url template", false, update(`{"email":{"email":"x@example.com","sendCode":{"urlTemplate":"{{.Secret}}"}}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: &userpb.SetHumanEmail{Email: "x@example.com",
				Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{UrlTemplate: str("{{.Secret}}")}}}}),
			connect.CodeInvalidArgument, "DOMAIN-oGh5e"},
		{"unknown gender", false, update(`{"profile":{"givenName":"A","familyName":"B","gender":"7"}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B", Gender: userpb.Gender(7).Enum()}}),
			connect.CodeInvalidArgument, "IDUPD-ARG01"},
		{"UpdateUser: user not found", false, updateUser(`{"human":{"profile":{"nickName":"A"}}}`,
			human("no-such-user", &userpb.UpdateUserRequest_Human{Profile: &userpb.UpdateUserRequest_Human_Profile{NickName: str("A")}})),
			connect.CodeNotFound, "COMMAND-ugjs0upun6"},
		{"UpdateUser: email invalid", false, updateUser(`{"human":{"email":{"email":"not an address"}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Email: &userpb.SetHumanEmail{Email: "not an address"}})),
			connect.CodeInvalidArgument, "EMAIL-599BI"},
		{"UpdateUser: email empty", false, updateUser(`{"human":{"email":{"email":""}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Email: &userpb.SetHumanEmail{}})),
			connect.CodeInvalidArgument, "EMAIL-spblu"},
		{"UpdateUser: phone invalid", false, updateUser(`{"human":{"phone":{"phone":"12"}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Phone: &userpb.SetHumanPhone{Phone: "12"}})),
			connect.CodeInvalidArgument, "PHONE-so0wa"},
		{"UpdateUser: url template", false, updateUser(`{"human":{"email":{"email":"x@example.com","sendCode":{"urlTemplate":"{{.Secret}}"}}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Email: &userpb.SetHumanEmail{Email: "x@example.com",
				Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{UrlTemplate: str("{{.Secret}}")}}}})),
			connect.CodeInvalidArgument, "DOMAIN-oGh5e"},
		{"UpdateUser: unknown gender", false, updateUser(`{"human":{"profile":{"gender":"7"}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Profile: &userpb.UpdateUserRequest_Human_Profile{Gender: userpb.Gender(7).Enum()}})),
			connect.CodeInvalidArgument, "IDUPD-ARG01"},
		{"UpdateUser: password too short", false, updateUser(`{"human":{"password":{"password":{"password":"Ab1!"}}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Password: &userpb.SetPassword{
				PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Ab1!"}}}})),
			connect.CodeInvalidArgument, "COMMA-HuJf6"},
		{"UpdateUser: wrong current password", false, updateUser(`{"human":{"password":{"password":{"password":"Secr3t!pass"},"currentPassword":"Wr0ng!pass"}}}`,
			human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{Password: &userpb.SetPassword{
				PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Secr3t!pass"}},
				Verification: &userpb.SetPassword_CurrentPassword{CurrentPassword: "Wr0ng!pass"}}})),
			connect.CodeInvalidArgument, "COMMAND-3M0fs"},
		{"UpdateUser: machine part", false, updateUser(`{"machine":{"name":"build-bot"}}`,
			&userpb.UpdateUserRequest{UserId: zitadel.DemoUserID, UserType: &userpb.UpdateUserRequest_Machine_{Machine: &userpb.UpdateUserRequest_Machine{Name: str("build-bot")}}}),
			connect.CodeUnimplemented, "IDUPD-MACHINE01"},
		{"UpdateUser: machine part of an unknown user", false, updateUser(`{"machine":{}}`,
			&userpb.UpdateUserRequest{UserId: "no-such-user", UserType: &userpb.UpdateUserRequest_Machine_{Machine: &userpb.UpdateUserRequest_Machine{}}}),
			connect.CodeUnimplemented, "IDUPD-MACHINE01"},
		{"UpdateUser: self asserts verified", false, call{http.MethodPatch, "/v2/users/" + zitadel.DemoUserID, zitadel.DemoSelfToken,
			`{"human":{"email":{"email":"self@example.com","isVerified":true}}}`,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.UpdateUser(ctx, connect.NewRequest(human(zitadel.DemoUserID, &userpb.UpdateUserRequest_Human{
					Email: &userpb.SetHumanEmail{Email: "self@example.com", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}}})))
				return err
			}}, connect.CodePermissionDenied, "AUTHZ-HKJD33"},
		{"wrong code", true, verifyEmail("ZZZZZ9"), connect.CodeInvalidArgument, "COMMAND-eis9R"},
		{"no code to verify", false, verifyEmail("ABC123"), connect.CodeFailedPrecondition, "EMAIL-5w5ilin4yt"},
		{"permission denied", false, call{http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID, zitadel.DemoSelfToken,
			`{"email":{"email":"self@example.com","isVerified":true}}`,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID,
					Email: &userpb.SetHumanEmail{Email: "self@example.com", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}}}))
				return err
			}}, connect.CodePermissionDenied, "AUTHZ-HKJD33"},
		{"password too short", false, update(`{"password":{"password":{"password":"Ab1!"}}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Password: &userpb.SetPassword{
				PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Ab1!"}}}}),
			connect.CodeInvalidArgument, "COMMA-HuJf6"},
		{"password hash not supported", false, update(`{"password":{"hashedPassword":{"hash":"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"}}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Password: &userpb.SetPassword{
				PasswordType: &userpb.SetPassword_HashedPassword{HashedPassword: &userpb.HashedPassword{Hash: "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"}}}}),
			connect.CodeInvalidArgument, "USER-oz74onzvqr"},
		{"password verification code", false, update(`{"password":{"password":{"password":"Secr3t!pass"},"verificationCode":"ABC123"}}`,
			&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Password: &userpb.SetPassword{
				PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Secr3t!pass"}},
				Verification: &userpb.SetPassword_VerificationCode{VerificationCode: "ABC123"}}}),
			connect.CodeFailedPrecondition, "IDUPD-PW02"},
		{"unsupported member", false, call{http.MethodPost, "/v2/users/human", zitadel.DemoAdminToken,
			`{"profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@example.com"},"metadata":[{"key":"k","value":"dg=="}]}`,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.AddHumanUser(ctx, connect.NewRequest(&userpb.AddHumanUserRequest{
					Profile:  &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B"},
					Email:    &userpb.SetHumanEmail{Email: "a@example.com"},
					Metadata: []*userpb.SetMetadataEntry{{Key: "k", Value: []byte("v")}},
				}))
				return err
			}}, connect.CodeInvalidArgument, "IDUPD-BODY01"},
		{"add with a self token", false, call{http.MethodPost, "/v2/users/human", zitadel.DemoSelfToken,
			`{"profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@example.com"}}`,
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.AddHumanUser(ctx, connect.NewRequest(&userpb.AddHumanUserRequest{
					Profile: &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B"},
					Email:   &userpb.SetHumanEmail{Email: "a@example.com"},
				}))
				return err
			}}, connect.CodePermissionDenied, "AUTHZ-HKJD33"},
		{"unauthenticated", false, call{http.MethodGet, "/v2/users/" + zitadel.DemoUserID, "wrong-token", "",
			func(ctx context.Context, c userpbconnect.UserServiceClient) error {
				_, err := c.GetUserByID(ctx, connect.NewRequest(&userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID}))
				return err
			}}, connect.CodeUnauthenticated, "IDUPD-AUTH01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// REST first, on an environment of its own.
			e := newEnv(t)
			if tc.setup {
				status, _ := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"minnie.new@example.com","returnCode":{}}}`))
				require.Equal(t, http.StatusOK, status)
			}
			var body []byte
			if tc.call.body != "" {
				body = []byte(tc.call.body)
			}
			_, out := e.do(t, tc.call.method, tc.call.path, tc.call.token, body)
			zerror(t, out, int(tc.grpc), tc.id)

			for _, protocol := range protocols {
				t.Run(protocol, func(t *testing.T) {
					e := newEnv(t)
					if tc.setup {
						status, _ := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"minnie.new@example.com","returnCode":{}}}`))
						require.Equal(t, http.StatusOK, status)
					}
					before := e.state(t, zitadel.DemoUserID)
					err := tc.call.rpc(context.Background(), e.client(t, protocol, tc.call.token))
					rpcError(t, err, tc.grpc, tc.id)
					after := e.state(t, zitadel.DemoUserID)
					if tc.id == "COMMAND-eis9R" {
						// A wrong code is counted against the code; the
						// user's document stays as it was.
						assert.Equal(t, before.Doc, after.Doc)
						return
					}
					e.assertUnchanged(t, before)
				})
			}
		})
	}
}

// TestRPCUnimplemented checks that a call the shim does not serve answers
// Unimplemented naming the method, on every protocol.
func TestRPCUnimplemented(t *testing.T) {
	e := newEnv(t)
	for _, protocol := range protocols {
		_, err := e.client(t, protocol, zitadel.DemoAdminToken).DeactivateUser(context.Background(), connect.NewRequest(&userpb.DeactivateUserRequest{UserId: zitadel.DemoUserID}))
		var ce *connect.Error
		require.ErrorAs(t, err, &ce, protocol)
		assert.Equal(t, connect.CodeUnimplemented, ce.Code(), protocol)
		assert.Contains(t, ce.Message(), "DeactivateUser", protocol)
	}
}

// protoRecorder records the HTTP version of each response.
type protoRecorder struct {
	next  http.RoundTripper
	proto []string
}

func (p *protoRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err == nil {
		p.proto = append(p.proto, resp.Proto)
	}
	return resp, err
}

// TestRPCOverTLS runs a call over gRPC on TLS (HTTP/2 negotiated by ALPN).
func TestRPCOverTLS(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewUnstartedServer(e.srv.Config.Handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	rec := &protoRecorder{next: srv.Client().Transport}
	users := userpbconnect.NewUserServiceClient(&http.Client{Transport: rec}, srv.URL,
		connect.WithGRPC(), connect.WithInterceptors(bearer(zitadel.DemoAdminToken)))
	got, err := users.GetUserByID(context.Background(), connect.NewRequest(&userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID}))
	require.NoError(t, err)
	assert.Equal(t, zitadel.DemoUserID, got.Msg.GetUser().GetUserId())
	assert.Equal(t, []string{"HTTP/2.0"}, rec.proto)
}
