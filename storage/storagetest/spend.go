package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// runSpend checks storage.Spender: a token spent in the transaction of an
// update, the spend standing whatever becomes of the update, and nothing
// changed when the token cannot be spent. A store without it skips.
func runSpend(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	s, ok := st.(storage.Spender)
	if !ok {
		t.Skip("the store does not implement storage.Spender")
	}
	errRefused := errors.New("refused by the caller")
	var n atomic.Int32
	// fixture stores a live token and a record of its own for one case.
	fixture := func(t *testing.T) (storage.Token, storage.Token, *storage.Record) {
		t.Helper()
		i := n.Add(1)
		tok := newToken("test.token", fmt.Sprintf("spend-%d", i), at(60))
		claim := newToken("test.verifier", fmt.Sprintf("spend-%d", i), at(90))
		require.NoError(t, s.PutToken(ctx, tok, at(0)))
		rec := newRecord(fmt.Sprintf("spend-%d", i))
		mustCreate(t, st, rec)
		return tok, claim, mustGet(t, st, rec.ID)
	}
	spend := func(tok, claim storage.Token, check func(*storage.Token, bool) error) storage.Spend {
		return storage.Spend{Kind: tok.Kind, Hash: tok.Hash, Now: at(1), Claim: claim, Check: check}
	}
	// tokenState is what ConsumeToken says of tok now; nil means it was
	// live (and is spent by the look).
	tokenState := func(tok storage.Token) error {
		t.Helper()
		_, err := s.ConsumeToken(ctx, tok.Kind, tok.Hash, at(2))
		return err
	}
	// unchanged checks that rec is stored as it was, history included.
	unchanged := func(t *testing.T, rec *storage.Record) {
		t.Helper()
		assertSameRecord(t, rec, mustGet(t, st, rec.ID))
		h, err := st.History(ctx, rec.Type, rec.ID)
		require.NoError(t, err)
		assert.Len(t, h, int(rec.Version), "no event was added")
	}

	t.Run("OK", func(t *testing.T) {
		tok, claim, rec := fixture(t)
		var seen *storage.Token
		checked := false
		got, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claim, func(t *storage.Token, claimed bool) error {
			seen, checked = t, claimed
			return nil
		}), setDoc(map[string]any{"name": "spent"}, at(1)))
		require.NoError(t, err)
		assert.Equal(t, rec.Version+1, got.Version)
		assert.Equal(t, "spent", mustGet(t, st, rec.ID).Doc["name"])
		require.NotNil(t, seen, "Check saw the token")
		assert.Equal(t, tok.Data, seen.Data)
		assert.True(t, seen.Expires.Equal(tok.Expires))
		assert.True(t, seen.Spent)
		assert.True(t, checked, "the claim was stored")
		assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent)
		assert.NoError(t, tokenState(claim), "the claim is stored, unspent")
	})
	t.Run("WithoutClaim", func(t *testing.T) {
		tok, _, rec := fixture(t)
		got, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, storage.Token{}, nil), setDoc(map[string]any{"name": "plain"}, at(1)))
		require.NoError(t, err)
		assert.Equal(t, rec.Version+1, got.Version)
		assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent)
	})
	t.Run("SpendFails", func(t *testing.T) {
		spent, _, _ := fixture(t)
		expired := newToken("test.token", "spend-expired", at(1))
		require.NoError(t, s.PutToken(ctx, expired, at(0)))
		_, err := s.ConsumeToken(ctx, spent.Kind, spent.Hash, at(1))
		require.NoError(t, err)
		for name, c := range map[string]struct {
			tok  storage.Token
			want error
		}{
			"missing": {newToken("test.token", "spend-missing", at(60)), storage.ErrNotFound},
			"spent":   {spent, storage.ErrTokenSpent},
			"expired": {expired, storage.ErrTokenExpired},
			"bad key": {storage.Token{Kind: "test.token", Hash: []byte("short")}, storage.ErrNotFound},
		} {
			t.Run(name, func(t *testing.T) {
				_, claim, rec := fixture(t)
				called := false
				_, err := s.UpdateSpend(ctx, userType, rec.ID, spend(c.tok, claim, func(*storage.Token, bool) error {
					called = true
					return nil
				}), func(*storage.Record) (*storage.Event, error) {
					called = true
					return nil, nil
				})
				var se *storage.SpendError
				require.True(t, errors.As(err, &se), "error %v is not a *storage.SpendError", err)
				assert.ErrorIs(t, err, c.want)
				assert.False(t, called, "neither Check nor fn ran")
				unchanged(t, rec)
				assert.ErrorIs(t, tokenState(claim), storage.ErrNotFound, "nothing was claimed")
			})
		}
	})
	// Once spent, the token stays spent and the claim stands, whatever
	// the update does; the record is left as it was.
	for name, c := range map[string]struct {
		check func(*storage.Token, bool) error
		fn    func(rec *storage.Record, other string) storage.Updater
		want  func(t *testing.T, err error, other string)
	}{
		"CheckRefuses": {
			check: func(*storage.Token, bool) error { return errRefused },
			fn: func(*storage.Record, string) storage.Updater {
				return func(*storage.Record) (*storage.Event, error) { panic("fn ran after a refusing Check") }
			},
			want: func(t *testing.T, err error, _ string) { assert.ErrorIs(t, err, errRefused) },
		},
		"UpdaterRefuses": {
			fn: func(*storage.Record, string) storage.Updater {
				return func(rec *storage.Record) (*storage.Event, error) {
					rec.Doc = map[string]any{"name": "never"}
					return nil, errRefused
				}
			},
			want: func(t *testing.T, err error, _ string) { assert.ErrorIs(t, err, errRefused) },
		},
		"NotUnique": {
			fn: func(_ *storage.Record, other string) storage.Updater {
				return setKeys(at(1), storage.Key{Name: "/email", Value: other + "@example.com"})
			},
			want: func(t *testing.T, err error, other string) {
				assertNotUnique(t, err, storage.Key{Name: "/email", Value: other + "@example.com"}, other, storage.Active)
			},
		},
		"Invalid": {
			fn: func(*storage.Record, string) storage.Updater {
				return setKeys(at(1), storage.Key{Name: "", Value: "x"})
			},
			want: func(t *testing.T, err error, _ string) { assert.ErrorIs(t, err, storage.ErrInvalid) },
		},
	} {
		t.Run(name, func(t *testing.T) {
			tok, claim, rec := fixture(t)
			other := newRecord(rec.ID+"-holder", storage.Key{Name: "/email", Value: rec.ID + "-holder@example.com"})
			mustCreate(t, st, other)
			_, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claim, c.check), c.fn(rec, other.ID))
			c.want(t, err, other.ID)
			var se *storage.SpendError
			assert.False(t, errors.As(err, &se), "the spend itself succeeded")
			unchanged(t, rec)
			assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent, "the spend stands")
			assert.NoError(t, tokenState(claim), "the claim stands")
			next, err := st.Update(ctx, userType, rec.ID, setDoc(map[string]any{"name": "after"}, at(2)))
			require.NoError(t, err, "the record takes the next update")
			assert.Equal(t, rec.Version+1, next.Version, "from the version it kept")
		})
	}
	t.Run("NothingToWrite", func(t *testing.T) {
		tok, claim, rec := fixture(t)
		got, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claim, nil),
			func(*storage.Record) (*storage.Event, error) { return nil, nil })
		require.NoError(t, err)
		assertSameRecord(t, rec, got)
		unchanged(t, rec)
		assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent)
		assert.NoError(t, tokenState(claim))
	})
	t.Run("RecordMissing", func(t *testing.T) {
		for _, id := range []string{"no-such-record", ""} {
			tok, claim, _ := fixture(t)
			checked := 0
			_, err := s.UpdateSpend(ctx, userType, id, spend(tok, claim, func(*storage.Token, bool) error {
				checked++
				return nil
			}), setDoc(map[string]any{}, at(1)))
			assert.ErrorIs(t, err, storage.ErrNotFound)
			assert.Equal(t, 1, checked, "Check ran on the spent token")
			var se *storage.SpendError
			assert.False(t, errors.As(err, &se), "the record is missing, not the token")
			assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent, "the spend stands")
			assert.NoError(t, tokenState(claim))
		}
	})
	t.Run("ClaimExists", func(t *testing.T) {
		tok, claim, rec := fixture(t)
		require.NoError(t, s.PutToken(ctx, claim, at(0)))
		claimed := true
		_, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claim, func(_ *storage.Token, c bool) error {
			claimed = c
			return nil
		}), setDoc(map[string]any{"name": "claim exists"}, at(1)))
		require.NoError(t, err, "a claim refused is Check's to judge")
		assert.False(t, claimed)
		assert.ErrorIs(t, tokenState(tok), storage.ErrTokenSpent)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		tok, _, rec := fixture(t)
		for name, claim := range map[string]storage.Token{
			"bad claim": {Kind: "a kind", Hash: tokenHash("x"), Expires: at(90)},
			"same one":  tok,
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claim, nil), setDoc(map[string]any{}, at(1)))
				assert.ErrorIs(t, err, storage.ErrInvalid)
			})
		}
		unchanged(t, rec)
		assert.NoError(t, tokenState(tok), "the token was not spent")
	})
	t.Run("ConcurrentOneWins", func(t *testing.T) {
		tok, _, rec := fixture(t)
		var won atomic.Int32
		claims := make([]storage.Token, 16)
		var wg sync.WaitGroup
		for i := range claims {
			claims[i] = newToken("test.verifier", fmt.Sprintf("%s-race-%d", rec.ID, i), at(90))
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateSpend(ctx, userType, rec.ID, spend(tok, claims[i], nil), func(r *storage.Record) (*storage.Event, error) {
					r.Doc = withDoc(r.Doc, "winner", int64(i))
					return &storage.Event{Time: at(1), Kind: "update"}, nil
				})
				if err == nil {
					won.Add(1)
					return
				}
				assert.ErrorIs(t, err, storage.ErrTokenSpent)
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), won.Load())
		assert.Equal(t, rec.Version+1, mustGet(t, st, rec.ID).Version, "one update committed")
		n := 0
		for _, c := range claims {
			if tokenState(c) == nil {
				n++
			}
		}
		assert.Equal(t, 1, n, "only the winner's claim was stored")
	})
}
