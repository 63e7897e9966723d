package druid

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVerifierMatches checks verifierMatches against RFC 7636's rule
// written out plainly: the verifier well formed, and the challenge equal
// to the verifier (plain) or to S256Challenge of it (S256).
func TestVerifierMatches(t *testing.T) {
	rfc := func(method, challenge, verifier string) bool {
		if !validPKCE(verifier) {
			return false
		}
		switch method {
		case methodPlain:
			return subtle.ConstantTimeCompare([]byte(verifier), []byte(challenge)) == 1
		case methodS256:
			return subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(challenge)) == 1
		}
		return false
	}
	// RFC 7636 appendix B.
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	other := strings.Repeat("a", 43)
	verifiers := []string{verifier, other, "", "short", strings.Repeat("b", 128), strings.Repeat("b", 129), verifier[:42] + "!"}
	challenges := []string{challenge, verifier, other, S256Challenge(other), "", challenge[:42], challenge + "A", strings.ToLower(challenge)}
	for _, method := range []string{methodPlain, methodS256, "s256", ""} {
		for _, v := range verifiers {
			digest := sha256.Sum256([]byte(v))
			for _, c := range challenges {
				assert.Equal(t, rfc(method, c, v), verifierMatches(method, c, v, &digest), "%s %q %q", method, c, v)
			}
		}
	}
	digest := sha256.Sum256([]byte(verifier))
	assert.True(t, verifierMatches(methodS256, challenge, verifier, &digest))
	assert.True(t, verifierMatches(methodPlain, verifier, verifier, &digest))
}
