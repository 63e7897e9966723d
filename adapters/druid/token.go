package druid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

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

// grant is what the adapter keeps of one issued token, as the token's
// storage.Token Data. The token itself is never kept, only its SHA-256,
// so the store cannot be read for tokens to replay.
type grant struct {
	Client    string   `json:"client"`
	Scopes    []string `json:"scopes"`
	Method    string   `json:"method"`
	Challenge string   `json:"challenge"`
}

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
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// issue stores a token for client bound to the challenge and returns it.
// A client past its quota is refused (Throttled, ReasonQuota): one noisy
// client uses up its own quota, not the others'.
func (t *tokens) issue(ctx context.Context, now time.Time, client string, scopes []string, method, challenge string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", failureWrap(update.Internal, "cannot issue a token now", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	data, err := json.Marshal(grant{Client: client, Scopes: slices.Clone(scopes), Method: method, Challenge: challenge})
	if err != nil {
		return "", failureWrap(update.Internal, "cannot issue a token now", err)
	}
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

// redeem consumes the token for one call needing scope, checking the
// verifier against its challenge. The token is spent by the first
// redeem, whatever its outcome, so neither the token nor a verifier can
// be tried twice. It returns the client the token was issued to.
//
// The token is spent and the verifier claimed in one store step, before
// the token's scope and challenge are looked at: a verifier sent with a
// live token is used up even when the call is then refused. It could
// only have served a token issued for its challenge, and a client makes a
// new verifier for each token.
func (t *tokens) redeem(ctx context.Context, now time.Time, tok, scope, verifier string) (string, error) {
	if tok == "" {
		return "", failure(codeUnauthorized, "bearer token required")
	}
	var (
		st      *storage.Token
		claimed bool
		err     error
	)
	if verifier == "" {
		st, err = t.store.ConsumeToken(ctx, kindToken, hashOf(tok), now)
	} else {
		// The verifier is remembered as long as a token issued now could
		// live, so no token alive can be answered with it again.
		st, claimed, err = t.store.ConsumeTokenPut(ctx, kindToken, hashOf(tok),
			storage.Token{Kind: kindVerifier, Hash: hashOf(verifier), Expires: now.Add(t.ttl)}, now)
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "", failure(codeUnauthorized, "invalid token")
	case errors.Is(err, storage.ErrTokenSpent):
		return "", failure(codeUnauthorized, "token already used")
	case errors.Is(err, storage.ErrTokenExpired):
		return "", failure(codeUnauthorized, "token expired")
	case err != nil:
		return "", failureWrap(update.Internal, "cannot check the token now", err)
	}
	var g grant
	if err := json.Unmarshal(st.Data, &g); err != nil {
		return "", failureWrap(update.Internal, "cannot check the token now", err)
	}
	if !slices.Contains(g.Scopes, scope) {
		return "", failure(codeNoScope, "token lacks the "+scope+" scope")
	}
	if verifier == "" {
		return "", failure(codeUnauthorized, "code_verifier required")
	}
	if !verifierMatches(g.Method, g.Challenge, verifier) {
		return "", failure(codeUnauthorized, "code_verifier does not match the code challenge")
	}
	if !claimed {
		return "", failure(codeUnauthorized, "code_verifier already used")
	}
	return g.Client, nil
}
