package zitadel_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/update"
)

// TestUnknownParameters sends every endpoint one parameter it does not
// take, as a query parameter and, where the call has a body, as a JSON
// member: each is refused with InvalidArgument naming it, and nothing
// changes.
func TestUnknownParameters(t *testing.T) {
	user := "/v2/users/" + zitadel.DemoUserID
	endpoints := []struct {
		name, method, path, body, member string
	}{
		{"AddHumanUser", http.MethodPost, "/v2/users/human",
			`{"userId":"strict-1","profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@b.example"},"nickName":"x"}`, "nickName"},
		{"UpdateHumanUser", http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID,
			`{"profile":{"givenName":"A","familyName":"B","middleName":"x"}}`, "middleName"},
		{"UpdateUser", http.MethodPatch, user,
			`{"human":{"profile":{"nickName":"A","middleName":"x"}}}`, "middleName"},
		{"GetUserByID", http.MethodGet, user, "", ""},
		{"VerifyEmail", http.MethodPost, user + "/email/verify", `{"verificationCode":"ABC123","code":"x"}`, "code"},
		{"ResendEmailCode", http.MethodPost, user + "/email/resend", `{"returnCode":{},"send":true}`, "send"},
		{"VerifyPhone", http.MethodPost, user + "/phone/verify", `{"verificationCode":"ABC123","code":"x"}`, "code"},
		{"ResendPhoneCode", http.MethodPost, user + "/phone/resend", `{"returnCode":{},"send":true}`, "send"},
		{"RemovePhone", http.MethodDelete, user + "/phone", `{"phone":""}`, "phone"},
	}
	for _, ep := range endpoints {
		t.Run(ep.name+"/Query", func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			status, body := e.do(t, ep.method, ep.path+"?attribute_nam=x", zitadel.DemoAdminToken, validBody(ep.body, ep.member))
			assert.Equal(t, http.StatusBadRequest, status, string(body))
			out := zerror(t, body, 3, "IDUPD-BODY01")
			assert.Contains(t, out.Message, "attribute_nam")
			e.assertUnchanged(t, before)
			e.assertNoUser(t, "strict-1")
		})
		if ep.member == "" {
			continue
		}
		t.Run(ep.name+"/Member", func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			status, body := e.do(t, ep.method, ep.path, zitadel.DemoAdminToken, []byte(ep.body))
			assert.Equal(t, http.StatusBadRequest, status, string(body))
			out := zerror(t, body, 3, "IDUPD-BODY01")
			assert.Contains(t, out.Message, ep.member)
			e.assertUnchanged(t, before)
			e.assertNoUser(t, "strict-1")
		})
	}
}

// validBody returns body without its unknown member, so the query
// parameter is the only fault of the request.
func validBody(body, member string) []byte {
	switch member {
	case "":
		return nil
	case "nickName":
		return []byte(`{"userId":"strict-1","profile":{"givenName":"A","familyName":"B"},"email":{"email":"a@b.example"}}`)
	case "middleName":
		return []byte(`{"profile":{"givenName":"A","familyName":"B"}}`)
	case "code":
		return []byte(`{"verificationCode":"ABC123"}`)
	case "send":
		return []byte(`{"returnCode":{}}`)
	}
	return []byte(`{}`)
}

// assertNoUser checks that no user id exists.
func (e *env) assertNoUser(tb testing.TB, id string) {
	tb.Helper()
	_, err := e.eng.Get(context.Background(), zitadel.EntityType, update.ByID(id))
	assert.Equal(tb, update.NotFound, update.ErrorCode(err), "user %s was created", id)
}
