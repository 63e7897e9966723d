package update_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// TestApplySpend checks Request.Spend on every backend: the token is spent
// whatever becomes of the request, a token that cannot be spent answers
// first and changes nothing, and Check's refusal keeps the spend.
func TestApplySpend(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		eph := f.store.(storage.Ephemeral)
		n := 0
		// token stores a live token and returns the spend of it.
		token := func(t *testing.T, check func(*storage.Token, bool) error) storage.Spend {
			t.Helper()
			n++
			h := sha256.Sum256(fmt.Appendf(nil, "token %d", n))
			v := sha256.Sum256(fmt.Appendf(nil, "verifier %d", n))
			now := f.clock.Now()
			require.NoError(t, eph.PutToken(ctx, storage.Token{Kind: "test.token", Hash: h[:], Data: []byte("grant"), Expires: now.Add(time.Minute)}, now))
			return storage.Spend{Kind: "test.token", Hash: h[:], Now: now, Check: check,
				Claim: storage.Token{Kind: "test.verifier", Hash: v[:], Expires: now.Add(time.Minute)}}
		}
		state := func(sp storage.Spend) error {
			_, err := eph.ConsumeToken(ctx, sp.Kind, sp.Hash, sp.Now)
			return err
		}
		good := func() update.Request {
			return update.Request{Mode: update.Merge, Doc: doc(t, `{"givenName":"Matt"}`)}
		}

		t.Run("OK", func(t *testing.T) {
			var data []byte
			sp := token(t, func(tok *storage.Token, claimed bool) error {
				data = tok.Data
				assert.True(t, claimed)
				return nil
			})
			req := good()
			req.Spend = &sp
			res, err := apply(f, req)
			require.NoError(t, err)
			assert.True(t, res.Modified)
			assert.Equal(t, []byte("grant"), data, "Check saw the token")
			assert.ErrorIs(t, state(sp), storage.ErrTokenSpent)
			assert.NoError(t, state(storage.Spend{Kind: sp.Claim.Kind, Hash: sp.Claim.Hash, Now: sp.Now}), "the claim was stored")
		})
		t.Run("Unauthorized", func(t *testing.T) {
			spent := token(t, nil)
			require.NoError(t, state(spent))
			expired := token(t, nil)
			expired.Now = expired.Now.Add(time.Minute)
			unknown := storage.Spend{Kind: "test.token", Hash: make([]byte, 32), Now: f.clock.Now()}
			for name, c := range map[string]struct {
				sp     storage.Spend
				reason string
			}{
				"spent":   {spent, update.ReasonTokenSpent},
				"expired": {expired, update.ReasonTokenExpired},
				"unknown": {unknown, update.ReasonTokenUnknown},
			} {
				for what, req := range map[string]update.Request{
					"good":                     good(),
					"refused before the store": {Mode: update.Merge, Doc: doc(t, `{"nope":1}`)},
					"refused in the store":     {Mode: update.Merge, Doc: doc(t, `{"familyName":""}`)},
					"missing record":           {Mode: update.Merge, Doc: doc(t, `{"givenName":"X"}`), Locator: update.ByID("nobody")},
					"forbidden":                {Mode: update.Merge, Doc: doc(t, `{"givenName":"X"}`), Client: "reader"},
				} {
					t.Run(name+"/"+what, func(t *testing.T) {
						snap := f.snapshot(t, "u1")
						sp := c.sp
						sp.Check = func(*storage.Token, bool) error { panic("Check ran for a token that was not spent") }
						req.Spend = &sp
						_, err := apply(f, req)
						assert.Equal(t, update.Unauthorized, update.ErrorCode(err), "%v", err)
						var ue *update.Error
						require.True(t, errors.As(err, &ue))
						assert.Equal(t, c.reason, ue.Reason)
						var se *storage.SpendError
						assert.True(t, errors.As(err, &se))
						assert.Equal(t, snap, f.snapshot(t, "u1"))
					})
				}
			}
		})
		// A request refused with a good token: the refusal answers and the
		// token is spent, wherever the refusal came from.
		for what, c := range map[string]struct {
			req  update.Request
			code update.Code
		}{
			"before the store": {update.Request{Mode: update.Merge, Doc: doc(t, `{"nope":1}`)}, update.Invalid},
			"by the grant":     {update.Request{Mode: update.Merge, Doc: doc(t, `{"givenName":"X"}`), Client: "reader"}, update.Forbidden},
			"in the store":     {update.Request{Mode: update.Merge, Doc: doc(t, `{"familyName":""}`)}, update.Invalid},
			"missing record":   {update.Request{Mode: update.Merge, Doc: doc(t, `{"givenName":"X"}`), Locator: update.ByID("nobody")}, update.NotFound},
			"dry run":          {update.Request{Mode: update.Merge, Doc: doc(t, `{"givenName":"Dry"}`), DryRun: true}, ""},
		} {
			t.Run("Refused "+what, func(t *testing.T) {
				snap := f.snapshot(t, "u1")
				checked := 0
				sp := token(t, func(*storage.Token, bool) error { checked++; return nil })
				req := c.req
				req.Spend = &sp
				_, err := apply(f, req)
				assert.Equal(t, c.code, update.ErrorCode(err), "%v", err)
				assert.Equal(t, snap, f.snapshot(t, "u1"))
				assert.Equal(t, 1, checked, "Check ran once")
				assert.ErrorIs(t, state(sp), storage.ErrTokenSpent, "the spend stands")
			})
		}
		t.Run("CheckRefuses", func(t *testing.T) {
			snap := f.snapshot(t, "u1")
			refusal := &update.Error{Code: update.Forbidden, Message: "not this token"}
			sp := token(t, func(*storage.Token, bool) error { return refusal })
			req := good()
			req.Spend = &sp
			_, err := apply(f, req)
			assert.Same(t, refusal, err)
			assert.Equal(t, snap, f.snapshot(t, "u1"))
			assert.ErrorIs(t, state(sp), storage.ErrTokenSpent)
		})
		t.Run("StoreCannotSpend", func(t *testing.T) {
			g := newFixture(t, struct{ storage.Store }{open(t)}, nil)
			sp := token(t, nil)
			_, err := g.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app", Mode: update.Merge,
				Doc: doc(t, `{"givenName":"X"}`), Spend: &sp})
			assert.Equal(t, update.Internal, update.ErrorCode(err))
			assert.NoError(t, state(sp), "the token was not spent")
		})
	})
}
