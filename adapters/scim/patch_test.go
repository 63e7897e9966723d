package scim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/update"
)

const patchSchema = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

// createUser posts a user and returns its id.
func createUser(t testing.TB, s *server, body map[string]any) string {
	t.Helper()
	body["schemas"] = []string{scim.SchemaUser}
	st, _, got := s.do("POST", "/scim/v2/Users", adminToken, body)
	require.Equal(t, http.StatusCreated, st, "%v", got)
	return got["id"].(string)
}

func createGroup(t testing.TB, s *server, body map[string]any) string {
	t.Helper()
	body["schemas"] = []string{scim.SchemaGroup}
	st, _, got := s.do("POST", "/scim/v2/Groups", adminToken, body)
	require.Equal(t, http.StatusCreated, st, "%v", got)
	return got["id"].(string)
}

func patch(t testing.TB, s *server, path string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	st, _, got := s.do("PATCH", path, adminToken, body, hdr...)
	return st, got
}

// TestPatchRFCGroups applies RFC 7644 section 3.5.2's Group examples.
func TestPatchRFCGroups(t *testing.T) {
	s := newServer(t, newMemory())
	const babs, james = "2819c223-7f76-453a-919d-413861904646", "08e1d05d-121c-4561-8b96-473d93df9210"
	gid := createGroup(t, s, map[string]any{"displayName": "Tour Guides"})
	path := "/scim/v2/Groups/" + gid

	st, g := patch(t, s, path, fixture(t, "rfc7644-3.5.2.1-add-member.json"))
	require.Equal(t, http.StatusOK, st, "%v", g)
	require.Len(t, g["members"], 1)
	assert.Equal(t, babs, g["members"].([]any)[0].(map[string]any)["value"])
	// Adding the same member again changes nothing: same version.
	st, g2 := patch(t, s, path, fixture(t, "rfc7644-3.5.2.1-add-member.json"))
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, g["meta"].(map[string]any)["version"], g2["meta"].(map[string]any)["version"])

	st, g = patch(t, s, path, fixture(t, "rfc7644-3.5.2.2-remove-member.json"))
	require.Equal(t, http.StatusOK, st, "%v", g)
	assert.Empty(t, g["members"])

	patch(t, s, path, fixture(t, "rfc7644-3.5.2.1-add-member.json"))
	st, g = patch(t, s, path, fixture(t, "rfc7644-3.5.2.2-remove-all-then-add.json"))
	require.Equal(t, http.StatusOK, st, "%v", g)
	require.Len(t, g["members"], 1)
	assert.Equal(t, james, g["members"].([]any)[0].(map[string]any)["value"])
	assert.Equal(t, "James Smith", g["members"].([]any)[0].(map[string]any)["display"])
}

