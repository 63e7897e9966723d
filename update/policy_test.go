package update_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

func TestLoadPolicy(t *testing.T) {
	p, err := update.LoadPolicy("testdata/policy.json")
	require.NoError(t, err)
	email := p.Types["user"].Fields["/email"]
	require.NotNil(t, email.Confirm)
	assert.Equal(t, update.Duration(2*time.Minute), email.Confirm.Cooldown)
	assert.Equal(t, update.Hold, email.Confirm.Mode)
	_, err = update.New(memory.New(), p)
	require.NoError(t, err)
}

func TestParsePolicyErrors(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"UnknownKey":      {`{"types":{"user":{"fields":{"/a":{"typ":"string"}}}}}`, `1:35: $.types.user.fields["/a"].typ: unknown member "typ"; expected one of confirm, identifier, keep, mutability, normalize, plural, query, region, required, rules, secret, type, unique, uniqueScope; did you mean "type"?`},
		"Position":        {"{\"types\":\n  {\"user\": {\"fields\": {\"/a\": {\"type\": 7}}}}}", `2:39: $.types.user.fields["/a"].type: got the number 7; expected a string`},
		"BadType":         {`{"types":{"user":{"fields":{"/a":{"type":"text"}}}}}`, `"text" is not a JSON type`},
		"BadPointer":      {`{"types":{"user":{"fields":{"a":{}}}}}`, `1:33: $.types.user.fields.a: not a JSON Pointer below the root`},
		"BadDuration":     {`{"types":{"user":{"fields":{"/e":{"confirm":{"channel":"email","mode":"hold","cooldown":"soon"}}}}}}`, `1:89: $.types.user.fields["/e"].confirm.cooldown: "soon" is not a duration; expected a string such as "90s"`},
		"UpsertNeedsKey":  {`{"types":{"user":{"fields":{"/s":{"plural":{"mode":"upsert"}}}}}}`, "key member"},
		"BadChannel":      {`{"types":{"user":{"fields":{"/e":{"confirm":{"channel":"pigeon","mode":"hold"}}}}}}`, "pigeon"},
		"NoTypes":         {`{}`, "no entity types"},
		"TrailingData":    {`{"types":{"u":{"fields":{}}}} {}`, "1:31: $: unexpected data after the top-level value; expected the end of the file"},
		"WindowWithoutIt": {`{"types":{"u":{"fields":{"/e":{"confirm":{"channel":"sms","mode":"hold","maxSends":3}}}}}}`, "window"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := update.ParsePolicy(strings.NewReader(tc.json))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewChecksRuleTags(t *testing.T) {
	p, err := update.ParsePolicy(strings.NewReader(`{"types":{"user":{"fields":{"/a":{"type":"string","rules":"nosuchtag"}}}}}`))
	require.NoError(t, err, "tags are New's to check")
	_, err = update.New(memory.New(), p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `$.types.user.fields["/a"].rules: unknown rule "nosuchtag" in "nosuchtag"`)
	var ce *update.ConfigError
	require.ErrorAs(t, err, &ce, "placed in the file by LocatePolicyError")

	data := []byte("{\"types\": {\"user\": {\"fields\": {\n  \"/a\": {\"type\": \"string\", \"rules\": \"emial,max=9\"}}}}}")
	p, err = update.ParsePolicy(strings.NewReader(string(data)))
	require.NoError(t, err)
	_, err = update.New(memory.New(), p)
	err = update.LocatePolicyError(err, "policy.json", data)
	assert.EqualError(t, err, `policy: policy.json:2:37: $.types.user.fields["/a"].rules: unknown rule "emial" in "emial,max=9"; `+
		`expected go-playground/validator tags such as email, max=200 or oneof=a b, or one registered with WithValidator; did you mean "email"?`)
}
