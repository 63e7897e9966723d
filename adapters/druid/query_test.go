package druid

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDecodeUpdateQueryFastPath checks that the update query read without
// parsing gives what the parsed query gives, and that every other query
// is still parsed, escapes, repeats and unknown parameters included.
func TestDecodeUpdateQueryFastPath(t *testing.T) {
	for _, raw := range []string{
		"", "code_verifier=", "code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "code_verifier=a.b~c-_Z09",
		"code_verifier=a%2Bb", "code_verifier=a+b", "code_verifier=a%zz", "code_verifier=a&x=1", "code_verifier=a;b",
		"code_verifier=a&code_verifier=a", "code_verifier=a=b", "code_verifier", "code%5Fverifier=a", "x=1&code_verifier=a",
		"code_verifier=a&", "&code_verifier=a", "code_verifier=é",
	} {
		want, wantErr := parseUpdateQuery(raw)
		got, err := DecodeUpdateQuery(raw)
		assert.Equal(t, want, got, "%q", raw)
		assert.Equal(t, wantErr, err, "%q", raw)
	}
}
