package scim_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/scim"
)

// queryCase is one request of testdata/rfc7644-3.4.2-queries.json: a
// filter (sent as GET /Users?filter=…&sortBy=userName, or sorted as the
// case says) or a whole request line, and what the answer must hold.
type queryCase struct {
	Section   string `json:"section"`
	Request   string `json:"request"`
	Filter    string `json:"filter"`
	SortBy    string `json:"sortBy"`
	SortOrder string `json:"sortOrder"`
	Want      struct {
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
// testdata/rfc7644-3.4.2-users.json, on every backend. Each user is
// created at its meta.created and, when its meta.lastModified is later,
// given its displayName by a PATCH then, so the filters on meta have
// times to compare.
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
			clock := adaptertest.NewClock(adaptertest.Start)
			s := newServerAt(t, b.Open(t), clock.Now)
			createAt(t, s, clock, users)
			for _, c := range file.Cases {
				name := c.Section + " " + c.Request + c.Filter
				q := url.Values{"filter": {c.Filter}, "sortBy": {"userName"}}
				if c.SortBy != "" {
					q.Set("sortBy", c.SortBy)
				}
				if c.SortOrder != "" {
					q.Set("sortOrder", c.SortOrder)
				}
				target := "/Users?" + q.Encode()
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

// createAt creates users as TestRFC7644Queries describes, then checks
// that each answers the meta times it was given.
func createAt(t *testing.T, s *server, clock *adaptertest.Clock, users []map[string]any) {
	t.Helper()
	at := func(u map[string]any, name string) (string, time.Time) {
		v := u["meta"].(map[string]any)[name].(string)
		when, err := time.Parse(time.RFC3339Nano, v)
		require.NoError(t, err)
		return v, when
	}
	want := map[string][2]string{}
	for _, u := range users {
		created, createdAt := at(u, "created")
		modified, modifiedAt := at(u, "lastModified")
		want[u["userName"].(string)] = [2]string{created, modified}
		body := maps.Clone(u)
		display, later := body["displayName"], modifiedAt.After(createdAt)
		if later {
			delete(body, "displayName")
		}
		clock.Set(createdAt)
		st, _, got := s.do("POST", "/scim/v2/Users", adminToken, body)
		require.Equal(t, http.StatusCreated, st, "%v", got)
		if later {
			clock.Set(modifiedAt)
			st, _, got = s.do("PATCH", "/scim/v2/Users/"+got["id"].(string), adminToken, map[string]any{
				"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "add", "path": "displayName", "value": display}},
			})
			require.Equal(t, http.StatusOK, st, "%v", got)
		}
	}
	st, _, body := s.do("GET", "/scim/v2/Users", readonlyToken, nil)
	require.Equal(t, http.StatusOK, st)
	require.Len(t, body["Resources"], len(users))
	for _, r := range body["Resources"].([]any) {
		r := r.(map[string]any)
		meta := r["meta"].(map[string]any)
		assert.Equal(t, want[r["userName"].(string)], [2]string{meta["created"].(string), meta["lastModified"].(string)}, "%v", r["userName"])
	}
}

// TestMetaTimes: meta.created and meta.lastModified follow the record on
// every backend: a change moves lastModified (and the sort and filters
// with it), a PUT that changes nothing moves nothing, and no client
// writes either, by PATCH with or without a path.
func TestMetaTimes(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clock := adaptertest.NewClock(adaptertest.Start)
			s := newServerAt(t, b.Open(t), clock.Now)
			ids := map[string]string{}
			for _, name := range []string{"ann", "bob"} {
				clock.Advance(time.Second)
				st, _, u := s.do("POST", "/scim/v2/Users", adminToken, map[string]any{
					"schemas": []string{scim.SchemaUser}, "userName": name})
				require.Equal(t, http.StatusCreated, st, "%v", u)
				ids[name] = u["id"].(string)
			}
			sorted := func() []string {
				st, _, body := s.do("GET", "/scim/v2/Users?sortBy=meta.lastModified", readonlyToken, nil)
				require.Equal(t, http.StatusOK, st, "%v", body)
				var out []string
				for _, r := range body["Resources"].([]any) {
					out = append(out, r.(map[string]any)["userName"].(string))
				}
				return out
			}
			require.Equal(t, []string{"ann", "bob"}, sorted())

			// A change with a fraction of a second moves ann last.
			clock.Advance(1500*time.Millisecond + 7*time.Nanosecond)
			patch := func(id string, ops ...any) (int, map[string]any) {
				st, _, body := s.do("PATCH", "/scim/v2/Users/"+id, adminToken, map[string]any{
					"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
				return st, body
			}
			st, ann := patch(ids["ann"], map[string]any{"op": "replace", "path": "nickName", "value": "A"})
			require.Equal(t, http.StatusOK, st, "%v", ann)
			meta := ann["meta"].(map[string]any)
			assert.Equal(t, clock.Now().Format(time.RFC3339Nano), meta["lastModified"])
			assert.Equal(t, adaptertest.Start.Add(time.Second).Format(time.RFC3339Nano), meta["created"])
			assert.Equal(t, []string{"bob", "ann"}, sorted())
			st, _, body := s.do("GET", "/scim/v2/Users?"+url.Values{"filter": {`meta.lastModified eq "` + meta["lastModified"].(string) + `"`}}.Encode(), readonlyToken, nil)
			require.Equal(t, http.StatusOK, st, "%v", body)
			assert.EqualValues(t, 1, body["totalResults"], "the answered time finds the resource, to the nanosecond")

			// A PUT of what is stored changes nothing, its times included.
			clock.Advance(time.Minute)
			put := maps.Clone(ann)
			st, _, again := s.do("PUT", "/scim/v2/Users/"+ids["ann"], adminToken, put)
			require.Equal(t, http.StatusOK, st, "%v", again)
			assert.Equal(t, ann, again)

			// Clients never write meta.
			for _, op := range []map[string]any{
				{"op": "replace", "path": "meta.lastModified", "value": "2000-01-01T00:00:00Z"},
				{"op": "remove", "path": "meta.created"},
				{"op": "add", "path": "meta", "value": map[string]any{"lastModified": "2000-01-01T00:00:00Z"}},
				{"op": "replace", "value": map[string]any{"meta": map[string]any{"created": "2000-01-01T00:00:00Z"}}},
			} {
				st, body := patch(ids["ann"], op)
				scimError(t, http.StatusBadRequest, scim.TypeMutability, st, body)
			}
			st, _, got := s.do("GET", "/scim/v2/Users/"+ids["ann"], readonlyToken, nil)
			require.Equal(t, http.StatusOK, st)
			assert.Equal(t, ann, got)
		})
	}
}
