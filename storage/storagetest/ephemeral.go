package storagetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// runEphemeral checks storage.Ephemeral: single-use tokens, quotas,
// token buckets and the purge of expired state. A store without it skips.
func runEphemeral(t *testing.T, newStore NewStore) {
	probe := func(t *testing.T) storage.Ephemeral {
		e, ok := newStore(t).(storage.Ephemeral)
		if !ok {
			t.Skip("the store does not implement storage.Ephemeral")
		}
		return e
	}
	t.Run("Tokens", func(t *testing.T) { runTokens(t, probe(t)) })
	t.Run("Quotas", func(t *testing.T) { runQuotas(t, probe(t)) })
	t.Run("PutTokenHit", func(t *testing.T) { runPutTokenHit(t, probe(t)) })
	t.Run("ConsumeTokenPut", func(t *testing.T) { runConsumeTokenPut(t, probe(t)) })
	t.Run("Purge", func(t *testing.T) { runPurge(t, probe(t)) })
	t.Run("Buckets", func(t *testing.T) { runBuckets(t, probe(t)) })
	t.Run("BucketPurge", func(t *testing.T) { runBucketPurge(t, probe(t)) })
}

// tokenHash is the SHA-256 of a made-up token.
func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func newToken(kind, secret string, expires time.Time) storage.Token {
	return storage.Token{Kind: kind, Hash: tokenHash(secret), Data: []byte(`{"client":"c-` + secret + `"}`), Expires: expires}
}

func runTokens(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		tok := newToken("test.token", "ok", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		got, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(1))
		require.NoError(t, err)
		assert.Equal(t, tok.Data, got.Data)
		assert.True(t, got.Expires.Equal(tok.Expires), "expires %s, want %s", got.Expires, tok.Expires)
		assert.True(t, got.Spent)
	})
	t.Run("ErrTokenSpent", func(t *testing.T) {
		tok := newToken("test.token", "spent", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(1))
		require.NoError(t, err)
		_, err = e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(2))
		assert.ErrorIs(t, err, storage.ErrTokenSpent)
	})
	t.Run("ErrTokenExpired", func(t *testing.T) {
		tok := newToken("test.token", "expired", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(60))
		assert.ErrorIs(t, err, storage.ErrTokenExpired, "a token expires at its expiry, not after")
		_, err = e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(59))
		assert.NoError(t, err, "the expired answer spent nothing")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.ConsumeToken(ctx, "test.token", tokenHash("never issued"), at(0))
		assert.ErrorIs(t, err, storage.ErrNotFound)
		_, err = e.ConsumeToken(ctx, "", []byte("short"), at(0))
		assert.ErrorIs(t, err, storage.ErrNotFound)
		tok := newToken("test.token", "kinds", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		_, err = e.ConsumeToken(ctx, "test.other", tok.Hash, at(1))
		assert.ErrorIs(t, err, storage.ErrNotFound, "kinds are separate")
	})
	t.Run("ErrExists", func(t *testing.T) {
		tok := newToken("test.verifier", "dup", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		err := e.PutToken(ctx, newToken("test.verifier", "dup", at(120)), at(59))
		assert.ErrorIs(t, err, storage.ErrExists)
		_, err = e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(1))
		require.NoError(t, err)
		// Once expired, the same hash may be stored again, fresh.
		again := newToken("test.verifier", "dup", at(200))
		require.NoError(t, e.PutToken(ctx, again, at(60)))
		got, err := e.ConsumeToken(ctx, again.Kind, again.Hash, at(61))
		require.NoError(t, err, "the replacement starts unspent")
		assert.True(t, got.Expires.Equal(at(200)))
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for name, tok := range map[string]storage.Token{
			"no kind":    {Hash: tokenHash("x"), Expires: at(1)},
			"space":      {Kind: "a kind", Hash: tokenHash("x"), Expires: at(1)},
			"long kind":  {Kind: strings.Repeat("k", storage.MaxTokenKind+1), Hash: tokenHash("x"), Expires: at(1)},
			"short hash": {Kind: "test.token", Hash: []byte("short"), Expires: at(1)},
			"long hash":  {Kind: "test.token", Hash: make([]byte, storage.MaxTokenHash+1), Expires: at(1)},
			"big data":   {Kind: "test.token", Hash: tokenHash("big"), Data: make([]byte, storage.MaxTokenData+1), Expires: at(1)},
			"no expiry":  {Kind: "test.token", Hash: tokenHash("noexp")},
		} {
			t.Run(name, func(t *testing.T) {
				assert.ErrorIs(t, e.PutToken(ctx, tok, at(0)), storage.ErrInvalid)
				if len(tok.Hash) >= storage.MinTokenHash {
					_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(0))
					assert.ErrorIs(t, err, storage.ErrNotFound, "nothing was stored")
				}
			})
		}
	})
	t.Run("ConcurrentConsumeOneWins", func(t *testing.T) {
		tok := newToken("test.token", "race", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		var won, spent atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(1))
				switch {
				case err == nil:
					won.Add(1)
				case assert.ErrorIs(t, err, storage.ErrTokenSpent):
					spent.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), won.Load())
		assert.Equal(t, int32(15), spent.Load())
	})
	t.Run("ConcurrentPutOneWins", func(t *testing.T) {
		var won atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := e.PutToken(ctx, newToken("test.verifier", "claim", at(60)), at(0))
				if err == nil {
					won.Add(1)
					return
				}
				assert.ErrorIs(t, err, storage.ErrExists)
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), won.Load(), "a verifier can be claimed once")
	})
}

