package scim_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/scim"
)

// TestRootSearch posts RFC 7644 section 3.4.3's SearchRequest to the
// service root, which searches Users and Groups alike.
func TestRootSearch(t *testing.T) {
	s := newServer(t, newMemory())
	require.NoError(t, scim.SeedDemo(t.Context(), s.h.Engine()))
	createGroup(t, s, map[string]any{"displayName": "Friends of Smith"})
	search := func(body string) (int, map[string]any) {
		t.Helper()
		st, _, got := s.do("POST", "/scim/v2/.search", readonlyToken, body)
		return st, got
	}
	const sr = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`
	types := func(body map[string]any) []string {
		var out []string
		for _, r := range body["Resources"].([]any) {
			out = append(out, r.(map[string]any)["meta"].(map[string]any)["resourceType"].(string))
		}
		return out
	}

	// The RFC's request: no displayName starts with "smith".
	st, body := search(string(fixture(t, "rfc7644-3.4.3-search.json")))
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 0, body["totalResults"])
	assert.Equal(t, []any{}, body["Resources"])
	// Ending with it: a User and a Group, each with the attributes it has.
	st, body = search(strings.Replace(string(fixture(t, "rfc7644-3.4.3-search.json")), `sw \"smith\"`, `ew \"smith\"`, 1))
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 2, body["totalResults"])
	assert.Equal(t, []string{"User", "Group"}, types(body))
	want := [][]string{{"displayName", "id", "meta", "schemas", "userName"}, {"displayName", "id", "meta", "schemas"}}
	for i, r := range body["Resources"].([]any) {
		var keys []string
		for k := range r.(map[string]any) {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		assert.Equal(t, want[i], keys)
	}

	// An attribute only one type defines confines the search to that type.
	st, body = search(sr + `,"filter":"userName eq \"BJENSEN\""}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, []string{"User"}, types(body))
	st, body = search(sr + `,"filter":"members.value eq \"` + scim.DemoUserID + `\""}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, []string{"Group"}, types(body))
	assert.Equal(t, "Tour Guides", body["Resources"].([]any)[0].(map[string]any)["displayName"])

	// Pages run across the types: 2 Users, then 2 Groups.
	st, body = search(sr + `,"filter":"displayName pr","startIndex":2,"count":2}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 4, body["totalResults"])
	assert.EqualValues(t, 2, body["startIndex"])
	assert.EqualValues(t, 2, body["itemsPerPage"])
	assert.Equal(t, []string{"User", "Group"}, types(body))
	st, body = search(sr + `,"startIndex":4,"count":5}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, []string{"Group"}, types(body))
	st, body = search(sr + `,"count":0}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 4, body["totalResults"])
	assert.Equal(t, []any{}, body["Resources"])

	for _, c := range []struct {
		body, scimType string
	}{
		{sr + `,"filter":"nosuch eq \"x\""}`, scim.TypeInvalidFilter},
		{sr + `,"filter":"displayName eq"}`, scim.TypeInvalidFilter},
		{sr + `,"attributes":["nosuch"]}`, scim.TypeInvalidPath},
		{sr + `,"sortBy":"displayName"}`, scim.TypeInvalidValue},
		{sr + `,"count":"x"}`, scim.TypeInvalidSyntax},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, scim.TypeInvalidSyntax},
	} {
		st, body := search(c.body)
		scimError(t, http.StatusBadRequest, c.scimType, st, body)
	}
	st, _, body = s.do("POST", "/scim/v2/.search", "", sr+`}`)
	assert.Equal(t, http.StatusUnauthorized, st, "%v", body)
	st, _, body = s.do("GET", "/scim/v2/.search", readonlyToken, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, st, "%v", body)

	// A user's own token finds only its own user.
	st, _, body = s.do("POST", "/scim/v2/.search", bjensenToken, sr+`}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, []string{"User"}, types(body))
}
