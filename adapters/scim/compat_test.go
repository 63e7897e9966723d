package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// TestEntraID replays Microsoft Entra ID's documented provisioning
// requests (testdata/entra-*.json).
func TestEntraID(t *testing.T) {
	s := newServer(t, newMemory())
	const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
	// Entra queries before it creates: nothing yet.
	q := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "`+userName+`"`)
	st, _, list := s.do("GET", q, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, list["totalResults"])
	st, _, list = s.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, list["totalResults"])

	st, _, u := s.do("POST", "/scim/v2/Users", adminToken, fixture(t, "entra-create-user.json"))
	require.Equal(t, http.StatusCreated, st, "%v", u)
	path := "/scim/v2/Users/" + u["id"].(string)
	st, _, list = s.do("GET", q, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 1, list["totalResults"])

	// Capitalised op values.
	st, u = patch(t, s, path, fixture(t, "entra-patch-multivalued.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, "updatedEmail@microsoft.com", u["emails"].([]any)[0].(map[string]any)["value"])
	assert.Equal(t, "updatedFamilyName", u["name"].(map[string]any)["familyName"])

	// active as the string "False".
	st, u = patch(t, s, path, fixture(t, "entra-patch-active-string.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, false, u["active"])
	assert.Equal(t, storage.Inactive, engineState(t, s, u["id"].(string)))

	// Path-less add with dotted and URN-prefixed member names; manager as a string.
	st, u = patch(t, s, path, fixture(t, "entra-patch-add-dotted.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, "Barbara", u["name"].(map[string]any)["givenName"])
	assert.Equal(t, "givenName familyName", u["name"].(map[string]any)["formatted"], "add merges into name")
	ent := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	assert.Equal(t, "Tour Operations", ent["department"])
	assert.Equal(t, map[string]any{"value": "2819c223-7f76-453a-919d-413861904646"}, ent["manager"])
	assert.Contains(t, u["schemas"], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")

	// Groups: add a member with "$ref": null, then remove it by value.
	gid := createGroup(t, s, map[string]any{"displayName": "Entra Group"})
	st, g := patch(t, s, "/scim/v2/Groups/"+gid, fixture(t, "entra-group-add-member.json"))
	require.Equal(t, http.StatusOK, st, "%v", g)
	assert.Equal(t, []any{map[string]any{"value": "f648f8d5ea4e4cd38e9c"}}, g["members"])
	st, g = patch(t, s, "/scim/v2/Groups/"+gid, fixture(t, "entra-group-remove-member.json"))
	require.Equal(t, http.StatusOK, st, "%v", g)
	assert.Empty(t, g["members"])
}

// TestOkta replays Okta's documented provisioning requests
// (testdata/okta-*.json).
func TestOkta(t *testing.T) {
	s := newServer(t, newMemory())
	q := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "test.user@okta.local"`) + "&startIndex=1&count=100"
	st, _, list := s.do("GET", q, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, list["totalResults"])
	assert.Equal(t, []any{}, list["Resources"])

	st, _, u := s.do("POST", "/scim/v2/Users", adminToken, fixture(t, "okta-create-user.json"))
	require.Equal(t, http.StatusCreated, st, "%v", u)
	assert.NotContains(t, u, "password")
	assert.NotContains(t, u, "groups", "read-only groups sent by the client are ignored")
	id := u["id"].(string)
	st, _, list = s.do("GET", q, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 1, list["totalResults"])

	// Okta updates with a PUT of the whole user, password included: the
	// same password is no change.
	var put map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "okta-create-user.json"), &put))
	put["id"] = id
	st, hdr, u := s.do("PUT", "/scim/v2/Users/"+id, adminToken, put)
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, `W/"1"`, hdr.Get("ETag"))
	put["displayName"] = "Another User"
	st, hdr, _ = s.do("PUT", "/scim/v2/Users/"+id, adminToken, put)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, `W/"2"`, hdr.Get("ETag"))

	// Deactivation: a path-less replace of active.
	st, u = patch(t, s, "/scim/v2/Users/"+id, fixture(t, "okta-deactivate.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, false, u["active"])
	assert.Equal(t, storage.Inactive, engineState(t, s, id), "active:false deactivates the record")
	st, u = patch(t, s, "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`)
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, storage.Active, engineState(t, s, id), "active:true activates it again")
}

// engineState returns the engine state of the User id.
func engineState(t *testing.T, s *server, id string) storage.RecordState {
	t.Helper()
	v, err := s.h.Engine().Get(context.Background(), scim.EntityUser, update.ByID(id))
	require.NoError(t, err)
	return v.State
}

// TestActiveNeedsProvisioning: a user's own token may not change its
// state through active (403 and nothing changed); it may write the value
// active already holds.
func TestActiveNeedsProvisioning(t *testing.T) {
	s := newServer(t, newMemory())
	require.NoError(t, scim.SeedDemo(t.Context(), s.h.Engine()))
	op := func(v string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":` + v + `}]}`
	}
	st, _, body := s.do("PATCH", "/scim/v2/Users/"+scim.DemoUserID, bjensenToken, op("false"))
	assert.Equal(t, http.StatusForbidden, st, "%v", body)
	st, _, body = s.do("PATCH", "/scim/v2/Users/"+scim.DemoUserID, bjensenToken, op("true"))
	assert.Equal(t, http.StatusOK, st, "%v", body)
	_, _, u := s.do("GET", "/scim/v2/Users/"+scim.DemoUserID, adminToken, nil)
	assert.Equal(t, true, u["active"])
	assert.Equal(t, `W/"1"`, u["meta"].(map[string]any)["version"])
	assert.Equal(t, storage.Active, engineState(t, s, scim.DemoUserID))

	// A provisioning client's POST and PUT set the state from active too.
	st, _, u = s.do("POST", "/scim/v2/Users", adminToken, map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "off", "active": false})
	require.Equal(t, http.StatusCreated, st, "%v", u)
	id := u["id"].(string)
	assert.Equal(t, storage.Inactive, engineState(t, s, id))
	st, _, u = s.do("PUT", "/scim/v2/Users/"+id, adminToken, map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "off", "active": true})
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, storage.Active, engineState(t, s, id))
}