// w0 is aligned to every window the quota tests use.
var w0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func runQuotas(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	q := storage.Quota{Limit: 3, Window: time.Minute}
	hits := func(name string, now time.Time, n int) (allowed int) {
		t.Helper()
		for range n {
			ok, err := e.Hit(ctx, name, q, now)
			require.NoError(t, err)
			if ok {
				allowed++
			}
		}
		return allowed
	}
	t.Run("LimitPerWindow", func(t *testing.T) {
		assert.Equal(t, 3, hits("limit", w0.Add(time.Second), 5))
		assert.Equal(t, 0, hits("other-name", w0.Add(time.Second), 0))
		assert.Equal(t, 3, hits("other-name", w0.Add(time.Second), 4), "names count apart")
	})
	t.Run("Sliding", func(t *testing.T) {
		assert.Equal(t, 3, hits("slide", w0.Add(50*time.Second), 3))
		// Half-way into the next window, the 3 calls of the last one
		// weigh 1.5: one more call fits (2.5), a second (3.5) does not.
		assert.Equal(t, 1, hits("slide", w0.Add(90*time.Second), 3))
		// Two windows on, the old calls weigh nothing.
		assert.Equal(t, 3, hits("slide", w0.Add(180*time.Second), 4))
	})
	t.Run("RefusedCallsAreNotCounted", func(t *testing.T) {
		assert.Equal(t, 3, hits("refused", w0.Add(59*time.Second), 100))
		// Had the 97 refused calls counted, the previous window would
		// weigh far above the limit here; 3 × (1 - 1/60) + 1 ≤ 3 is false,
		// 3 × (1 - 55/60) + 1 ≤ 3 is true.
		assert.Equal(t, 0, hits("refused", w0.Add(61*time.Second), 1))
		assert.Equal(t, 2, hits("refused", w0.Add(115*time.Second), 5))
	})
	t.Run("SkewedClocks", func(t *testing.T) {
		// A process whose clock is ahead opened the next window; one
		// behind still counts its calls into it instead of resetting.
		assert.Equal(t, 2, hits("skew", w0.Add(61*time.Second), 2))
		assert.Equal(t, 1, hits("skew", w0.Add(59*time.Second), 3))
	})
	t.Run("Concurrent", func(t *testing.T) {
		big := storage.Quota{Limit: 10, Window: time.Hour}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := e.Hit(ctx, "concurrent", big, w0)
				assert.NoError(t, err)
				if ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(10), allowed.Load())
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for name, tc := range map[string]struct {
			name string
			q    storage.Quota
		}{
			"no name":      {"", q},
			"long name":    {strings.Repeat("n", storage.MaxQuotaName+1), q},
			"zero limit":   {"x", storage.Quota{Limit: 0, Window: time.Minute}},
			"short window": {"x", storage.Quota{Limit: 1, Window: time.Microsecond}},
			"long window":  {"x", storage.Quota{Limit: 1, Window: storage.MaxWindow + 1}},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.Hit(ctx, tc.name, tc.q, w0)
				assert.ErrorIs(t, err, storage.ErrInvalid)
			})
		}
	})
}

