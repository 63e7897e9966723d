package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func count(t testing.TB, s *server, endpoint string) int {
	t.Helper()
	st, _, list := s.do("GET", "/scim/v2/"+endpoint+"?count=0", adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	return int(list["totalResults"].(float64))
}

// TestBulkReferences: RFC 7644 section 3.7.2's example, with the group
// listed before the user it refers to.
func TestBulkReferences(t *testing.T) {
	s := newServer(t, newMemory())
	st, _, body := s.do("POST", "/scim/v2/Bulk", adminToken, fixture(t, "rfc7644-3.7.2-bulk-references.json"))
	require.Equal(t, http.StatusOK, st, "%v", body)
	ops := body["Operations"].([]any)
	require.Len(t, ops, 2)
	group, user := ops[0].(map[string]any), ops[1].(map[string]any)
	assert.Equal(t, "201", group["status"])
	assert.Equal(t, "201", user["status"])
	assert.Equal(t, "ytrewq", group["bulkId"])
	assert.Equal(t, `W/"1"`, user["version"])
	userLoc := user["location"].(string)
	userID := userLoc[strings.LastIndexByte(userLoc, '/')+1:]
	groupPath, err := url.Parse(group["location"].(string))
	require.NoError(t, err)
	st, _, g := s.do("GET", groupPath.Path, adminToken, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, []any{map[string]any{"type": "User", "value": userID}}, g["members"])
}

func TestBulkFailOnErrors(t *testing.T) {
	s := newServer(t, newMemory())
	st, _, body := s.do("POST", "/scim/v2/Bulk", adminToken, fixture(t, "rfc7644-3.7-bulk-failonerrors.json"))
	require.Equal(t, http.StatusOK, st, "%v", body)
	ops := body["Operations"].([]any)
	require.Len(t, ops, 2, "the DELETE after the first failure is not run")
	assert.Equal(t, "201", ops[0].(map[string]any)["status"])
	assert.Equal(t, "412", ops[1].(map[string]any)["status"], "If-Match names no version of ours")
	assert.Equal(t, "412", ops[1].(map[string]any)["response"].(map[string]any)["status"])
	assert.Equal(t, 1, count(t, s, "Users"))
}

// TestBulkRefused: requests refused whole, nothing run.
func TestBulkRefused(t *testing.T) {
	s := newServer(t, newMemory())
	st, _, body := s.do("POST", "/scim/v2/Bulk", adminToken, fixture(t, "rfc7644-3.7.1-bulk-cycle.json"))
	scimError(t, http.StatusConflict, "", st, body)

	var b strings.Builder
	b.WriteString(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"method":"POST","path":"/Users","bulkId":"u%d","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d"}}`, i, i)
	}
	b.WriteString("]}")
	st, _, body = s.do("POST", "/scim/v2/Bulk", adminToken, b.String())
	scimError(t, http.StatusRequestEntityTooLarge, "", st, body)

	// Small, but more operations than bulk.maxOperations.
	many := strings.Repeat(`{"method":"DELETE","path":"/Users/x"},`, 101)
	st, _, body = s.do("POST", "/scim/v2/Bulk", adminToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.TrimSuffix(many, ",")+`]}`)
	scimError(t, http.StatusRequestEntityTooLarge, "", st, body)

	for name, c := range map[string]string{
		"UnknownRef":   `{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:nope"}]}}`,
		"NoBulkID":     `{"method":"POST","path":"/Users","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"}}`,
		"NestedBulk":   `{"method":"POST","path":"/Bulk","bulkId":"b","data":{}}`,
		"BadMethod":    `{"method":"GET","path":"/Users"}`,
		"SelfRef":      `{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:g"}]}}`,
		"UnknownField": `{"method":"DELETE","path":"/Users/x","colour":"red"}`,
	} {
		t.Run(name, func(t *testing.T) {
			st, _, body := s.do("POST", "/scim/v2/Bulk", adminToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+c+`]}`)
			assert.Contains(t, []int{400, 409}, st, "%v", body)
		})
	}
	assert.Equal(t, 0, count(t, s, "Users"))
	assert.Equal(t, 0, count(t, s, "Groups"))

	// A read-only client's operations each answer 403.
	st, _, body = s.do("POST", "/scim/v2/Bulk", readonlyToken, fixture(t, "rfc7644-3.7.2-bulk-references.json"))
	require.Equal(t, http.StatusOK, st, "%v", body)
	for _, op := range body["Operations"].([]any) {
		assert.Contains(t, []any{"403", "409"}, op.(map[string]any)["status"])
	}
	assert.Equal(t, 0, count(t, s, "Users"))
}
