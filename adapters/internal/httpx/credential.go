package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// MaxCredential bounds a token or secret a client sends, before it is
// compared or decoded.
const MaxCredential = 4096

// Bearer returns the token of r's "Authorization: Bearer <token>" header.
// The scheme is matched without regard to case (RFC 9110 section 11.1);
// an empty token, one longer than MaxCredential, or one holding spaces is
// no token.
func Bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	if token == "" || len(token) > MaxCredential || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// SecretEqual reports whether got equals want, in time that depends on
// neither value nor on how much of them agrees: both are hashed first.
// An empty got, or one longer than MaxCredential, never matches.
func SecretEqual(got, want string) bool {
	if got == "" || len(got) > MaxCredential {
		// Hash anyway, so a refused length costs what a comparison does.
		_ = sha256.Sum256([]byte(want))
		return false
	}
	hg, hw := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(hg[:], hw[:]) == 1
}

// Match returns the index of the one secret in secrets that got equals,
// or -1 when none or more than one does. Every secret is compared, so the
// time taken says nothing about which one matched.
func Match(got string, secrets []string) int {
	valid := got != "" && len(got) <= MaxCredential
	if !valid {
		got = "" // never matches; not worth hashing at any length
	}
	hg := sha256.Sum256([]byte(got)) // once, not once per secret
	found, n := -1, 0
	for i, s := range secrets {
		hs := sha256.Sum256([]byte(s))
		if subtle.ConstantTimeCompare(hg[:], hs[:]) == 1 && valid {
			found, n = i, n+1
		}
	}
	if n != 1 {
		return -1
	}
	return found
}
