package janrain

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
)

// TestCanonicalUUID checks canonicalUUID against the rule it replaces:
// uuid.Parse accepts it, it is 36 characters long, and it is the parsed
// UUID's string in some case.
func TestCanonicalUUID(t *testing.T) {
	base := "6bbe7e58-bede-41b8-940b-5614c7607a4e"
	inputs := []string{base, strings.ToUpper(base), "6BBE7e58-bede-41b8-940b-5614c7607a4E", "",
		"6bbe7e58bede41b8940b5614c7607a4e", "{6bbe7e58-bede-41b8-940b-5614c7607a4e}",
		"urn:uuid:6bbe7e58-bede-41b8-940b-5614c7607a4e", base + " ", " " + base[1:],
		"6bbe7e58-bede-41b8-940b-5614c7607a4g", "6bbe7e58+bede-41b8-940b-5614c7607a4e", "6bbe7e58-bede-41b8-940b-5614c7607a-e"}
	for i := range base {
		for _, c := range []byte{'-', 'g', 'A', '0', ' ', 0xff} {
			inputs = append(inputs, base[:i]+string(c)+base[i+1:])
		}
	}
	for _, u := range inputs {
		parsed, err := uuid.Parse(u)
		wantOK := err == nil && len(u) == 36 && parsed.String() == strings.ToLower(u)
		got, ok := canonicalUUID(u)
		assert.Equal(t, wantOK, ok, "%q", u)
		if wantOK {
			assert.Equal(t, parsed.String(), got, "%q", u)
		}
	}
}
