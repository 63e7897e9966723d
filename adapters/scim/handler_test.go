package scim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

const (
	adminToken    = "demo-scim-admin"
	readonlyToken = "demo-scim-readonly"
	bjensenToken  = "demo-scim-bjensen"
)

type server struct {
	t   testing.TB
	srv *httptest.Server
	h   *scim.Handler
}

func newServer(t testing.TB, store storage.Store) *server {
	t.Helper()
	return newServerAt(t, store, adaptertest.NewStepClock(adaptertest.Start, time.Second).Now)
}

// newServerAt is newServer with the engine's clock.
func newServerAt(t testing.TB, store storage.Store, now func() time.Time) *server {
	t.Helper()
	cfg := scim.DemoConfig()
	cfg.Now = now
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := scim.New(cfg, store)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, srv: srv, h: h}
}

// do sends a request and returns the status, headers and decoded body.
func (s *server) do(method, path, token string, body any, hdr ...string) (int, http.Header, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", scim.MediaType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(s.t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, resp.Header, out
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// scimError asserts an error answer with the status and scimType.
func scimError(t testing.TB, status int, scimType string, gotStatus int, body map[string]any) {
	t.Helper()
	require.Equal(t, status, gotStatus, "%v", body)
	assert.Equal(t, []any{scim.MessageError}, body["schemas"])
	assert.Equal(t, http.StatusText(status) != "" && true, true)
	assert.Equal(t, strings.TrimSpace(func() string { b, _ := json.Marshal(status); return string(b) }()), body["status"])
	if scimType == "" {
		assert.NotContains(t, body, "scimType")
	} else {
		assert.Equal(t, scimType, body["scimType"])
	}
}

func TestCreateGetReplaceDelete(t *testing.T) {
	s := newServer(t, memory.New())
	// RFC 7644 section 3.3.
	st, hdr, u := s.do("POST", "/scim/v2/Users", adminToken, fixture(t, "rfc7644-3.3-create.json"))
	require.Equal(t, http.StatusCreated, st, "%v", u)
	id := u["id"].(string)
	meta := u["meta"].(map[string]any)
	assert.Equal(t, s.srv.URL+"/scim/v2/Users/"+id, meta["location"])
	assert.Equal(t, meta["location"], hdr.Get("Location"))
	assert.Equal(t, `W/"1"`, meta["version"])
	assert.Equal(t, `W/"1"`, hdr.Get("ETag"))
	assert.Equal(t, "User", meta["resourceType"])
	assert.Equal(t, "Barbara", u["name"].(map[string]any)["givenName"])
	assert.Equal(t, scim.MediaType, hdr.Get("Content-Type"))
	assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))

	st, _, got := s.do("GET", "/scim/v2/Users/"+id, readonlyToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, u, got)

	// If-None-Match with the current version: 304.
	st, _, _ = s.do("GET", "/scim/v2/Users/"+id, readonlyToken, nil, "If-None-Match", `W/"1"`)
	assert.Equal(t, http.StatusNotModified, st)

	// PUT (RFC 7644 section 3.5.1) under If-Match.
	put := map[string]any{"schemas": []string{scim.SchemaUser}, "id": id, "userName": "bjensen",
		"externalId": "bjensen", "name": map[string]any{"familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
		"emails": []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}}}
	st, _, body := s.do("PUT", "/scim/v2/Users/"+id, adminToken, put, "If-Match", `W/"7"`)
	scimError(t, http.StatusPreconditionFailed, "", st, body)
	st, hdr, got = s.do("PUT", "/scim/v2/Users/"+id, adminToken, put, "If-Match", `W/"1"`)
	require.Equal(t, http.StatusOK, st, "%v", got)
	assert.Equal(t, `W/"2"`, hdr.Get("ETag"))
	assert.NotContains(t, got["name"], "formatted", "PUT replaces")
	assert.Len(t, got["emails"], 2)

	// A read-only client may not write.
	st, _, body = s.do("DELETE", "/scim/v2/Users/"+id, readonlyToken, nil)
	scimError(t, http.StatusForbidden, "", st, body)
	st, _, body = s.do("DELETE", "/scim/v2/Users/"+id, adminToken, nil, "If-Match", `W/"1"`)
	scimError(t, http.StatusPreconditionFailed, "", st, body)
	st, _, _ = s.do("DELETE", "/scim/v2/Users/"+id, adminToken, nil, "If-Match", `W/"2"`)
	assert.Equal(t, http.StatusNoContent, st)
	st, _, body = s.do("GET", "/scim/v2/Users/"+id, adminToken, nil)
	scimError(t, http.StatusNotFound, "", st, body)
}

