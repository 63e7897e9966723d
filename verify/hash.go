package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// MinKeyLen is the shortest key NewHasher and NewWebhook accept, in bytes.
const MinKeyLen = 32

// ErrShortKey is returned for a key shorter than MinKeyLen.
var ErrShortKey = errors.New("verify: key too short")

// Hasher turns codes into keyed hashes (HMAC-SHA256) so a store holds
// nothing a code can be read back from, and a leaked store without the key
// does not let anyone test guesses offline. A Hasher is immutable and safe
// for concurrent use. The zero Hasher and a nil *Hasher are not usable;
// make one with NewHasher.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed with a copy of key, which must be at
// least MinKeyLen bytes (ErrShortKey otherwise).
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrShortKey, len(key), MinKeyLen)
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Hash returns HMAC-SHA256 over the length-prefixed challengeID followed by
// code. The challenge id is part of the input so that a hash copied from
// one challenge to another does not verify there; the length prefix keeps
// ("ab","c") and ("a","bc") apart.
func (h *Hasher) Hash(challengeID, code string) []byte {
	m := hmac.New(sha256.New, h.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(challengeID)))
	m.Write(n[:])
	m.Write([]byte(challengeID))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Match reports whether code is the current code of c, comparing hashes in
// constant time. It is false when c is nil, c has no code hash, or code is
// longer than MaxCodeLength (no valid code is; such input is not hashed).
// Codes are compared exactly as given; see Normalize. Match changes
// nothing; Challenge.Check is the call that counts attempts.
func (h *Hasher) Match(c *Challenge, code string) bool {
	if c == nil || len(c.CodeHash) == 0 || len(code) > MaxCodeLength {
		return false
	}
	return hmac.Equal(h.Hash(c.ID, code), c.CodeHash)
}
