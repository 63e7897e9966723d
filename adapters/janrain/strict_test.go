package janrain_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/update"
)

// TestUnknownParameters sends every operation a valid form plus one
// parameter it does not take, in the form body and in the query string:
// each is refused with Capture's 200 invalid_argument naming it, and
// nothing changes. The delete case is the one that matters most: a
// misspelt attribute_name must not delete the whole record.
func TestUnknownParameters(t *testing.T) {
	ops := []struct {
		op    string
		pairs []string
	}{
		{"entity", []string{"type_name", "user", "id", janrain.DemoID}},
		{"entity.create", []string{"type_name", "user", "attributes", `{"email":"strict@example.com"}`}},
		{"entity.update", []string{"type_name", "user", "id", janrain.DemoID, "value", `{"displayName":"X"}`}},
		{"entity.replace", []string{"type_name", "user", "id", janrain.DemoID, "attribute_name", "displayName", "value", `"X"`}},
		{"entity.delete", []string{"type_name", "user", "id", janrain.DemoID}},
		{"entity.find", []string{"type_name", "user", "filter", "id=5252"}},
		{"entity.count", []string{"type_name", "user", "filter", "id=5252"}},
	}
	for _, tc := range ops {
		for _, where := range []string{"Form", "Query"} {
			t.Run(tc.op+"/"+where, func(t *testing.T) {
				e := newEnv(t)
				before := e.snapshot(t, janrain.DemoID)
				f := form(tc.pairs...)
				path := tc.op
				if where == "Form" {
					f.Set("attribute_nam", "middleName")
				} else {
					path += "?attribute_nam=middleName"
				}
				r := e.post(t, path, f)
				assert.Equal(t, http.StatusBadRequest, r.status, string(r.raw))
				assert.Equal(t, "error", r.body["stat"])
				assert.Equal(t, json.Number("200"), r.body["code"])
				assert.Equal(t, "invalid_argument", r.body["error"])
				assert.Equal(t, "attribute_nam", r.body["argument_name"])
				assert.Equal(t, before, e.snapshot(t, janrain.DemoID), "the record is unchanged")
				_, err := e.eng.Get(context.Background(), janrain.EntityType, update.ByKey("/email", "strict@example.com"))
				require.Equal(t, update.NotFound, update.ErrorCode(err), "no record was created")
			})
		}
	}
}
