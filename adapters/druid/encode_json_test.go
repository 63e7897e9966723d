package druid_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// TestBodyAppendJSON checks the reflection-free encoding of the update
// answer against encoding/json's, for users with and without each part.
func TestBodyAppendJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	views := []*update.View{
		{ID: "u1", Created: at, Updated: at, Doc: map[string]any{}},
		{ID: "u<2>&", Created: at, Updated: at.Add(time.Hour), Doc: map[string]any{
			"email": "a@example.com", "emailConfirmed": true, "phone_number": "+34600111222",
			"datas":      map[string]any{"name": "Jane \u2028", "n": json.Number("3"), "list": []any{"x", nil, false}},
			"assertions": map[string]any{"consent": map[string]any{"v": "\xff"}},
			"addresses":  []any{map[string]any{"city": "Oslo"}},
		}},
		{ID: "u3", Created: at, Updated: at, Doc: map[string]any{"datas": map[string]any{}, "addresses": []any{}}},
	}
	for _, v := range views {
		for _, res := range []*update.Result{
			{Record: v},
			{Record: v, Pending: []update.PendingInfo{{Path: "/email", Held: true, State: verify.Pending}}},
			{},
		} {
			_, body := druid.EncodeResult(res)
			want, err := json.Marshal(body)
			require.NoError(t, err)
			got, err := body.AppendJSON(nil)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	}
	// Users built by hand, with ids EncodeUser never makes, keep
	// json.Marshal's key order too.
	yes := true
	for _, ids := range []map[string]druid.UserID{
		nil, {},
		{"zeta": {ObjectType: "user_id", Value: "z"}, "email": {ObjectType: "user_id", Value: "e", Confirmed: &yes}, "a<b": {Value: "a"}},
		{"screen_name": {Value: "s"}, "national_id": {Value: "n"}},
	} {
		body := &druid.Body{Result: druid.Outcome{Status: 200}, Object: &druid.User{ObjectType: "user", ID: "u", IDs: ids}}
		want, err := json.Marshal(body)
		require.NoError(t, err)
		got, err := body.AppendJSON(nil)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
	// A value json.Marshal refuses is refused here too.
	_, body := druid.EncodeResult(&update.Result{Record: &update.View{ID: "u", Doc: map[string]any{"datas": map[string]any{"f": math.NaN()}}}})
	_, wantErr := json.Marshal(body)
	require.Error(t, wantErr)
	_, err := body.AppendJSON(nil)
	assert.Error(t, err)
}
