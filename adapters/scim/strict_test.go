package scim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/scim"
)

// TestStrict: every endpoint refuses one unknown parameter with
// invalidValue naming it, and the record stays as it was.
func TestStrict(t *testing.T) {
	s := newServer(t, newMemory())
	require.NoError(t, scim.SeedDemo(t.Context(), s.h.Engine()))
	user := "/scim/v2/Users/" + scim.DemoUserID
	_, _, before := s.do("GET", user, adminToken, nil)
	patchBody := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"x"}]}`
	putBody := map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "bjensen"}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/scim/v2/Users", nil},
		{"POST", "/scim/v2/Users", map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "new"}},
		{"POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`},
		{"GET", user, nil},
		{"PUT", user, putBody},
		{"PATCH", user, patchBody},
		{"DELETE", user, nil},
		{"GET", "/scim/v2/Groups", nil},
		{"GET", "/scim/v2/Me", nil},
		{"GET", "/scim/v2/ServiceProviderConfig", nil},
		{"GET", "/scim/v2/Schemas", nil},
		{"GET", "/scim/v2/ResourceTypes", nil},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			token := adminToken
			if c.path == "/scim/v2/Me" {
				token = bjensenToken
			}
			st, _, body := s.do(c.method, c.path+"?atributes=userName", token, c.body)
			scimError(t, http.StatusBadRequest, "invalidValue", st, body)
			assert.Contains(t, body["detail"], "atributes")
		})
	}
	_, _, after := s.do("GET", user, adminToken, nil)
	assert.Equal(t, before, after)
	st, _, list := s.do("GET", "/scim/v2/Users?filter=userName%20eq%20%22new%22", adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, list["totalResults"])
}
