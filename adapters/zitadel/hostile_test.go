package zitadel_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
)

// hostileCase is one entry of testdata/hostile/cases.json.
type hostileCase struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Token  string `json:"token"` // "admin" (default) or "self"
	Status int    `json:"status"`
	GRPC   int    `json:"grpc"`
	ID     string `json:"id"`
}

func TestHostileUpdates(t *testing.T) {
	e := newEnv(t)
	runHostile(t, "hostile", 15, func(token string, body []byte) (int, []byte) { return e.update(t, token, body) }, e)
}

// runHostile sends each case of testdata/dir/cases.json (at least min of
// them) through send: each gets its status and ZITADEL's error body, echoes
// no secret of the bodies, and changes and sends nothing.
func runHostile(t *testing.T, dir string, min int, send func(token string, body []byte) (int, []byte), e *env) {
	var cases []hostileCase
	require.NoError(t, json.Unmarshal(fixture(t, filepath.Join(dir, "cases.json")), &cases))
	require.GreaterOrEqual(t, len(cases), min)
	// Values of the hostile bodies that no answer may echo.
	secrets := []string{"Secr3tP4ssw0rd!", "password1!", "Sh0rt!", "N3w-Passw0rd!", "SKJd342k", "$2a$04$", "$scrypt$"}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			token := zitadel.DemoAdminToken
			if tc.Token == "self" {
				token = zitadel.DemoSelfToken
			}
			before := e.state(t, zitadel.DemoUserID)
			sent := len(e.rec.Messages())

			status, body := send(token, fixture(t, filepath.Join(dir, tc.File)))

			assert.Equal(t, tc.Status, status, string(body))
			zerror(t, body, tc.GRPC, tc.ID)
			for _, s := range secrets {
				assert.NotContains(t, string(body), s)
			}
			e.assertUnchanged(t, before)
			assert.Len(t, e.rec.Messages(), sent, "nothing dispatched")
		})
	}
}

func TestHostileBodyOf10MB(t *testing.T) {
	e := newEnv(t)
	before := e.state(t, zitadel.DemoUserID)
	body := append([]byte(`{"username":"`), bytes.Repeat([]byte("a"), 10<<20)...)
	body = append(body, `"}`...)

	status, out := e.update(t, zitadel.DemoAdminToken, body)

	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	zerror(t, out, 8, "IDUPD-SIZE01")
	e.assertUnchanged(t, before)
}

func TestHostileVerifyAndResendBodies(t *testing.T) {
	e := newEnv(t)
	status, body := e.update(t, zitadel.DemoAdminToken, []byte(`{"email":{"email":"new@example.com","returnCode":{}}}`))
	require.Equal(t, http.StatusOK, status, string(body))
	tests := []struct {
		name, path string
		body       []byte
		id         string
	}{
		{"VerifyEmptyCode", "/email/verify", []byte(`{"verificationCode":""}`), "IDUPD-ARG01"},
		{"VerifyCodeTooLong", "/email/verify", []byte(`{"verificationCode":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}`), "IDUPD-ARG01"},
		{"VerifyUnknownField", "/email/verify", []byte(`{"code":"ABC123"}`), "IDUPD-BODY01"},
		{"ResendBothMembers", "/email/resend", []byte(`{"sendCode":{},"returnCode":{}}`), "IDUPD-ONEOF01"},
		{"ResendBadTemplate", "/email/resend", []byte(`{"sendCode":{"urlTemplate":"{{.Secret}}"}}`), "DOMAIN-oGh5e"},
		{"PhoneResendTemplate", "/phone/resend", []byte(`{"sendCode":{"urlTemplate":"x"}}`), "IDUPD-BODY01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(t, zitadel.DemoUserID)

			status, body := e.do(t, http.MethodPost, "/v2/users/"+zitadel.DemoUserID+tc.path, zitadel.DemoAdminToken, tc.body)

			assert.Equal(t, http.StatusBadRequest, status)
			zerror(t, body, 3, tc.id)
			e.assertUnchanged(t, before)
		})
	}
}
