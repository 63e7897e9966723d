package rubiq_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUnknownParameters sends every endpoint one parameter it does not
// take, as a query parameter and as a JSON member: each is refused with
// Rubiq's 400 naming it, and the entity is unchanged.
func TestUnknownParameters(t *testing.T) {
	endpoints := []struct {
		name, method, path, body, member, rule string
	}{
		{"UpdateByID", http.MethodPut, byID1001, `{"city":"Oslo","town":"x"}`, "town", "contract"},
		{"UpdateByIDContract", http.MethodPut, byID1001 + "/profile", `{"city":"Oslo","town":"x"}`, "town", "contract"},
		{"UpdateByExtKey", http.MethodPut, byExt1001, `{"city":"Oslo","town":"x"}`, "town", "contract"},
		{"UpdateByExtKeyContract", http.MethodPut, byExt1001 + "/profile", `{"city":"Oslo","town":"x"}`, "town", "contract"},
		{"VerifyByID", http.MethodPost, verify1001, `{"code":"123456","codes":"x"}`, "codes", "unknown"},
		{"VerifyByExtKey", http.MethodPost, verifyExt1001, `{"code":"123456","codes":"x"}`, "codes", "unknown"},
	}
	for _, ep := range endpoints {
		valid := strings.Replace(ep.body, `,"`+ep.member+`":"x"`, "", 1)
		t.Run(ep.name+"/Query", func(t *testing.T) {
			e := newEnv(t)
			before := e.snapshot("1001")
			res := e.do(ep.method, ep.path+"?attribute_nam=x", appToken, []byte(valid))
			assert.Equal(t, http.StatusBadRequest, res.status, string(res.body))
			assert.Contains(t, string(res.body), `"field":"attribute_nam"`)
			assert.Contains(t, string(res.body), `"rule":"unknown"`)
			assert.Equal(t, before, e.snapshot("1001"))
		})
		t.Run(ep.name+"/Member", func(t *testing.T) {
			e := newEnv(t)
			before := e.snapshot("1001")
			res := e.do(ep.method, ep.path, appToken, []byte(ep.body))
			assert.Equal(t, http.StatusBadRequest, res.status, string(res.body))
			assert.Contains(t, string(res.body), `"field":"`+ep.member+`"`)
			assert.Contains(t, string(res.body), `"rule":"`+ep.rule+`"`)
			assert.Equal(t, before, e.snapshot("1001"))
		})
	}
}
