package druid_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idupdate/idupdate/adapters/druid"
)

// TestUnknownParameters sends every endpoint one parameter it does not
// take, as a query parameter and as a form field or JSON member: each is
// refused with DRUID's 400 naming it, and the user is unchanged.
func TestUnknownParameters(t *testing.T) {
	type call func(t *testing.T, e *env, query string, extra bool) response
	token := func(t *testing.T, e *env, query string, extra bool) response {
		form := tokenForm(druid.DemoClientID, druid.DemoSecret, "S256", druid.S256Challenge(newVerifier(t)))
		if extra {
			form.Set("scopes", "update")
		}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		return e.post(t, druid.PathToken+"?"+query, h, []byte(form.Encode()))
	}
	updateCall := func(t *testing.T, e *env, query string, extra bool) response {
		tok, ver := e.demoToken(t)
		body := fixture(t, "flow_update.json")
		if extra {
			body = bytes.Replace(body, []byte(`"datas"`), []byte(`"middleName": "x", "datas"`), 1)
		}
		return e.post(t, druid.PathUpdate+"?code_verifier="+url.QueryEscape(ver)+"&"+query, updateHeader(tok, druid.DemoEntryPoint), body)
	}
	patchCall := func(t *testing.T, e *env, query string, extra bool) response {
		tok, ver := e.demoToken(t)
		body := fixture(t, "patch_datas.json")
		if extra {
			body = bytes.Replace(body, []byte(`"datas"`), []byte(`"middleName": "x", "datas"`), 1)
		}
		return e.send(t, http.MethodPatch, druid.PathUpdate+"?code_verifier="+url.QueryEscape(ver)+"&"+query, updateHeader(tok, druid.DemoEntryPoint), body)
	}
	selfCall := func(t *testing.T, e *env, query string, extra bool) response {
		body := fixture(t, "self_update.json")
		if extra {
			body = bytes.Replace(body, []byte(`"datas"`), []byte(`"middleName": "x", "datas"`), 1)
		}
		return e.send(t, http.MethodPost, druid.PathUpdate+"?"+query, updateHeader(druid.DemoUserToken, druid.DemoEntryPoint), body)
	}
	confirm := func(t *testing.T, e *env, query string, extra bool) response {
		body := withCode(t, "flow_confirm.json", "ABCDEFGH")
		if extra {
			body = bytes.Replace(body, []byte(`"code"`), []byte(`"codes": "x", "code"`), 1)
		}
		return e.post(t, druid.PathConfirm+"?"+query, entryHeader(druid.DemoEntryPoint), body)
	}
	resend := func(t *testing.T, e *env, query string, extra bool) response {
		body := fixture(t, "resend_email.json")
		if extra {
			body = bytes.Replace(body, []byte(`"notificationType"`), []byte(`"channel": "x", "notificationType"`), 1)
		}
		return e.post(t, druid.PathResend+"?"+query, entryHeader(druid.DemoEntryPoint), body)
	}
	endpoints := []struct {
		name   string
		call   call
		member string
	}{
		{"Token", token, "scopes"},
		{"Update", updateCall, "object.middleName"},
		{"Patch", patchCall, "object.middleName"},
		{"SelfUpdate", selfCall, "object.middleName"},
		{"Confirm", confirm, "context.codes"},
		{"Resend", resend, "context.channel"},
	}
	for _, ep := range endpoints {
		t.Run(ep.name+"/Query", func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, druid.DemoUserID)
			resp := ep.call(t, e, "attribute_nam=x", false)
			assert.Equal(t, http.StatusBadRequest, resp.status, string(resp.body))
			assert.Contains(t, messages(errorBody(t, resp)), "attribute_nam")
			assert.Equal(t, before, e.state(t, druid.DemoUserID))
		})
		t.Run(ep.name+"/Member", func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, druid.DemoUserID)
			resp := ep.call(t, e, "", true)
			assert.Equal(t, http.StatusBadRequest, resp.status, string(resp.body))
			assert.Contains(t, messages(errorBody(t, resp)), ep.member)
			assert.Equal(t, before, e.state(t, druid.DemoUserID))
		})
	}
}
