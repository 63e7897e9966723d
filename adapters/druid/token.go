package druid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

const (
	grantChallenge = "urn:druid:oauth2:grant-type:code_challenge"
	scopeUpdate    = "update"
)

// token is what the adapter remembers of one issued token. The token
// itself is not kept, only its SHA-256, so the table cannot be replayed.
type token struct {
	client    string
	scopes    []string
	method    string
	challenge string
	expires   time.Time
	used      bool
}

// tokens is the per-process table of challenge-code tokens and of used
// code verifiers. Both are bounded: entries die TokenTTL after issue (or
// use), are pruned when the table fills, and a table full of live entries
// refuses new ones. A restart forgets every token, which only means
// clients ask for new ones. Safe for concurrent use.
type tokens struct {
	mu        sync.Mutex
	ttl       time.Duration
	max       int
	byHash    map[[32]byte]*token
	verifiers map[[32]byte]time.Time // verifier hash → when it may be forgotten
}

func newTokens(ttl time.Duration, max int) *tokens {
	return &tokens{ttl: ttl, max: max, byHash: map[[32]byte]*token{}, verifiers: map[[32]byte]time.Time{}}
}

// issue stores a token for client bound to the challenge and returns it.
// It fails with codeUnavailable when the table is full of live tokens.
func (t *tokens) issue(now time.Time, client string, scopes []string, method, challenge string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", failureWrap(codeUnavailable, "cannot issue a token now", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byHash) >= t.max {
		t.prune(now)
		if len(t.byHash) >= t.max {
			return "", failure(codeUnavailable, "too many tokens outstanding, try again later")
		}
	}
	t.byHash[sha256.Sum256([]byte(tok))] = &token{
		client: client, scopes: slices.Clone(scopes), method: method, challenge: challenge,
		expires: now.Add(t.ttl),
	}
	return tok, nil
}

// redeem consumes the token for one call needing scope, checking the
// verifier against its challenge. The token is spent by the first
// redeem, whatever its outcome, so neither the token nor a verifier can
// be tried twice. It returns the client the token was issued to.
func (t *tokens) redeem(now time.Time, tok, scope, verifier string) (string, error) {
	if tok == "" {
		return "", failure(codeUnauthorized, "bearer token required")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.byHash[sha256.Sum256([]byte(tok))]
	switch {
	case !ok:
		return "", failure(codeUnauthorized, "invalid token")
	case e.used:
		return "", failure(codeUnauthorized, "token already used")
	case !now.Before(e.expires):
		return "", failure(codeUnauthorized, "token expired")
	}
	e.used = true
	if !slices.Contains(e.scopes, scope) {
		return "", failure(codeNoScope, "token lacks the "+scope+" scope")
	}
	if verifier == "" {
		return "", failure(codeUnauthorized, "code_verifier required")
	}
	if !verifierMatches(e.method, e.challenge, verifier) {
		return "", failure(codeUnauthorized, "code_verifier does not match the code challenge")
	}
	vh := sha256.Sum256([]byte(verifier))
	if until, seen := t.verifiers[vh]; seen && now.Before(until) {
		return "", failure(codeUnauthorized, "code_verifier already used")
	}
	if len(t.verifiers) >= t.max {
		t.prune(now)
	}
	// When the table is still full the oldest use is no longer provable
	// anyway: every remembered verifier belongs to a token that is spent.
	t.verifiers[vh] = now.Add(t.ttl)
	return e.client, nil
}

// prune drops expired tokens and verifiers past their memory; it also
// bounds the verifier table by forgetting the earliest entries when every
// entry is still live.
func (t *tokens) prune(now time.Time) {
	for h, e := range t.byHash {
		if !now.Before(e.expires) {
			delete(t.byHash, h)
		}
	}
	for h, until := range t.verifiers {
		if !now.Before(until) {
			delete(t.verifiers, h)
		}
	}
	for len(t.verifiers) >= t.max {
		var oldest [32]byte
		var at time.Time
		first := true
		for h, until := range t.verifiers {
			if first || until.Before(at) {
				oldest, at, first = h, until, false
			}
		}
		delete(t.verifiers, oldest)
	}
}