func TestErrors(t *testing.T) {
	s := newServer(t, memory.New())
	st, _, u := s.do("POST", "/scim/v2/Users", adminToken, fixture(t, "rfc7644-3.3-create.json"))
	require.Equal(t, http.StatusCreated, st)
	id := u["id"].(string)
	user := func(extra map[string]any) map[string]any {
		m := map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "other"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		scimType                  string
	}{
		{"Unauthenticated", "GET", "/scim/v2/Users", "", nil, 401, ""},
		{"WrongToken", "GET", "/scim/v2/Users", "nope", nil, 401, ""},
		{"Method", "POST", "/scim/v2/Users/" + id, adminToken, nil, 405, ""},
		{"Route", "GET", "/scim/v2/Nope", adminToken, nil, 404, ""},
		{"Uniqueness", "POST", "/scim/v2/Users", adminToken, user(map[string]any{"userName": "BJensen"}), 409, scim.TypeUniqueness},
		{"UniquenessConfusable", "POST", "/scim/v2/Users", adminToken, user(map[string]any{"userName": "bјensen"}), 409, scim.TypeUniqueness},
		{"Mutability", "PATCH", "/scim/v2/Users/" + id, adminToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"id"}]}`, 400, scim.TypeMutability},
		{"InvalidValue", "POST", "/scim/v2/Users", adminToken, user(map[string]any{"active": "yes"}), 400, scim.TypeInvalidValue},
		{"UnknownAttribute", "POST", "/scim/v2/Users", adminToken, user(map[string]any{"shoeSize": 42}), 400, scim.TypeInvalidValue},
		{"MissingRequired", "POST", "/scim/v2/Users", adminToken, map[string]any{"schemas": []string{scim.SchemaUser}}, 400, scim.TypeInvalidValue},
		{"InvalidSyntax", "POST", "/scim/v2/Users", adminToken, "{not json", 400, scim.TypeInvalidSyntax},
		{"UnknownSchema", "POST", "/scim/v2/Users", adminToken, map[string]any{"schemas": []string{scim.SchemaUser, "urn:example:unknown"}, "userName": "x"}, 400, scim.TypeInvalidSyntax},
		{"NoSchemas", "POST", "/scim/v2/Users", adminToken, map[string]any{"userName": "x"}, 400, scim.TypeInvalidSyntax},
		{"InvalidFilter", "GET", "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq`), adminToken, nil, 400, scim.TypeInvalidFilter},
		{"FilterUnknownAttr", "GET", "/scim/v2/Users?filter=" + url.QueryEscape(`shoeSize eq 1`), adminToken, nil, 400, scim.TypeInvalidFilter},
		{"FilterPassword", "GET", "/scim/v2/Users?filter=" + url.QueryEscape(`password eq "x"`), adminToken, nil, 400, scim.TypeInvalidFilter},
		{"InvalidPath", "GET", "/scim/v2/Users?sortBy=shoeSize", adminToken, nil, 400, scim.TypeInvalidPath},
		{"UnknownParam", "GET", "/scim/v2/Users?filtr=x", adminToken, nil, 400, scim.TypeInvalidValue},
		{"BadCount", "GET", "/scim/v2/Users?count=many", adminToken, nil, 400, scim.TypeInvalidValue},
		{"BadSortOrder", "GET", "/scim/v2/Users?sortOrder=up", adminToken, nil, 400, scim.TypeInvalidValue},
		{"MeWithoutUser", "GET", "/scim/v2/Me", adminToken, nil, 501, ""},
		{"NotFound", "GET", "/scim/v2/Users/nope", adminToken, nil, 404, ""},
		{"TooLarge", "POST", "/scim/v2/Users", adminToken, strings.Repeat(" ", 10<<20), 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _, body := s.do(c.method, c.path, c.token, c.body)
			scimError(t, c.status, c.scimType, st, body)
		})
	}
	// Nothing changed: the one user, at version 1.
	st, _, list := s.do("GET", "/scim/v2/Users", adminToken, nil)
	require.Equal(t, 200, st)
	assert.EqualValues(t, 1, list["totalResults"])
	assert.Equal(t, `W/"1"`, list["Resources"].([]any)[0].(map[string]any)["meta"].(map[string]any)["version"])
}

func TestMeAndDiscovery(t *testing.T) {
	s := newServer(t, memory.New())
	require.NoError(t, scim.SeedDemo(t.Context(), s.h.Engine()))
	st, _, me := s.do("GET", "/scim/v2/Me", bjensenToken, nil)
	require.Equal(t, 200, st, "%v", me)
	assert.Equal(t, "bjensen", me["userName"])
	assert.Contains(t, me["schemas"], scim.SchemaEnterprise)
	assert.NotContains(t, me, "password")

	st, _, spc := s.do("GET", "/scim/v2/ServiceProviderConfig", readonlyToken, nil)
	require.Equal(t, 200, st)
	assert.EqualValues(t, scim.DefaultMaxResults, spc["filter"].(map[string]any)["maxResults"])
	assert.Equal(t, true, spc["etag"].(map[string]any)["supported"])
	assert.Equal(t, true, spc["patch"].(map[string]any)["supported"])
	assert.EqualValues(t, scim.DefaultMaxBulkOps, spc["bulk"].(map[string]any)["maxOperations"])
	assert.EqualValues(t, scim.DefaultMaxBodyBytes, spc["bulk"].(map[string]any)["maxPayloadSize"])

	st, _, schemas := s.do("GET", "/scim/v2/Schemas", readonlyToken, nil)
	require.Equal(t, 200, st)
	assert.EqualValues(t, 3, schemas["totalResults"])
	st, _, user := s.do("GET", "/scim/v2/Schemas/"+scim.SchemaUser, readonlyToken, nil)
	require.Equal(t, 200, st)
	var pw map[string]any
	for _, a := range user["attributes"].([]any) {
		if a.(map[string]any)["name"] == "password" {
			pw = a.(map[string]any)
		}
	}
	require.NotNil(t, pw)
	assert.Equal(t, "writeOnly", pw["mutability"])
	assert.Equal(t, "never", pw["returned"])

	st, _, rts := s.do("GET", "/scim/v2/ResourceTypes", readonlyToken, nil)
	require.Equal(t, 200, st)
	assert.EqualValues(t, 2, rts["totalResults"])
	st, _, g := s.do("GET", "/scim/v2/ResourceTypes/Group", readonlyToken, nil)
	require.Equal(t, 200, st)
	assert.Equal(t, "/Groups", g["endpoint"])
}

func newMemory() storage.Store { return memory.New() }
