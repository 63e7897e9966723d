package zitadel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// patchUser sends UpdateUser for user id.
func (e *env) patchUser(tb testing.TB, token, id string, body []byte) (int, []byte) {
	tb.Helper()
	return e.do(tb, http.MethodPatch, "/v2/users/"+id, token, body)
}

// updated decodes UpdateUser's answer.
func updated(tb testing.TB, body []byte) zitadel.UpdateUserResponse {
	tb.Helper()
	var out zitadel.UpdateUserResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(tb, dec.Decode(&out), string(body))
	return out
}

// UpdateUser over REST on every store: the human part's sections change
// what they name and nothing else, a code asked for comes back, and the
// same request again changes nothing.
func TestUpdateUser(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnvOn(t, zitadel.DemoConfig(), b.Open(t))
			before := e.user(t)
			e.clk.Advance(time.Second)

			status, body := e.patchUser(t, zitadel.DemoAdminToken, zitadel.DemoUserID, fixture(t, "update_user/profile_email.json"))
			require.Equal(t, http.StatusOK, status, string(body))
			out := updated(t, body)
			assert.Regexp(t, `^[A-Z0-9]{6}$`, out.EmailCode)
			assert.Empty(t, out.PhoneCode)
			assert.Equal(t, "2025-03-25T16:00:35.438Z", out.ChangeDate)

			after := e.user(t)
			assert.Equal(t, "minnie.mouse", after.Username)
			assert.Equal(t, before.Human.Profile.GivenName, after.Human.Profile.GivenName, "a name left out is unchanged")
			assert.Equal(t, before.Human.Profile.FamilyName, after.Human.Profile.FamilyName)
			assert.Equal(t, "Min", after.Human.Profile.NickName)
			assert.Equal(t, "de-CH", after.Human.Profile.PreferredLanguage)
			assert.Equal(t, "minnie@mouse.example", after.Human.Email.Email)
			assert.False(t, after.Human.Email.IsVerified)
			assert.Equal(t, before.Human.Phone, after.Human.Phone, "a section left out is untouched")

			// The returned code verifies the address.
			status, body = e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+"/email/verify", zitadel.DemoAdminToken,
				[]byte(`{"verificationCode":"`+out.EmailCode+`"}`))
			require.Equal(t, http.StatusOK, status, string(body))
			assert.True(t, e.user(t).Human.Email.IsVerified)

			// The same request again: success, nothing changed, the change
			// date that of the last change.
			st := e.state(t, zitadel.DemoUserID)
			e.clk.Advance(time.Second)
			status, body = e.patchUser(t, zitadel.DemoAdminToken, zitadel.DemoUserID, []byte(`{"username":"minnie.mouse","human":{"profile":{"nickName":"Min"}}}`))
			require.Equal(t, http.StatusOK, status, string(body))
			assert.Equal(t, e.user(t).Details.ChangeDate, updated(t, body).ChangeDate)
			e.assertUnchanged(t, st)

			// An empty body is an empty update.
			status, body = e.patchUser(t, zitadel.DemoAdminToken, zitadel.DemoUserID, nil)
			require.Equal(t, http.StatusOK, status, string(body))
			e.assertUnchanged(t, st)
		})
	}
}

// UpdateUser's phone and password go through the same engine calls as
// UpdateHumanUser's: the phone is normalised and its code returned, the
// password is checked against the policy and set.
func TestUpdateUserPhoneAndPassword(t *testing.T) {
	e := newEnv(t)
	status, body := e.patchUser(t, zitadel.DemoAdminToken, zitadel.DemoUserID, fixture(t, "update_user/phone_password.json"))
	require.Equal(t, http.StatusOK, status, string(body))
	out := updated(t, body)
	assert.Regexp(t, `^[A-Z0-9]{6}$`, out.PhoneCode)
	assert.Equal(t, "+41797654321", e.user(t).Human.Phone.Phone)
	assert.NotContains(t, string(body), "N3w-Passw0rd!")

	// The new password is the current one now: SetPassword with it
	// succeeds, with the old one it would not.
	status, body = e.setPassword(t, zitadel.DemoAdminToken,
		`{"newPassword":{"password":"An0ther-Passw0rd!"},"currentPassword":"N3w-Passw0rd!"}`)
	assert.Equal(t, http.StatusOK, status, string(body))
}

