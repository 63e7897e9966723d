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
		"UnknownKey":      {`{"types":{"user":{"fields":{"/a":{"typ":"string"}}}}}`, `unknown field "typ"`},
		"Position":        {"{\"types\":\n  {\"user\": {\"fields\": {\"/a\": {\"type\": 7}}}}}", "line 2"},
		"BadType":         {`{"types":{"user":{"fields":{"/a":{"type":"text"}}}}}`, `"text" is not a JSON type`},
		"BadPointer":      {`{"types":{"user":{"fields":{"a":{}}}}}`, `field "a"`},
		"BadDuration":     {`{"types":{"user":{"fields":{"/e":{"confirm":{"channel":"email","mode":"hold","cooldown":"soon"}}}}}}`, "soon"},
		"UpsertNeedsKey":  {`{"types":{"user":{"fields":{"/s":{"plural":{"mode":"upsert"}}}}}}`, "key member"},
		"BadChannel":      {`{"types":{"user":{"fields":{"/e":{"confirm":{"channel":"pigeon","mode":"hold"}}}}}}`, "pigeon"},
		"NoTypes":         {`{}`, "no entity types"},
		"TrailingData":    {`{"types":{"u":{"fields":{}}}} {}`, "trailing"},
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
	assert.Contains(t, err.Error(), "nosuchtag")
}
