package update_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

func TestNormalize(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, tc := range []struct {
		name, path string
		in         any
		want       any
		code       update.Code
		field      string
	}{
		{name: "email domain lower-cased", path: "/email", in: " Ann@Example.COM ", want: "Ann@example.com"},
		{name: "phone to E.164 with the field's region", path: "/phone", in: "079 123 45 67", want: "+41791234567"},
		{name: "phone already E.164", path: "/phone", in: "+41791234567", want: "+41791234567"},
		{name: "phone that does not parse", path: "/phone", in: "12", code: update.Invalid, field: "/phone"},
		{name: "email that fails its rule", path: "/email", in: "not-an-address", code: update.Invalid, field: "/email"},
		{name: "wrong type", path: "/givenName", in: 12.5, code: update.Invalid, field: "/givenName"},
		{name: "unknown path unchanged", path: "/nowhere", in: " X@Y.COM ", want: " X@Y.COM "},
		{name: "field without normalizer unchanged", path: "/givenName", in: " Ann ", want: " Ann "},
		{name: "nested value", path: "", in: map[string]any{"email": "a@B.ch", "givenName": "Ann"},
			want: map[string]any{"email": "a@b.ch", "givenName": "Ann"}},
		{name: "over the string limit", path: "/givenName", in: strings.Repeat("x", 201), code: update.TooLarge, field: "/givenName"},
		{name: "not a pointer", path: "email", in: "a@b.ch", code: update.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.eng.Normalize("user", tc.path, tc.in)
			if tc.code != "" {
				require.Error(t, err)
				assert.Equal(t, tc.code, update.ErrorCode(err))
				var ee *update.Error
				require.ErrorAs(t, err, &ee)
				if tc.field != "" {
					require.NotEmpty(t, ee.Fields)
					assert.Equal(t, tc.field, ee.Fields[0].Path)
					assert.Contains(t, ee.Message, tc.field, "the message names the field")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := f.eng.Normalize("nobody", "/email", "a@b.ch")
	assert.Equal(t, update.NotFound, update.ErrorCode(err), "unknown type")
}

// TestNormalizeMatchesStored: what Normalize returns is what Apply stores.
func TestNormalizeMatchesStored(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	_, err := apply(f, update.Request{Client: "admin", Doc: map[string]any{"phone": "0791112233"},
		Delivery: map[string]update.Delivery{"/phone": {Kind: update.AlreadyVerified}}})
	require.NoError(t, err)
	n, err := f.eng.Normalize("user", "/phone", "0791112233")
	require.NoError(t, err)
	assert.Equal(t, f.get(t, "u1").Doc["phone"], n)
}

func TestSameInstant(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	assert.True(t, update.SameInstant(base, base.Truncate(time.Microsecond)), "nanoseconds below a microsecond do not count")
	assert.True(t, update.SameInstant(base, base.In(time.FixedZone("x", 3600))), "the zone does not count")
	assert.False(t, update.SameInstant(base, base.Add(time.Microsecond)), "a microsecond counts")
	assert.False(t, update.SameInstant(base.Truncate(time.Microsecond).Add(999*time.Nanosecond), base.Truncate(time.Microsecond).Add(time.Microsecond)))
	formatted := base.Format("2006-01-02 15:04:05.000000 -0700")
	back, err := time.Parse("2006-01-02 15:04:05.999999999 -0700", formatted)
	require.NoError(t, err)
	assert.True(t, update.SameInstant(base, back), "a time formatted with microseconds matches its record")
}

// TestExpectConflict: a failed precondition names itself by Reason, keeps
// both values in Mismatch, and says nothing internal in its message.
func TestExpectConflict(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		v := f.get(t, "u1")
		before := f.snapshot(t, "u1")
		stale := v.Version + 4
		earlier := v.Updated.Add(-time.Second)
		for _, tc := range []struct {
			x      update.Expect
			reason string
		}{
			{update.Expect{Version: &stale}, update.ReasonVersion},
			{update.Expect{Created: &earlier}, update.ReasonCreated},
			{update.Expect{Updated: &earlier}, update.ReasonUpdated},
		} {
			_, err := apply(f, update.Request{Expect: tc.x, Doc: map[string]any{"givenName": "Z"}})
			var ee *update.Error
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, update.Conflict, ee.Code)
			assert.Equal(t, tc.reason, ee.Reason)
			require.NotNil(t, ee.Mismatch)
			assert.NotContains(t, ee.Message, "5", "no version number in the message")
			assert.NotContains(t, ee.Message, "1")
			assert.NotContains(t, ee.Message, "u1", "no record id in the message")
			switch tc.reason {
			case update.ReasonVersion:
				assert.Equal(t, stale, ee.Mismatch.ExpectedVersion)
				assert.Equal(t, v.Version, ee.Mismatch.ActualVersion)
			default:
				assert.True(t, ee.Mismatch.Expected.Equal(earlier))
				assert.True(t, update.SameInstant(ee.Mismatch.Actual, v.Updated))
			}
		}
		assert.Equal(t, before, f.snapshot(t, "u1"), "a failed precondition changes nothing")
		// A time read back at microsecond precision still matches.
		u := v.Updated.Truncate(time.Microsecond)
		_, err := apply(f, update.Request{Expect: update.Expect{Updated: &u}, Doc: map[string]any{"givenName": "Z"}})
		require.NoError(t, err)
	})
}

// TestMessagesSayNothingInternal: client-facing messages carry no Go error
// text, type names or internal numbers.
func TestMessagesSayNothingInternal(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	for _, tmpl := range []string{"https://x.example/?c={{.Code", "https://x.example/?c={{.Nope}}", "{{define \"x\"}}{{end}}"} {
		_, err := apply(f, update.Request{Doc: map[string]any{"email": "t@example.com"},
			Delivery: map[string]update.Delivery{"/email": {LinkTemplate: tmpl}}})
		var ee *update.Error
		require.ErrorAs(t, err, &ee, tmpl)
		require.NotEmpty(t, ee.Fields)
		for _, s := range []string{ee.Message, ee.Fields[0].Message} {
			assert.NotContains(t, s, "template: link", tmpl)
			assert.NotContains(t, s, "verify.", tmpl)
			assert.NotContains(t, s, "LinkData", tmpl)
		}
	}
	_, err := apply(f, update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "nope", Path: "/givenName"}}})
	assert.NotContains(t, update.ErrorMessage(err), "merge:")
	_, err = apply(f, update.Request{Path: "/statuses/0", Doc: nil, Mode: update.Merge})
	assert.NotContains(t, update.ErrorMessage(err), "merge:")
}
