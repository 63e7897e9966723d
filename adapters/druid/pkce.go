package druid

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// The code challenge methods of RFC 7636.
const (
	methodPlain = "plain"
	methodS256  = "S256"
)

// validPKCE reports whether s has the form RFC 7636 section 4.1 gives a
// code verifier (and, for plain, a challenge): 43 to 128 characters of
// A-Z a-z 0-9 - . _ ~.
func validPKCE(s string) bool {
	return len(s) >= 43 && len(s) <= 128 && unreserved(s)
}

// unreserved reports whether s holds only characters a query value
// carries unescaped: A-Z a-z 0-9 - . _ ~.
func unreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// challengeProblem says what a code_challenge refused by validChallenge
// should have been, with the length it had.
func challengeProblem(method, challenge string) string {
	if method == methodS256 {
		return fmt.Sprintf("code_challenge is not a valid S256 challenge: it must be the unpadded base64url SHA-256 of the verifier, 43 characters (got %d)", len(challenge))
	}
	return fmt.Sprintf("code_challenge is not a valid plain challenge: it must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (got %d)", len(challenge))
}

// validChallenge reports whether challenge is well formed for method: for
// S256 the unpadded base64url of a SHA-256 digest (43 characters), for
// plain a verifier.
func validChallenge(method, challenge string) bool {
	switch method {
	case methodPlain:
		return validPKCE(challenge)
	case methodS256:
		b, err := base64.RawURLEncoding.Strict().DecodeString(challenge)
		return err == nil && len(b) == sha256.Size
	}
	return false
}

// S256Challenge returns the S256 code challenge of verifier:
// BASE64URL(SHA256(verifier)) without padding.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// verifierMatches reports whether verifier answers challenge under method,
// comparing in constant time. digest is verifier's SHA-256, which the
// caller has already taken to store the verifier under.
func verifierMatches(method, challenge, verifier string, digest *[sha256.Size]byte) bool {
	if !validPKCE(verifier) {
		return false
	}
	switch method {
	case methodPlain:
		return constantTimeEqual(verifier, challenge)
	case methodS256:
		var got [43]byte // base64url of 32 bytes, unpadded
		base64.RawURLEncoding.Encode(got[:], digest[:])
		return constantTimeEqual(got[:], challenge)
	}
	return false
}

// constantTimeEqual reports whether a and b hold the same bytes, taking a
// time that depends on their lengths only, as subtle.ConstantTimeCompare
// does, without copying either.
func constantTimeEqual[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}
