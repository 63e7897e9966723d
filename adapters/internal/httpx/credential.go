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
	scheme, token, ok := strings.Cut(Header(r.Header, "Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	if token == "" || len(token) > MaxCredential || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// Header is h.Get(key) for a key already in canonical form ("Content-Type",
// not "content-type"): the value is looked up as is, without
// canonicalizing the key again on every call.
func Header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// SecretEqual reports whether got equals want, in time that depends on
// neither value nor on how much of them agrees: both are hashed first.
// An empty got, or one longer than MaxCredential, never matches.
func SecretEqual(got, want string) bool {
	return HashSecret(want).Equal(got)
}

// SecretHash is a configured secret hashed once, so that checking what a
// client sent against it costs one hash, of what was sent.
type SecretHash [sha256.Size]byte

// HashSecret returns the SecretHash of secret.
func HashSecret(secret string) SecretHash { return Sum256(secret) }

// Equal reports whether got is the secret h was made of, as SecretEqual
// does: in time that depends on neither, and false for an empty got or
// one longer than MaxCredential. The zero SecretHash matches nothing.
func (h SecretHash) Equal(got string) bool {
	valid := got != "" && len(got) <= MaxCredential
	if !valid {
		got = "" // never matches; not worth hashing at any length
	}
	hg := Sum256(got)
	return subtle.ConstantTimeCompare(hg[:], h[:]) == 1 && valid
}

// EqualBytes is Equal for a secret held as bytes (one decoded into a
// buffer of the caller's), so that checking it needs no copy.
func (h SecretHash) EqualBytes(got []byte) bool {
	valid := len(got) != 0 && len(got) <= MaxCredential
	if !valid {
		got = nil
	}
	hg := sha256.Sum256(got)
	return subtle.ConstantTimeCompare(hg[:], h[:]) == 1 && valid
}

// Credentials finds the one of a fixed list of items, each with its own
// secret, whose secret a client sent. The secrets are hashed once, when
// the list is made; each lookup hashes what was sent once and compares it
// with every secret, so the time taken says nothing about which one
// matched or how close a guess was. Its methods are safe for concurrent
// use.
type Credentials[T any] struct {
	items  []T
	hashes []SecretHash
}

// NewCredentials returns the Credentials of items, each one's secret
// being secret(item). An empty secret is kept but never matches.
func NewCredentials[T any](items []T, secret func(T) string) *Credentials[T] {
	c := &Credentials[T]{items: items, hashes: make([]SecretHash, len(items))}
	for i, it := range items {
		c.hashes[i] = HashSecret(secret(it))
	}
	return c
}

// Match returns the one item whose secret equals got, and true; false when
// none does or more than one does. An empty got, or one longer than
// MaxCredential, never matches.
func (c *Credentials[T]) Match(got string) (T, bool) {
	valid := got != "" && len(got) <= MaxCredential
	if !valid {
		got = "" // never matches; not worth hashing at any length
	}
	hg := Sum256(got)
	found, n := -1, 0
	for i := range c.hashes {
		if subtle.ConstantTimeCompare(hg[:], c.hashes[i][:]) == 1 && valid {
			found, n = i, n+1
		}
	}
	if n != 1 {
		var zero T
		return zero, false
	}
	return c.items[found], true
}

// Bearer returns the item whose secret is r's bearer token (Bearer), and
// true; false when r bears no token or one that matches none.
func (c *Credentials[T]) Bearer(r *http.Request) (T, bool) {
	tok, ok := Bearer(r)
	if !ok {
		var zero T
		return zero, false
	}
	return c.Match(tok)
}

// Sum256 returns the SHA-256 of s, a credential. One of common length
// (up to 256 bytes) is copied to the stack for hashing, not to a heap
// buffer that would keep it until collected.
func Sum256(s string) [sha256.Size]byte {
	var buf [256]byte
	return sha256.Sum256(append(buf[:0], s...))
}
