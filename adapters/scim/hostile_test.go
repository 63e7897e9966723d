package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostile: hostile input gets a SCIM error and changes nothing.
func TestHostile(t *testing.T) {
	s := newServer(t, newMemory())
	id := createUser(t, s, map[string]any{"userName": "bjensen", "emails": []any{map[string]any{"value": "a@example.com", "type": "work"}}})
	path := "/scim/v2/Users/" + id
	_, _, before := s.do("GET", path, adminToken, nil)

	deep := strings.Repeat("(", 10000) + `userName eq "x"` + strings.Repeat(")", 10000)
	notDeep := strings.Repeat("not (", 5000) + `userName eq "x"` + strings.Repeat(")", 5000)
	long := `userName eq "` + strings.Repeat("x", 20000) + `"`
	wide := strings.Repeat(`userName eq "x" or `, 400) + `userName eq "y"`
	deepValuePath := "emails[" + strings.Repeat("(", 100) + `type eq "work"` + strings.Repeat(")", 100) + "].value"
	for name, f := range map[string]string{"Deep": deep, "NotDeep": notDeep, "Long": long, "Wide": wide,
		"Unterminated": `userName eq "x`, "Garbage": "\x00\x01", "NestedValuePath": `emails[type eq "work" and emails[type eq "x"]]`} {
		t.Run("Filter"+name, func(t *testing.T) {
			st, _, body := s.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), adminToken, nil)
			scimError(t, http.StatusBadRequest, "invalidFilter", st, body)
			st, _, body = s.do("POST", "/scim/v2/Users/.search", adminToken,
				map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": f})
			assert.Equal(t, http.StatusBadRequest, st, "%v", body)
		})
	}
	t.Run("PatchDeepValuePath", func(t *testing.T) {
		st, body := patch(t, s, path, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": deepValuePath, "value": "b@example.com"}}})
		scimError(t, http.StatusBadRequest, "invalidFilter", st, body)
	})
	t.Run("StartIndexTooLarge", func(t *testing.T) {
		st, _, body := s.do("GET", "/scim/v2/Users?startIndex=99999999999", adminToken, nil)
		scimError(t, http.StatusBadRequest, "invalidValue", st, body)
	})
	t.Run("CountHuge", func(t *testing.T) {
		st, _, body := s.do("GET", "/scim/v2/Users?count=1000000&startIndex=-1", adminToken, nil)
		require.Equal(t, http.StatusOK, st, "%v", body)
		assert.EqualValues(t, 1, body["startIndex"])
		assert.EqualValues(t, 1, body["itemsPerPage"])
	})
	t.Run("TooManyOps", func(t *testing.T) {
		ops := make([]any, 10000)
		for i := range ops {
			ops[i] = map[string]any{"op": "replace", "path": "nickName", "value": "x"}
		}
		st, body := patch(t, s, path, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
		scimError(t, http.StatusBadRequest, "invalidValue", st, body)
	})
	t.Run("BigBody", func(t *testing.T) {
		big := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"` + strings.Repeat("x", 10<<20) + `"}]}`
		st, body := patch(t, s, path, big)
		scimError(t, http.StatusRequestEntityTooLarge, "", st, body)
	})
	t.Run("LongString", func(t *testing.T) {
		st, body := patch(t, s, path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"`+strings.Repeat("x", 5000)+`"}]}`)
		scimError(t, http.StatusBadRequest, "invalidValue", st, body)
	})
	t.Run("UnknownSchemaPut", func(t *testing.T) {
		st, _, body := s.do("PUT", path, adminToken, map[string]any{"schemas": []string{"urn:evil"}, "userName": "x"})
		scimError(t, http.StatusBadRequest, "invalidSyntax", st, body)
	})
	t.Run("UnknownExtension", func(t *testing.T) {
		st, _, body := s.do("PUT", path, adminToken, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "x", "urn:evil:1.0:User": map[string]any{"a": 1}})
		scimError(t, http.StatusBadRequest, "invalidSyntax", st, body)
	})
	t.Run("DuplicateParam", func(t *testing.T) {
		st, _, body := s.do("GET", "/scim/v2/Users?count=1&count=2", adminToken, nil)
		scimError(t, http.StatusBadRequest, "invalidValue", st, body)
	})
	_, _, after := s.do("GET", path, adminToken, nil)
	assert.Equal(t, before, after)
}
