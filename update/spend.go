package update

import (
	"context"
	"errors"

	"github.com/idupdate/idupdate/storage"
)

// errNoSpender is the error of a Request.Spend on a store that cannot
// spend tokens.
var errNoSpender = errors.New("update: the store does not spend tokens (storage.Spender)")

// applySpending is apply with req.Spend, when set, spent whatever becomes
// of the request: in the update's own transaction when the request gets
// that far, and by itself when it is refused before (or is a dry run).
// A token that cannot be spent, or whose Check refuses, answers first.
func (e *Engine) applySpending(ctx context.Context, req Request) (*Result, error) {
	if req.Spend == nil {
		return e.apply(ctx, req)
	}
	spender, ok := e.store.(storage.Spender)
	if !ok {
		return nil, e.storeError(errNoSpender)
	}
	sp := *req.Spend
	check := sp.Check
	reached := false // the store spent the token in the update
	sp.Check = func(t *storage.Token, claimed bool) error {
		reached = true
		if check != nil {
			return check(t, claimed)
		}
		return nil
	}
	req.Spend = &sp
	res, err := e.apply(ctx, req)
	if reached || ErrorCode(err) == Unauthorized {
		return res, err
	}
	if serr := storage.SpendAlone(ctx, spender, sp); serr != nil {
		return nil, e.storeError(serr)
	}
	return res, err
}
