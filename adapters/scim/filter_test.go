package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
)

// seedUsers creates the users of testdata/users.json and returns their ids
// by userName.
func seedUsers(t testing.TB, s *server) map[string]string {
	t.Helper()
	var users []map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "users.json"), &users))
	ids := map[string]string{}
	for _, u := range users {
		st, _, got := s.do("POST", "/scim/v2/Users", adminToken, u)
		require.Equal(t, http.StatusCreated, st, "%v", got)
		ids[u["userName"].(string)] = got["id"].(string)
	}
	return ids
}

// userNames returns the userNames of a ListResponse, in order.
func userNames(body map[string]any) []string {
	var out []string
	for _, r := range body["Resources"].([]any) {
		out = append(out, r.(map[string]any)["userName"].(string))
	}
	return out
}

// TestFilterBackends runs every filter on memory, SQLite and (when
// configured) PostgreSQL: the storage query decides the semantics, and all
// three must give the same users.
func TestFilterBackends(t *testing.T) {
	cases := []struct {
		filter, sort string
		want         []string
	}{
		{`userName eq "BJENSEN"`, "", []string{"bjensen"}}, // not caseExact
		{`userName eq "bјensen"`, "", nil},                 // a filter compares values; the skeleton guards uniqueness only
		{`externalId eq "zoe-1"`, "", nil},                 // caseExact
		{`externalId eq "ZOE-1"`, "", []string{"zoe"}},
		{`name.familyName eq "smith"`, "userName", []string{"ASmith", "jsmith"}},
		{`userName sw "j"`, "", []string{"jsmith"}},
		{`displayName co "smith"`, "userName", []string{"ASmith", "jsmith"}},
		{`title pr`, "userName", []string{"ASmith", "bjensen"}},
		{`not (title pr)`, "userName", []string{"jsmith", "zoe"}},
		{`active eq false`, "", []string{"ASmith"}},
		{`active eq true and name.givenName ew "m"`, "", []string{"jsmith"}},
		{`emails.value co "example.com"`, "userName", []string{"ASmith", "bjensen"}},
		{`emails eq "babs@jensen.org"`, "", []string{"bjensen"}},
		{`emails[type eq "work" and value co "example"]`, "userName", []string{"bjensen", "jsmith"}},
		{`emails[type eq "home"] or userName eq "zoe"`, "userName", []string{"ASmith", "bjensen", "zoe"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering"`, "", []string{"zoe"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "zoe"`, "", []string{"zoe"}},
		{`USERNAME Eq "zoe" OR (userName gt "i" AND userName lt "K")`, "userName", []string{"jsmith", "zoe"}},
		{`userName ne "zoe"`, "userName", []string{"ASmith", "bjensen", "jsmith"}},
	}
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := newServer(t, b.Open(t))
			seedUsers(t, s)
			for _, c := range cases {
				q := url.Values{"filter": {c.filter}}
				if c.sort != "" {
					q.Set("sortBy", c.sort)
				}
				st, _, body := s.do("GET", "/scim/v2/Users?"+q.Encode(), adminToken, nil)
				require.Equal(t, http.StatusOK, st, "%s: %v", c.filter, body)
				got := userNames(body)
				want := c.want
				if c.sort == "" {
					slices.Sort(got)
				}
				assert.Equal(t, want, got, c.filter)
				assert.EqualValues(t, len(want), body["totalResults"], c.filter)
			}
		})
	}
}

func TestPagingAndSort(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := newServer(t, b.Open(t))
			seedUsers(t, s)
			page := func(q string) map[string]any {
				st, _, body := s.do("GET", "/scim/v2/Users?"+q, readonlyToken, nil)
				require.Equal(t, http.StatusOK, st, "%s: %v", q, body)
				return body
			}
			// userName is not caseExact, so it sorts case-folded.
			assert.Equal(t, []string{"ASmith", "bjensen", "jsmith", "zoe"}, userNames(page("sortBy=userName")))
			assert.Equal(t, []string{"zoe", "jsmith", "bjensen", "ASmith"}, userNames(page("sortBy=userName&sortOrder=descending")))
			p := page("sortBy=userName&startIndex=2&count=2")
			assert.Equal(t, []string{"bjensen", "jsmith"}, userNames(p))
			assert.EqualValues(t, 4, p["totalResults"])
			assert.EqualValues(t, 2, p["itemsPerPage"])
			assert.EqualValues(t, 2, p["startIndex"])
			// count=0: the total only.
			p = page("count=0")
			assert.EqualValues(t, 4, p["totalResults"])
			assert.Empty(t, p["Resources"])
			// Out of range: RFC 7644 section 3.4.2.4 reads them as 1 and the maximum.
			p = page("sortBy=userName&startIndex=-1&count=1000000")
			assert.Len(t, userNames(p), 4)
			assert.EqualValues(t, 1, p["startIndex"])
			// Nothing matches: totalResults 0 and an empty Resources (Okta relies on it).
			p = page("filter=" + url.QueryEscape(`userName eq "nobody"`))
			assert.EqualValues(t, 0, p["totalResults"])
			assert.Equal(t, []any{}, p["Resources"])
			// attributes / excludedAttributes.
			p = page("filter=" + url.QueryEscape(`userName eq "bjensen"`) + "&attributes=userName,name.givenName,emails.value")
			r := p["Resources"].([]any)[0].(map[string]any)
			assert.Equal(t, map[string]any{"givenName": "Barbara"}, r["name"])
			assert.Equal(t, []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}}, r["emails"])
			assert.NotContains(t, r, "displayName")
			assert.Contains(t, r, "id")
			assert.Contains(t, r, "meta")
			p = page("filter=" + url.QueryEscape(`userName eq "bjensen"`) + "&excludedAttributes=emails,name.familyName")
			r = p["Resources"].([]any)[0].(map[string]any)
			assert.NotContains(t, r, "emails")
			assert.Equal(t, map[string]any{"givenName": "Barbara"}, r["name"])
			assert.Equal(t, "Babs Jensen", r["displayName"])
		})
	}
}

// TestSearch posts RFC 7644 section 3.4.3's SearchRequest.
func TestSearch(t *testing.T) {
	s := newServer(t, newMemory())
	seedUsers(t, s)
	st, _, body := s.do("POST", "/scim/v2/Users/.search", readonlyToken, fixture(t, "rfc7644-3.4.3-search.json"))
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 0, body["totalResults"]) // no displayName starts with "smith"
	st, _, body = s.do("POST", "/scim/v2/Users/.search", readonlyToken,
		strings.Replace(string(fixture(t, "rfc7644-3.4.3-search.json")), `sw \"smith\"`, `ew \"smith\"`, 1))
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.EqualValues(t, 2, body["totalResults"])
	for _, r := range body["Resources"].([]any) {
		keys := []string{}
		for k := range r.(map[string]any) {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		assert.Equal(t, []string{"displayName", "id", "meta", "schemas", "userName"}, keys)
	}
	st, _, body = s.do("POST", "/scim/v2/Users/.search", readonlyToken, `{"schemas":["`+"urn:ietf:params:scim:api:messages:2.0:SearchRequest"+`"],"filtre":"x"}`)
	scimError(t, http.StatusBadRequest, "invalidSyntax", st, body)
}