// UpdateUser and UpdateHumanUser are one call: the same sections give the
// same document.
func TestUpdateUserMatchesUpdateHumanUser(t *testing.T) {
	human, user := newEnv(t), newEnv(t)
	status, body := human.update(t, zitadel.DemoAdminToken, []byte(`{"username":"mm","profile":{"givenName":"","familyName":"","nickName":"Min"},"email":{"email":"mm@example.com","isVerified":true}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	status, body = user.patchUser(t, zitadel.DemoAdminToken, zitadel.DemoUserID, []byte(`{"username":"mm","human":{"profile":{"nickName":"Min"},"email":{"email":"mm@example.com","isVerified":true}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, human.state(t, zitadel.DemoUserID).Doc, user.state(t, zitadel.DemoUserID).Doc)
}

// Hostile UpdateUser bodies, and the machine part: each is refused with
// ZITADEL's error body and changes nothing, sends nothing and echoes no
// secret.
func TestUpdateUserHostile(t *testing.T) {
	e := newEnv(t)
	runHostile(t, "update_user", 20, func(token string, body []byte) (int, []byte) {
		return e.patchUser(t, token, zitadel.DemoUserID, body)
	}, e)
}

// Bad user ids, oversize bodies, query parameters and tokens.
func TestUpdateUserRefusals(t *testing.T) {
	tenMB := append([]byte(`{"username":"`), bytes.Repeat([]byte("a"), 10<<20)...)
	tenMB = append(tenMB, `"}`...)
	valid := []byte(`{"human":{"profile":{"nickName":"x"}}}`)
	tests := []struct {
		name, path, token string
		body              []byte
		status, grpc      int
		id                string
	}{
		{"UnknownUser", "/v2/users/no-such-user", zitadel.DemoAdminToken, valid, 404, 5, "COMMAND-ugjs0upun6"},
		{"OverlongUserID", "/v2/users/" + strings.Repeat("1", 201), zitadel.DemoAdminToken, valid, 404, 5, "COMMAND-ugjs0upun6"},
		{"EncodedSlashInUserID", "/v2/users/" + zitadel.DemoUserID + "%2Fphone", zitadel.DemoAdminToken, valid, 404, 5, "COMMAND-ugjs0upun6"},
		{"TenMegabytes", "/v2/users/" + zitadel.DemoUserID, zitadel.DemoAdminToken, tenMB, 413, 8, "IDUPD-SIZE01"},
		{"QueryParameter", "/v2/users/" + zitadel.DemoUserID + "?updateMask=human", zitadel.DemoAdminToken, valid, 400, 3, "IDUPD-BODY01"},
		{"NoToken", "/v2/users/" + zitadel.DemoUserID, "", valid, 401, 16, "IDUPD-AUTH01"},
		{"AnotherUsersOwnToken", "/v2/users/u-other", zitadel.DemoSelfToken, valid, 403, 7, "AUTHZ-HKJD33"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			otherID := e.createUser(t, "other")
			before := e.state(t, zitadel.DemoUserID)
			other := e.state(t, otherID)
			status, body := e.do(t, http.MethodPatch, tc.path, tc.token, tc.body)
			assert.Equal(t, tc.status, status, string(body))
			zerror(t, body, tc.grpc, tc.id)
			e.assertUnchanged(t, before)
			assert.Equal(t, other, e.state(t, otherID))
		})
	}
}

// UpdateUser over gRPC, gRPC-web and Connect: the same sections, the same
// answers as REST, the machine part refused by name.
func TestRPCUpdateUser(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			users := e.client(t, protocol, zitadel.DemoAdminToken)
			before := e.user(t)
			e.clk.Advance(time.Second)

			res, err := users.UpdateUser(ctx, connect.NewRequest(&userpb.UpdateUserRequest{
				UserId: zitadel.DemoUserID, Username: str("minnie.mouse"),
				UserType: &userpb.UpdateUserRequest_Human_{Human: &userpb.UpdateUserRequest_Human{
					Profile: &userpb.UpdateUserRequest_Human_Profile{NickName: str("Min"), PreferredLanguage: str("de-CH")},
					Email:   returnEmail("minnie@mouse.example"),
				}},
			}))
			require.NoError(t, err)
			code := res.Msg.GetEmailCode()
			require.Regexp(t, `^[A-Z0-9]{6}$`, code)
			assert.Nil(t, res.Msg.PhoneCode)
			after := e.user(t)
			assert.Equal(t, after.Details.ChangeDate, res.Msg.GetChangeDate().AsTime().Format("2006-01-02T15:04:05.000Z"))
			assert.Equal(t, "minnie.mouse", after.Username)
			assert.Equal(t, before.Human.Profile.GivenName, after.Human.Profile.GivenName)
			assert.Equal(t, "Min", after.Human.Profile.NickName)
			assert.Equal(t, "minnie@mouse.example", after.Human.Email.Email)
			_, err = users.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: code}))
			require.NoError(t, err)

			// Nothing changes on the same request again.
			st := e.state(t, zitadel.DemoUserID)
			_, err = users.UpdateUser(ctx, connect.NewRequest(&userpb.UpdateUserRequest{
				UserId: zitadel.DemoUserID, Username: str("minnie.mouse"),
				UserType: &userpb.UpdateUserRequest_Human_{Human: &userpb.UpdateUserRequest_Human{
					Profile: &userpb.UpdateUserRequest_Human_Profile{NickName: str("Min")},
				}},
			}))
			require.NoError(t, err)
			e.assertUnchanged(t, st)

			// A gender is decoded from the enum.
			_, err = users.UpdateUser(ctx, connect.NewRequest(&userpb.UpdateUserRequest{
				UserId: zitadel.DemoUserID,
				UserType: &userpb.UpdateUserRequest_Human_{Human: &userpb.UpdateUserRequest_Human{
					Profile: &userpb.UpdateUserRequest_Human_Profile{Gender: userpb.Gender_GENDER_DIVERSE.Enum()},
				}},
			}))
			require.NoError(t, err)
			assert.Equal(t, "GENDER_DIVERSE", e.user(t).Human.Profile.Gender)
		})
	}
}