func runPurge(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	for i := range 5 {
		require.NoError(t, e.PutToken(ctx, newToken("test.purge", fmt.Sprint("old", i), at(10+i)), at(0)))
	}
	live := newToken("test.purge", "live", t0.Add(48*time.Hour))
	require.NoError(t, e.PutToken(ctx, live, at(0)))
	q := storage.Quota{Limit: 5, Window: time.Second}
	ok, err := e.Hit(ctx, "purge-old", q, w0)
	require.NoError(t, err)
	require.True(t, ok)

	now := w0.Add(time.Hour)
	if now.Before(at(20)) {
		now = at(20)
	}
	n, err := e.PurgeExpired(ctx, now, 4)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "a purge stops at its batch")
	n, err = e.PurgeExpired(ctx, now, 100)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the last expired token and the quota window")
	n, err = e.PurgeExpired(ctx, now, 100)
	require.NoError(t, err)
	assert.Equal(t, 0, n)

	for i := range 5 {
		_, err := e.ConsumeToken(ctx, "test.purge", tokenHash(fmt.Sprint("old", i)), now)
		assert.ErrorIs(t, err, storage.ErrNotFound)
	}
	_, err = e.ConsumeToken(ctx, live.Kind, live.Hash, at(20))
	assert.NoError(t, err, "a live token survives a purge")
	_, err = e.PurgeExpired(ctx, now, 0)
	assert.ErrorIs(t, err, storage.ErrInvalid)
}

// runPutTokenHit checks PutTokenHit: a token stored only when its quota
// allows the call, and nothing stored or counted otherwise.
func runPutTokenHit(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	q := storage.Quota{Limit: 2, Window: time.Minute}
	now := w0.Add(time.Second)
	consumable := func(tok storage.Token) bool {
		t.Helper()
		_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, now)
		if err == nil {
			return true
		}
		require.ErrorIs(t, err, storage.ErrNotFound)
		return false
	}
	t.Run("StoredWhileAllowed", func(t *testing.T) {
		var stored []storage.Token
		for i := range 4 {
			tok := newToken("test.token", fmt.Sprintf("quota-%d", i), now.Add(time.Hour))
			ok, err := e.PutTokenHit(ctx, tok, "put-hit", q, now)
			require.NoError(t, err)
			assert.Equal(t, i < 2, ok, "call %d", i)
			stored = append(stored, tok)
		}
		for i, tok := range stored {
			assert.Equal(t, i < 2, consumable(tok), "token %d stored", i)
		}
		ok, err := e.Hit(ctx, "put-hit", q, now)
		require.NoError(t, err)
		assert.False(t, ok, "the stored tokens counted against the quota, the refused ones did not free it")
	})
	t.Run("ErrExistsCountsNothing", func(t *testing.T) {
		tok := newToken("test.token", "quota-dup", now.Add(time.Hour))
		ok, err := e.PutTokenHit(ctx, tok, "put-hit-dup", q, now)
		require.NoError(t, err)
		require.True(t, ok)
		again := newToken("test.token", "quota-dup", now.Add(2*time.Hour))
		ok, err = e.PutTokenHit(ctx, again, "put-hit-dup", q, now)
		assert.ErrorIs(t, err, storage.ErrExists)
		assert.False(t, ok)
		got, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, now)
		require.NoError(t, err)
		assert.True(t, got.Expires.Equal(tok.Expires), "the live token is unchanged")
		ok, err = e.Hit(ctx, "put-hit-dup", q, now)
		require.NoError(t, err)
		assert.True(t, ok, "the failed call was not counted: one of two used")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		bad := storage.Token{Kind: "a kind", Hash: tokenHash("x"), Expires: now.Add(time.Hour)}
		_, err := e.PutTokenHit(ctx, bad, "put-hit-invalid", q, now)
		assert.ErrorIs(t, err, storage.ErrInvalid)
		tok := newToken("test.token", "quota-badquota", now.Add(time.Hour))
		_, err = e.PutTokenHit(ctx, tok, "put-hit-invalid", storage.Quota{Limit: 0, Window: time.Minute}, now)
		assert.ErrorIs(t, err, storage.ErrInvalid)
		assert.False(t, consumable(tok), "nothing was stored")
		for range 2 {
			ok, err := e.Hit(ctx, "put-hit-invalid", q, now)
			require.NoError(t, err)
			assert.True(t, ok, "nothing was counted")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var allowed atomic.Int32
		var wg sync.WaitGroup
		toks := make([]storage.Token, 16)
		for i := range toks {
			toks[i] = newToken("test.token", fmt.Sprintf("quota-race-%d", i), now.Add(time.Hour))
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := e.PutTokenHit(ctx, toks[i], "put-hit-race", q, now)
				if assert.NoError(t, err) && ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(2), allowed.Load())
		n := 0
		for _, tok := range toks {
			if consumable(tok) {
				n++
			}
		}
		assert.Equal(t, 2, n, "exactly the allowed tokens are stored")
	})
}

