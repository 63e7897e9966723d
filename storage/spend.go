package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Spender is implemented by stores that spend a single-use token in the
// transaction of a record's update, so that a call authorized by a token
// costs the store one transaction instead of two. Every backend of this
// module implements it; detect it with a type assertion.
type Spender interface {
	Ephemeral

	// UpdateSpend spends the token sp names, claims sp.Claim with it,
	// runs sp.Check on the spent token and then updates the record as
	// Update(ctx, typ, id, fn) does, in one transaction where the store
	// has transactions.
	//
	// When the token cannot be spent, UpdateSpend returns a *SpendError,
	// fn does not run and nothing changes: no claim, no write, no version
	// bump.
	//
	// Once spent, the token stays spent and the claim stands whatever
	// becomes of the update: when Check or fn fails, fn writes nothing,
	// the record does not exist or its write is refused (ErrNotUnique,
	// ErrInvalid), UpdateSpend returns the error Update would return
	// (Check's and fn's unchanged) and only the record is left as it was.
	// Where a refused write rolls back a transaction, the spend is made
	// again on its own; should the store fail at that moment too, the
	// token may be left unspent, and its claim unmade with it.
	//
	// Of any number of concurrent calls spending one token, from any
	// number of processes, at most one gets past the spend. Returns an
	// error matching ErrInvalid, having changed nothing, when sp fails
	// CheckSpend.
	UpdateSpend(ctx context.Context, typ, id string, sp Spend, fn Updater) (*Record, error)
}

// Spend names a single-use token to spend (Spender.UpdateSpend,
// SpendAlone): the token of Kind and Hash, judged live or expired at Now.
type Spend struct {
	Kind string
	Hash []byte
	Now  time.Time
	// Claim, when its Kind is set, is stored with the spend as
	// Ephemeral.ConsumeTokenPut stores its put, such as the code verifier
	// a token is redeemed with; a live token of its Kind and Hash makes
	// the claim fail and leaves the spend in effect.
	Claim Token
	// Check, when not nil, is called with the spent token and whether
	// the claim was stored, as soon as the token is spent: before the
	// record is judged (missing or not) and before fn, and again
	// whenever a store runs fn again. Its error refuses the update, fn
	// does not run, and the spend stands.
	Check func(t *Token, claimed bool) error
}

// SpendError is the error of a Spend whose token could not be spent;
// nothing was changed. Err matches ErrNotFound (never stored, or purged),
// ErrTokenSpent or ErrTokenExpired.
type SpendError struct {
	Err error
}

func (e *SpendError) Error() string { return "storage: cannot spend the token: " + e.Err.Error() }

// Unwrap returns Err.
func (e *SpendError) Unwrap() error { return e.Err }

// CheckSpend checks a Spend's arguments: a claim must pass CheckTokenPut
// (an error matching ErrInvalid if not), and a Kind and Hash that cannot
// name a stored token (ValidTokenKey) are a *SpendError matching
// ErrNotFound, which a backend answers without asking its tables.
func CheckSpend(sp Spend) error {
	if sp.Claim.Kind != "" {
		if err := CheckTokenPut(sp.Kind, sp.Hash, sp.Claim); err != nil {
			return err
		}
	}
	if !ValidTokenKey(sp.Kind, sp.Hash) {
		return &SpendError{Err: fmt.Errorf("storage: token: %w", ErrNotFound)}
	}
	return nil
}

// SpendAlone spends sp on e by itself, outside any update: ConsumeToken,
// or ConsumeTokenPut with the claim, and then Check. It returns a
// *SpendError when the token cannot be spent and Check's error when Check
// refuses; the spend stands then.
func SpendAlone(ctx context.Context, e Ephemeral, sp Spend) error {
	if err := CheckSpend(sp); err != nil {
		return err
	}
	var (
		t       *Token
		claimed bool
		err     error
	)
	if sp.Claim.Kind == "" {
		t, err = e.ConsumeToken(ctx, sp.Kind, sp.Hash, sp.Now)
	} else {
		t, claimed, err = e.ConsumeTokenPut(ctx, sp.Kind, sp.Hash, sp.Claim, sp.Now)
	}
	if err != nil {
		return AsSpendError(err)
	}
	if sp.Check != nil {
		return sp.Check(t, claimed)
	}
	return nil
}

// AsSpendError returns err as a *SpendError when it says why a token
// could not be spent (ErrNotFound, ErrTokenSpent, ErrTokenExpired), and
// err unchanged otherwise. Backends use it for the errors of their
// consume.
func AsSpendError(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTokenSpent) || errors.Is(err, ErrTokenExpired) {
		return &SpendError{Err: err}
	}
	return err
}

// SpendThenUpdate implements Spender.UpdateSpend for a store whose
// tokens and records share no transaction: SpendAlone, then s.Update. It
// satisfies UpdateSpend's contract because the spend stands whatever
// becomes of the update.
func SpendThenUpdate(ctx context.Context, s interface {
	Ephemeral
	Update(ctx context.Context, typ, id string, fn Updater) (*Record, error)
}, typ, id string, sp Spend, fn Updater) (*Record, error) {
	if err := SpendAlone(ctx, s, sp); err != nil {
		return nil, err
	}
	return s.Update(ctx, typ, id, fn)
}
