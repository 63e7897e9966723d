package janrain_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
)

// searchRecords are created through entity.create before the search
// fixtures run, so they get the ids 1 to 4; the demo records 5252 and
// 5254 are there too.
var searchRecords = []string{
	`{"email":"a1@example.com","givenName":"Ann","gender":"female","birthday":"1990-01-02","primaryAddress":{"city":"Bern"},"statuses":[{"status":"active"}]}`,
	`{"email":"b2@example.com","givenName":"bob","gender":"male","birthday":"1985-05-05","primaryAddress":{"city":"Zurich"}}`,
	`{"email":"c3@example.com","givenName":"Cleo","gender":"female","statuses":[{"status":"inactive"}]}`,
	`{"email":"d4@example.com","givenName":"Dan","familyName":"O'Neil","gender":"male","birthday":"2001-12-31","primaryAddress":{"city":"bern"}}`,
}

// searchCase is one fixture of testdata/search.json: a search and either
// the ids it finds (in order when sorted) and its total, or the Capture
// error it is refused with.
type searchCase struct {
	Name        string     `json:"name"`
	Op          string     `json:"op"`
	Form        [][]string `json:"form"`
	IDs         []int      `json:"ids"`
	Sorted      bool       `json:"sorted"`
	Total       *int       `json:"total"`
	Status      int        `json:"status"`
	Code        int        `json:"code"`
	Argument    string     `json:"argument"`
	Description string     `json:"description"`
}

func loadSearchCases(t *testing.T) []searchCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/search.json")
	require.NoError(t, err)
	var cases []searchCase
	require.NoError(t, json.Unmarshal(raw, &cases))
	return cases
}

// newSearchEnv returns an adapter over store holding the demo records and
// searchRecords, created through entity.create.
func newSearchEnv(t *testing.T, store storage.Store) *env {
	t.Helper()
	e := newEnvWith(t, store, testConfig())
	for i, doc := range searchRecords {
		r := e.post(t, "entity.create", form("type_name", "user", "attributes", doc))
		require.Equal(t, http.StatusOK, r.status, string(r.raw))
		require.Equal(t, json.Number(fmt.Sprint(i+1)), r.body["id"], "entity.create numbers records from the store's counter")
	}
	return e
}

// searchForm builds the form of a fixture, type_name first.
func searchForm(pairs [][]string) url.Values {
	f := url.Values{"type_name": {"user"}}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
	return f
}

// resultIDs returns the ids of an entity.find answer, in its order.
func resultIDs(t *testing.T, r response) []int {
	t.Helper()
	results, ok := r.body["results"].([]any)
	require.True(t, ok, "results: %s", r.raw)
	require.Equal(t, json.Number(fmt.Sprint(len(results))), r.body["result_count"])
	ids := make([]int, len(results))
	for i, x := range results {
		n, err := x.(map[string]any)["id"].(json.Number).Int64()
		require.NoError(t, err)
		ids[i] = int(n)
	}
	return ids
}

// TestSearch runs the fixtures of testdata/search.json on every backend:
// each finds exactly the records it lists (in order when it sorts), or is
// refused with Capture's error body naming the parameter at fault.
func TestSearch(t *testing.T) {
	cases := loadSearchCases(t)
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newSearchEnv(t, b.Open(t))
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) {
					r := e.post(t, tc.Op, searchForm(tc.Form))
					if tc.Status != 0 {
						assertCaptureError(t, r, tc.Status, tc.Code, tc.Argument, tc.Description)
						return
					}
					require.Equal(t, http.StatusOK, r.status, string(r.raw))
					assert.Equal(t, "ok", r.body["stat"])
					if tc.Op == "entity.count" {
						assert.Equal(t, json.Number(fmt.Sprint(*tc.Total)), r.body["total_count"])
						return
					}
					ids := resultIDs(t, r)
					if !tc.Sorted {
						slices.Sort(ids)
					}
					assert.Equal(t, append([]int{}, tc.IDs...), ids)
					if tc.Total != nil {
						assert.Equal(t, json.Number(fmt.Sprint(*tc.Total)), r.body["total_count"])
					} else {
						assert.NotContains(t, r.body, "total_count")
					}
				})
			}
		})
	}
}

