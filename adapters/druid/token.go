package druid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

const (
	grantChallenge = "urn:druid:oauth2:grant-type:code_challenge"
	scopeUpdate    = "update"
)

// The kinds of storage.Token the adapter keeps, and the prefix of its
// quota names.
const (
	kindToken    = "druid.token"
	kindVerifier = "druid.verifier"
	quotaPrefix  = "druid.token/"
)

// tokens keeps challenge-code tokens and used code verifiers in a
// storage.Ephemeral, so that every process on one store honours the
// tokens any of them issued and refuses a verifier any of them saw. A
// token is spent by one atomic store step; a verifier is claimed by
// another. Expired entries are purged a bounded batch at a time as
// tokens are issued. Safe for concurrent use.
type tokens struct {
	store storage.Ephemeral
	ttl   time.Duration
	quota storage.Quota
	sweep *storage.Sweeper
}

func newTokens(store storage.Ephemeral, ttl time.Duration, quota storage.Quota) *tokens {
	return &tokens{store: store, ttl: ttl, quota: quota, sweep: &storage.Sweeper{Store: store}}
}

// hashOf is the key a token or verifier is stored under.
func hashOf(s string) []byte {
	h := httpx.Sum256(s)
	return h[:]
}

// issue stores a token for client bound to the challenge and returns it.
// A client past its quota is refused (Throttled, ReasonQuota): one noisy
// client uses up its own quota, not the others'.
//
// The token names its client in front of its random part (tokenClient),
// so that an update can be checked as its client's before the store has
// looked at the token, and the token spent in the update's own
// transaction. The name is not a secret; the store holds the token's
// hash, which covers it, so a token whose name was altered is unknown.
func (t *tokens) issue(ctx context.Context, now time.Time, client string, scopes []string, method, challenge string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", failureWrap(update.Internal, "cannot issue a token now", err)
	}
	tok := base64.RawURLEncoding.EncodeToString([]byte(client)) + "." + base64.RawURLEncoding.EncodeToString(raw)
	g := grant{Client: client, Scopes: scopes, Method: method, Challenge: challenge}
	data := g.appendJSON(nil)
	// The quota's count and the token go in one store step: a refused
	// request stores nothing, and an allowed one costs one round trip.
	ok, err := t.store.PutTokenHit(ctx, storage.Token{Kind: kindToken, Hash: hashOf(tok), Data: data, Expires: now.Add(t.ttl)},
		quotaPrefix+client, t.quota, now)
	if err != nil {
		return "", failureWrap(update.Internal, "cannot issue a token now", err)
	}
	if !ok {
		return "", &update.Error{Code: update.Throttled, Reason: update.ReasonQuota, Message: "too many token requests from this application, try again later"}
	}
	// A failed purge leaves expired entries for the next one.
	_ = t.sweep.Tick(ctx, now)
	return tok, nil
}

// tokenClient returns the client a token issued by issue names, or false
// for a token that names none (not issued by this adapter, or by an
// older version of it). The name is a claim until the token is spent.
func tokenClient(tok string) (string, bool) {
	name, _, ok := strings.Cut(tok, ".")
	if !ok || name == "" || len(name) > base64.RawURLEncoding.EncodedLen(maxNameLen) {
		return "", false
	}
	client, err := base64.RawURLEncoding.DecodeString(name)
	if err != nil || len(client) == 0 {
		return "", false
	}
	return string(client), true
}

// spend returns the spend of a token for one call needing scope, with the
// verifier claimed in the same store step and checked against the
// token's challenge by the spend's Check. client, when not empty, is who
// the caller was taken for: Check refuses a token issued to another.
// Once Check has passed, the spending's granted holds the client the
// token was issued to.
//
// The token is spent by the first call that presents it, whatever that
// call's outcome, so neither the token nor a verifier can be tried twice:
// a verifier sent with a live token is used up even when the call is
// then refused. It could only have served a token issued for its
// challenge, and a client makes a new verifier for each token.
func (t *tokens) spend(now time.Time, tok, scope, verifier, client string) *spending {
	s := &spending{scope: scope, verifier: verifier, client: client}
	s.tokenHash = httpx.Sum256(tok)
	s.sp = storage.Spend{Kind: kindToken, Hash: s.tokenHash[:], Now: now, Check: s.check}
	if verifier != "" {
		// The verifier is stored under its SHA-256, which is also what
		// an S256 challenge is made of: one digest serves both.
		s.verifierHash = httpx.Sum256(verifier)
		// The verifier is remembered as long as a token issued now could
		// live, so no token alive can be answered with it again.
		s.sp.Claim = storage.Token{Kind: kindVerifier, Hash: s.verifierHash[:], Expires: now.Add(t.ttl)}
	}
	return s
}

// spending is one call's spend of a token (tokens.spend), kept in one
// allocation: the spend, the hashes it names and what its Check needs.
type spending struct {
	sp                      storage.Spend
	tokenHash, verifierHash [sha256.Size]byte
	scope, verifier, client string
	// granted is the client the token was issued to, once check passed.
	granted string
}

// check is the spend's Check: the grant the spent token was stored with
// must name the caller's client (when known), hold the scope and have
// the challenge the verifier answers, and the verifier must be new.
func (s *spending) check(st *storage.Token, claimed bool) error {
	g, err := decodeGrant(st.Data)
	if err != nil {
		return failureWrap(update.Internal, "cannot check the token now", err)
	}
	if s.client != "" && g.Client != s.client {
		return failure(update.Internal, "cannot check the token now")
	}
	if !slices.Contains(g.Scopes, s.scope) {
		return failure(codeNoScope, "token lacks the "+s.scope+" scope")
	}
	if s.verifier == "" {
		return failure(codeUnauthorized, "code_verifier required")
	}
	if !verifierMatches(g.Method, g.Challenge, s.verifier, &s.verifierHash) {
		return failure(codeUnauthorized, "code_verifier does not match the code challenge")
	}
	if !claimed {
		return failure(codeUnauthorized, "code_verifier already used")
	}
	s.granted = g.Client
	return nil
}

// redeem spends the token for one call needing scope by itself (see
// spend) and returns the client it was issued to.
func (t *tokens) redeem(ctx context.Context, now time.Time, tok, scope, verifier string) (string, error) {
	if tok == "" {
		return "", failure(codeUnauthorized, "bearer token required")
	}
	s := t.spend(now, tok, scope, verifier, "")
	if err := storage.SpendAlone(ctx, t.store, s.sp); err != nil {
		return "", tokenError(err)
	}
	return s.granted, nil
}

// tokenError returns DRUID's answer to a token that could not be spent:
// for a *storage.SpendError in err's chain (as the store or the engine
// returns it) the reason the token is refused, and otherwise err itself
// when it is the engine's answer (an *update.Error). Anything else, a
// spend error for another reason included, is internal.
func tokenError(err error) error {
	var (
		se *storage.SpendError
		ue *update.Error
	)
	switch {
	case errors.As(err, &se):
		switch {
		case errors.Is(se, storage.ErrTokenSpent):
			return failure(codeUnauthorized, "token already used")
		case errors.Is(se, storage.ErrTokenExpired):
			return failure(codeUnauthorized, "token expired")
		case errors.Is(se, storage.ErrNotFound):
			return failure(codeUnauthorized, "invalid token")
		}
	case errors.As(err, &ue):
		return err
	}
	return failureWrap(update.Internal, "cannot check the token now", err)
}
