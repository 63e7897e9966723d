package update_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// keepVerifiedPolicy sets Confirm.KeepVerified on the user schema's
// confirmable email and phone.
func keepVerifiedPolicy(keep bool) *update.Policy {
	p := userPolicy()
	for _, path := range []string{"/email", "/phone"} {
		p.Types["user"].Fields[path].Confirm.KeepVerified = keep
	}
	return p
}

func TestKeepVerified_RefusesRemovingAVerifiedValue(t *testing.T) {
	cases := []struct {
		name    string
		keep    bool
		before  *update.Request // applied first, by admin, when set
		req     update.Request
		refused []string // the paths refused; nil when accepted
	}{
		{name: "replace leaving both out", keep: true,
			req:     update.Request{Mode: update.Replace, Doc: map[string]any{"familyName": "Park"}},
			refused: []string{"/email", "/phone"}},
		{name: "replace leaving the phone out", keep: true,
			req:     update.Request{Mode: update.Replace, Doc: map[string]any{"familyName": "Park", "email": "mparker@example.com"}},
			refused: []string{"/phone"}},
		{name: "merge null", keep: true,
			req:     update.Request{Doc: map[string]any{"email": nil}},
			refused: []string{"/email"}},
		{name: "patch remove", keep: true,
			req:     update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "remove", Path: "/phone"}}},
			refused: []string{"/phone"}},
		{name: "replacing with another value", keep: true,
			req: update.Request{Doc: map[string]any{"phone": "+41791234568"}}},
		{name: "replace sending both", keep: true,
			req: update.Request{Mode: update.Replace, Doc: map[string]any{"familyName": "Park",
				"email": "mparker@example.com", "phone": "+41791234567"}}},
		{name: "an unverified value may be removed", keep: true,
			before: &update.Request{Doc: map[string]any{"phone": "+41791234568"}},
			req:    update.Request{Doc: map[string]any{"phone": nil}}},
		{name: "without the option a verified value may be removed", keep: false,
			req: update.Request{Doc: map[string]any{"email": nil, "phone": nil}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil, keepVerifiedPolicy(c.keep))
			f.seed(t)
			if c.before != nil {
				_, err := apply(f, *c.before)
				require.NoError(t, err)
			}
			snap := f.snapshot(t, "u1")
			_, err := apply(f, c.req)
			if c.refused == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, update.Invalid, update.ErrorCode(err))
			var got []string
			for _, fe := range update.ErrorFields(err) {
				assert.Equal(t, update.RuleVerified, fe.Rule, fe.Path)
				got = append(got, fe.Path)
			}
			assert.Equal(t, c.refused, got)
			assert.Equal(t, snap, f.snapshot(t, "u1"), "a refused write changes nothing")
		})
	}
}