// TestPatchRFCUsers applies RFC 7644 section 3.5.2's User examples.
func TestPatchRFCUsers(t *testing.T) {
	s := newServer(t, newMemory())
	id := createUser(t, s, map[string]any{"userName": "bjensen",
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@other.org", "type": "work"},
		},
		"addresses": []any{map[string]any{"type": "work", "streetAddress": "100 Universal City Plaza"}},
	})
	path := "/scim/v2/Users/" + id

	st, u := patch(t, s, path, fixture(t, "rfc7644-3.5.2.1-add-nopath.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, "Babs", u["nickName"])
	assert.Len(t, u["emails"], 3)

	st, u = patch(t, s, path, fixture(t, "rfc7644-3.5.2.2-remove-emails.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, []any{
		map[string]any{"value": "babs@other.org", "type": "work"},
		map[string]any{"value": "babs@jensen.org", "type": "home"},
	}, u["emails"])

	st, u = patch(t, s, path, fixture(t, "rfc7644-3.5.2.3-replace-address.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	addr := u["addresses"].([]any)[0].(map[string]any)
	assert.Equal(t, "911 Universal City Plaza", addr["streetAddress"])
	assert.Equal(t, "Hollywood", addr["locality"])

	st, u = patch(t, s, path, fixture(t, "rfc7644-3.5.2.3-replace-street.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	addr = u["addresses"].([]any)[0].(map[string]any)
	assert.Equal(t, "1010 Broadway Ave", addr["streetAddress"])
	assert.Equal(t, "Hollywood", addr["locality"])

	st, u = patch(t, s, path, fixture(t, "rfc7644-3.5.2.3-replace-nopath.json"))
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, []any{map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true}}, u["emails"])
}

// TestPatchPrimary: making one value primary clears the flag of the
// others (RFC 7643 section 2.4), through the engine's Plural.Primary.
func TestPatchPrimary(t *testing.T) {
	s := newServer(t, newMemory())
	id := createUser(t, s, map[string]any{"userName": "bjensen", "emails": []any{
		map[string]any{"value": "a@example.com", "type": "work", "primary": true},
		map[string]any{"value": "b@example.com", "type": "home"},
	}})
	st, u := patch(t, s, "/scim/v2/Users/"+id, `{`+patchSchema+`,"Operations":[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]}`)
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, []any{
		map[string]any{"value": "a@example.com", "type": "work", "primary": false},
		map[string]any{"value": "b@example.com", "type": "home", "primary": true},
	}, u["emails"])
}

// TestPatchErrors: each refusal changes nothing — version, document and
// history stay as they were.
func TestPatchErrors(t *testing.T) {
	s := newServer(t, newMemory())
	id := createUser(t, s, map[string]any{"userName": "bjensen", "displayName": "Babs",
		"emails": []any{map[string]any{"value": "a@example.com", "type": "work"}}})
	path := "/scim/v2/Users/" + id
	_, _, before := s.do("GET", path, adminToken, nil)
	hist, err := s.h.Engine().History(t.Context(), scim.EntityUser, update.ByID(id))
	require.NoError(t, err)
	ops := func(list string) string { return `{` + patchSchema + `,"Operations":[` + list + `]}` }
	cases := []struct {
		name     string
		body     string
		ifMatch  string
		status   int
		scimType string
	}{
		{"ReplaceNoMatch", ops(`{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@example.com"}`), "", 400, scim.TypeNoTarget},
		{"RemoveNoPath", ops(`{"op":"remove"}`), "", 400, scim.TypeNoTarget},
		{"OneFailingOp", ops(`{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"x@example.com"}}`), "", 400, scim.TypeNoTarget},
		{"LaterBadValue", ops(`{"op":"add","path":"nickName","value":"B"},{"op":"replace","path":"active","value":"maybe"}`), "", 400, scim.TypeInvalidValue},
		{"RemoveRequired", ops(`{"op":"remove","path":"userName"}`), "", 400, scim.TypeMutability},
		{"ReadOnly", ops(`{"op":"add","path":"groups","value":[{"value":"g"}]}`), "", 400, scim.TypeMutability},
		{"InvalidPath", ops(`{"op":"replace","path":"shoeSize","value":1}`), "", 400, scim.TypeInvalidPath},
		{"InvalidPathSub", ops(`{"op":"replace","path":"emails[type eq \"work\"].colour","value":1}`), "", 400, scim.TypeInvalidPath},
		{"InvalidFilter", ops(`{"op":"replace","path":"emails[type eq].value","value":"x"}`), "", 400, scim.TypeInvalidFilter},
		{"BadOp", ops(`{"op":"move","path":"displayName"}`), "", 400, scim.TypeInvalidSyntax},
		{"NoOps", ops(``), "", 400, scim.TypeInvalidValue},
		{"WrongSchema", `{"schemas":["urn:x"],"Operations":[{"op":"remove","path":"nickName"}]}`, "", 400, scim.TypeInvalidSyntax},
		{"Uniqueness", ops(`{"op":"replace","path":"userName","value":"JSMITH"}`), "", 409, scim.TypeUniqueness},
		{"IfMatch", ops(`{"op":"replace","path":"displayName","value":"X"}`), `W/"9"`, 412, ""},
	}
	createUser(t, s, map[string]any{"userName": "jsmith"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ifMatch != "" {
				hdr = []string{"If-Match", c.ifMatch}
			}
			st, body := patch(t, s, path, c.body, hdr...)
			scimError(t, c.status, c.scimType, st, body)
			_, _, after := s.do("GET", path, adminToken, nil)
			assert.Equal(t, before, after)
			h2, err := s.h.Engine().History(t.Context(), scim.EntityUser, update.ByID(id))
			require.NoError(t, err)
			assert.Len(t, h2, len(hist))
		})
	}
	// A read-only client: 403, nothing changed.
	st, _, body := s.do("PATCH", path, readonlyToken, ops(`{"op":"replace","path":"displayName","value":"X"}`))
	scimError(t, http.StatusForbidden, "", st, body)
	// If-Match with the current version goes through.
	st, u := patch(t, s, path, ops(`{"op":"replace","path":"displayName","value":"X"}`), "If-Match", `W/"1"`)
	require.Equal(t, http.StatusOK, st, "%v", u)
	assert.Equal(t, `W/"2"`, u["meta"].(map[string]any)["version"])
}

// TestMemberMutability: a member's value, $ref and type are immutable
// (RFC 7643 section 4.2), per element: PATCH and PUT cannot change them
// in a member kept by value (400 mutability, nothing changed), a member
// may be removed and another added, and /Schemas says so.
func TestMemberMutability(t *testing.T) {
	s := newServer(t, newMemory())
	gid := createGroup(t, s, map[string]any{"displayName": "G",
		"members": []any{map[string]any{"value": "u1", "type": "User"}, map[string]any{"value": "u2"}}})
	path := "/scim/v2/Groups/" + gid
	op := func(o string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + o + `]}`
	}
	for _, req := range []struct {
		name, method string
		body         any
	}{
		{"patch type through a filter", "PATCH", op(`{"op":"replace","path":"members[value eq \"u1\"].type","value":"Group"}`)},
		{"patch value through a filter", "PATCH", op(`{"op":"replace","path":"members[value eq \"u1\"].value","value":"u9"}`)},
		{"remove type", "PATCH", op(`{"op":"remove","path":"members[value eq \"u1\"].type"}`)},
		{"put changing a kept member's type", "PUT", map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "G",
			"members": []any{map[string]any{"value": "u1", "type": "Group"}, map[string]any{"value": "u2"}}}},
	} {
		name := req.name
		st, _, body := s.do(req.method, path, adminToken, req.body)
		assert.Equal(t, http.StatusBadRequest, st, name)
		assert.Equal(t, scim.TypeMutability, body["scimType"], "%s: %v", name, body)
		_, _, g := s.do("GET", path, adminToken, nil)
		assert.Equal(t, `W/"1"`, g["meta"].(map[string]any)["version"], name)
	}
	// Setting type where it was absent, and replacing a member by another.
	st, g := patch(t, s, path, op(`{"op":"add","path":"members[value eq \"u2\"].type","value":"User"}`))
	require.Equal(t, http.StatusOK, st, "%v", g)
	st, _, g = s.do("PUT", path, adminToken, map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "G",
		"members": []any{map[string]any{"value": "u3", "type": "Group"}, map[string]any{"value": "u2", "type": "User"}}})
	require.Equal(t, http.StatusOK, st, "%v", g)
	assert.Equal(t, []any{map[string]any{"value": "u3", "type": "Group"}, map[string]any{"value": "u2", "type": "User"}}, g["members"])

	_, _, sch := s.do("GET", "/scim/v2/Schemas/"+scim.SchemaGroup, readonlyToken, nil)
	var members map[string]any
	for _, a := range sch["attributes"].([]any) {
		if a.(map[string]any)["name"] == "members" {
			members = a.(map[string]any)
		}
	}
	require.NotNil(t, members)
	for _, sub := range members["subAttributes"].([]any) {
		sa := sub.(map[string]any)
		if n := sa["name"]; n == "value" || n == "$ref" || n == "type" {
			assert.Equal(t, "immutable", sa["mutability"], n)
		}
	}
}