// Hostile UpdateUser messages over the RPC formats: an unknown field deep
// in the human part, an unknown JSON member, a truncated message and a
// 10 MB message on every protocol. Each gets a clean error and changes
// nothing.
func TestRPCUpdateUserHostile(t *testing.T) {
	// human.profile with an unknown field 99.
	profile, err := proto.Marshal(&userpb.UpdateUserRequest_Human_Profile{NickName: str("Hostile")})
	require.NoError(t, err)
	profile = protowire.AppendVarint(protowire.AppendTag(profile, 99, protowire.VarintType), 1)
	humanPart := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), profile)
	msg := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), zitadel.DemoUserID)
	msg = protowire.AppendBytes(protowire.AppendTag(msg, 3, protowire.BytesType), humanPart)
	valid, err := proto.Marshal(&userpb.UpdateUserRequest{UserId: zitadel.DemoUserID,
		UserType: &userpb.UpdateUserRequest_Human_{Human: &userpb.UpdateUserRequest_Human{
			Profile: &userpb.UpdateUserRequest_Human_Profile{NickName: str("Hostile")}}}})
	require.NoError(t, err)

	grpcHeader := map[string]string{"Content-Type": "application/grpc+proto", "Te": "trailers"}
	cases := []struct {
		name   string
		grpc   bool
		header map[string]string
		body   []byte
		code   string
		status int
	}{
		{"grpc unknown field", true, grpcHeader, envelope(false, uint32(len(msg)), msg), "3", http.StatusOK},
		{"grpc truncated frame", true, grpcHeader, envelope(false, 100, valid[:10]), "13", http.StatusOK},
		{"grpc length prefix over the limit", true, grpcHeader, envelope(false, 1<<30, valid), "8", http.StatusOK},
		{"connect unknown field", false, map[string]string{"Content-Type": "application/proto"}, msg, "invalid_argument", http.StatusBadRequest},
		{"connect json unknown member", false, map[string]string{"Content-Type": "application/json"},
			[]byte(`{"userId":"` + zitadel.DemoUserID + `","human":{"profile":{"nickName":"Hostile"},"bogus":1}}`), "invalid_argument", http.StatusBadRequest},
		{"connect json human and machine", false, map[string]string{"Content-Type": "application/json"},
			[]byte(`{"userId":"` + zitadel.DemoUserID + `","human":{"profile":{"nickName":"Hostile"}},"machine":{}}`), "invalid_argument", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			a := e.rawRPCTo(t, "UpdateUser", tc.grpc, tc.header, tc.body)
			assert.Equal(t, tc.status, a.status, a.body)
			assert.Equal(t, tc.code, a.code, a.body)
			assert.NotContains(t, a.body, "Hostile")
			e.assertUnchanged(t, before)
		})
	}
	for _, protocol := range protocols {
		t.Run("10MB/"+protocol, func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			_, err := e.client(t, protocol, zitadel.DemoAdminToken).UpdateUser(context.Background(), connect.NewRequest(&userpb.UpdateUserRequest{
				UserId: zitadel.DemoUserID, Username: str(strings.Repeat("x", 10<<20)),
			}))
			assert.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "%v", err)
			e.assertUnchanged(t, before)
		})
	}
}
