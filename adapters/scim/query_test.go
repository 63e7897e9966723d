package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
)

// queryCase is one request of testdata/rfc7644-3.4.2-queries.json: a
// filter (sent as GET /Users?filter=…&sortBy=userName) or a whole request
// line, and what the answer must hold.
type queryCase struct {
	Section string `json:"section"`
	Request string `json:"request"`
	Filter  string `json:"filter"`
	Want    struct {
		UserNames    *[]string `json:"userNames"`
		TotalResults *int      `json:"totalResults"`
		ItemsPerPage *int      `json:"itemsPerPage"`
		StartIndex   *int      `json:"startIndex"`
		Keys         []string  `json:"keys"`
		Error        *struct {
			Status   string `json:"status"`
			ScimType string `json:"scimType"`
		} `json:"error"`
	} `json:"want"`
}

// TestRFC7644Queries runs the query examples of RFC 7644 section 3.4.2
// (testdata/rfc7644-3.4.2-queries.json) over the users of
// testdata/rfc7644-3.4.2-users.json, on every backend.
func TestRFC7644Queries(t *testing.T) {
	var file struct {
		Cases []queryCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "rfc7644-3.4.2-queries.json"), &file))
	var users []map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "rfc7644-3.4.2-users.json"), &users))
	require.NotEmpty(t, file.Cases)
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := newServer(t, b.Open(t))
			for _, u := range users {
				st, _, got := s.do("POST", "/scim/v2/Users", adminToken, u)
				require.Equal(t, http.StatusCreated, st, "%v", got)
			}
			for _, c := range file.Cases {
				name := c.Section + " " + c.Request + c.Filter
				target := "/Users?" + url.Values{"filter": {c.Filter}, "sortBy": {"userName"}}.Encode()
				if c.Request != "" {
					method, path, ok := strings.Cut(c.Request, " ")
					require.True(t, ok && method == "GET", name)
					target = path
				}
				st, _, body := s.do("GET", "/scim/v2"+target, readonlyToken, nil)
				if e := c.Want.Error; e != nil {
					assert.Equal(t, e.Status, body["status"], name)
					assert.Equal(t, e.ScimType, body["scimType"], "%s: %v", name, body)
					assert.Equal(t, e.Status, strconv.Itoa(st), name)
					continue
				}
				require.Equal(t, http.StatusOK, st, "%s: %v", name, body)
				if w := c.Want.UserNames; w != nil {
					got := []string{}
					for _, r := range body["Resources"].([]any) {
						got = append(got, r.(map[string]any)["userName"].(string))
					}
					assert.Equal(t, *w, got, name)
					assert.EqualValues(t, len(*w), body["totalResults"], name)
				}
				for key, want := range map[string]*int{"totalResults": c.Want.TotalResults, "itemsPerPage": c.Want.ItemsPerPage, "startIndex": c.Want.StartIndex} {
					if want != nil {
						assert.EqualValues(t, *want, body[key], "%s: %s", name, key)
					}
				}
				if c.Want.Keys != nil {
					for _, r := range body["Resources"].([]any) {
						var keys []string
						for k := range r.(map[string]any) {
							keys = append(keys, k)
						}
						slices.Sort(keys)
						assert.Equal(t, c.Want.Keys, keys, name)
					}
				}
			}
		})
	}
}