// runConsumeTokenPut checks ConsumeTokenPut: the put happens exactly when
// the consume does, and a put refused for a live token leaves the consume
// in effect.
func runConsumeTokenPut(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	// state is what ConsumeToken says of tok at at(1), without spending a
	// live one for good: nil means it was live (and is spent now).
	state := func(tok storage.Token) error {
		t.Helper()
		_, err := e.ConsumeToken(ctx, tok.Kind, tok.Hash, at(1))
		return err
	}
	t.Run("OK", func(t *testing.T) {
		tok, put := newToken("test.token", "cp-ok", at(60)), newToken("test.verifier", "cp-ok", at(90))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		got, stored, err := e.ConsumeTokenPut(ctx, tok.Kind, tok.Hash, put, at(1))
		require.NoError(t, err)
		assert.True(t, stored)
		assert.Equal(t, tok.Data, got.Data)
		assert.True(t, got.Expires.Equal(tok.Expires))
		assert.True(t, got.Spent)
		assert.ErrorIs(t, state(tok), storage.ErrTokenSpent)
		assert.NoError(t, state(put), "the put token is stored, unspent")
	})
	t.Run("PutExists", func(t *testing.T) {
		tok, put := newToken("test.token", "cp-exists", at(60)), newToken("test.verifier", "cp-exists", at(90))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		require.NoError(t, e.PutToken(ctx, put, at(0)))
		got, stored, err := e.ConsumeTokenPut(ctx, tok.Kind, tok.Hash, newToken("test.verifier", "cp-exists", at(200)), at(1))
		require.NoError(t, err)
		assert.False(t, stored)
		assert.Equal(t, tok.Data, got.Data)
		assert.ErrorIs(t, state(tok), storage.ErrTokenSpent, "the consume stands")
		kept, err := e.ConsumeToken(ctx, put.Kind, put.Hash, at(1))
		require.NoError(t, err, "the live token was left unspent")
		assert.True(t, kept.Expires.Equal(put.Expires), "and unchanged")
	})
	t.Run("ConsumeFails", func(t *testing.T) {
		spent, expired := newToken("test.token", "cp-spent", at(60)), newToken("test.token", "cp-expired", at(5))
		require.NoError(t, e.PutToken(ctx, spent, at(0)))
		require.NoError(t, e.PutToken(ctx, expired, at(0)))
		_, err := e.ConsumeToken(ctx, spent.Kind, spent.Hash, at(1))
		require.NoError(t, err)
		for name, c := range map[string]struct {
			tok  storage.Token
			want error
		}{
			"missing": {newToken("test.token", "cp-missing", at(60)), storage.ErrNotFound},
			"spent":   {spent, storage.ErrTokenSpent},
			"expired": {expired, storage.ErrTokenExpired},
		} {
			t.Run(name, func(t *testing.T) {
				put := newToken("test.verifier", "cp-fail-"+name, at(90))
				_, stored, err := e.ConsumeTokenPut(ctx, c.tok.Kind, c.tok.Hash, put, at(10))
				assert.ErrorIs(t, err, c.want)
				assert.False(t, stored)
				assert.ErrorIs(t, state(put), storage.ErrNotFound, "nothing was put")
			})
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		tok := newToken("test.token", "cp-invalid", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		for name, put := range map[string]storage.Token{
			"bad put":  {Kind: "a kind", Hash: tokenHash("x"), Expires: at(90)},
			"same one": newToken("test.token", "cp-invalid", at(90)),
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.ConsumeTokenPut(ctx, tok.Kind, tok.Hash, put, at(1))
				assert.ErrorIs(t, err, storage.ErrInvalid)
			})
		}
		assert.NoError(t, state(tok), "the token was not consumed")
	})
	t.Run("ConcurrentOneWins", func(t *testing.T) {
		tok := newToken("test.token", "cp-race", at(60))
		require.NoError(t, e.PutToken(ctx, tok, at(0)))
		var won atomic.Int32
		puts := make([]storage.Token, 16)
		var wg sync.WaitGroup
		for i := range puts {
			puts[i] = newToken("test.verifier", fmt.Sprintf("cp-race-%d", i), at(90))
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, stored, err := e.ConsumeTokenPut(ctx, tok.Kind, tok.Hash, puts[i], at(1))
				if err == nil {
					assert.True(t, stored)
					won.Add(1)
					return
				}
				assert.ErrorIs(t, err, storage.ErrTokenSpent)
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), won.Load())
		n := 0
		for _, put := range puts {
			if state(put) == nil {
				n++
			}
		}
		assert.Equal(t, 1, n, "only the winner's token was put")
	})
}