// assertCaptureError checks a Capture error body.
func assertCaptureError(t *testing.T, r response, status, code int, arg, desc string) {
	t.Helper()
	assert.Equal(t, status, r.status, string(r.raw))
	assert.Equal(t, "error", r.body["stat"])
	assert.Equal(t, json.Number(fmt.Sprint(code)), r.body["code"], string(r.raw))
	assert.NotEmpty(t, r.body["error"])
	assert.NotEmpty(t, r.body["request_id"])
	if arg != "" {
		assert.Equal(t, arg, r.body["argument_name"], string(r.raw))
	}
	assert.Contains(t, r.body["error_description"], desc)
}

// TestSearchHostileFilters refuses filters beyond the bounds before the
// store is asked: too long, too many comparisons, nested too deep (also
// far beyond what a recursive parser's stack would bear).
func TestSearchHostileFilters(t *testing.T) {
	e := newEnv(t)
	long := "givenName='" + strings.Repeat("x", janrain.MaxFilterBytes) + "'"
	many := strings.Repeat("gender='x' or ", janrain.MaxFilterTerms) + "gender='y'"
	deep := strings.Repeat("(", 100000) + "gender='x'" + strings.Repeat(")", 100000)
	for name, f := range map[string]string{"TooLong": long, "TooManyTerms": many, "TooDeep": deep[:janrain.MaxFilterBytes]} {
		t.Run(name, func(t *testing.T) {
			r := e.post(t, "entity.find", form("type_name", "user", "filter", f))
			assertCaptureError(t, r, http.StatusBadRequest, 200, "filter", "filter")
		})
	}
}

// TestSearchAttributes returns only the attributes asked for, nested as
// in the record, from entity.find and from the entity read.
func TestSearchAttributes(t *testing.T) {
	e := newSearchEnv(t, memoryStore())
	r := e.post(t, "entity.find", form("type_name", "user", "filter", "id=1", "attributes", `["givenName","primaryAddress.city","id"]`))
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	assert.JSONEq(t, `{"stat":"ok","result_count":1,"results":[{"givenName":"Ann","primaryAddress":{"city":"Bern"},"id":1}]}`, string(r.raw))

	r = e.post(t, "entity", form("type_name", "user", "id", "2", "attributes", `["email","primaryAddress.zip","statuses"]`))
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	assert.JSONEq(t, `{"stat":"ok","result":{"email":"b2@example.com","primaryAddress":{"zip":null},"statuses":[]}}`, string(r.raw))

	r = e.post(t, "entity", form("type_name", "user", "id", "2", "attributes", `["email"]`, "attribute_name", "email"))
	assertCaptureError(t, r, http.StatusBadRequest, 201, "attributes", "not both")
	r = e.post(t, "entity", form("type_name", "user", "id", "2", "attributes", `"email"`))
	assertCaptureError(t, r, http.StatusBadRequest, 200, "attributes", "JSON array")
}

// TestSearchPermissions lets read-only clients search and refuses the
// classes that may not read.
func TestSearchPermissions(t *testing.T) {
	e := newEnv(t)
	f := form("type_name", "user", "filter", "gender is null").Encode()
	ct := "application/x-www-form-urlencoded"
	r := e.do(t, http.MethodPost, "entity.find", basic(readerID, readerSecret), ct, f)
	assert.Equal(t, http.StatusOK, r.status, string(r.raw))
	r = e.do(t, http.MethodPost, "entity.count", basic("login", "login_secret"), ct, f)
	assertCaptureError(t, r, http.StatusForbidden, 403, "", "may not call entity.count")
	r = e.do(t, http.MethodGet, "entity.find", basic(ownerID, ownerSecret), ct, "")
	assertCaptureError(t, r, http.StatusMethodNotAllowed, 200, "", "POST only")
}
