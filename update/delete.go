package update

import (
	"context"

	"github.com/idupdate/idupdate/storage"
)

// Delete removes a record, its keys and its history. The client needs
// Grant.Delete and the record inside Grant.Subject and Grant.Tenants. Returns Forbidden,
// NotFound, Conflict (Expect) or Malformed.
func (e *Engine) Delete(ctx context.Context, req DeleteRequest) error {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Delete })
	if err != nil {
		return err
	}
	id, g, err := e.locate(ctx, s, g, req.Locator)
	if err != nil {
		return err
	}
	if err := g.owns(id); err != nil {
		return err
	}
	if d, ok := e.store.(storage.ConditionalDeleter); ok {
		return e.deleteIf(ctx, d, s, g, req, id)
	}
	if req.Expect != (Expect{}) || len(g.Tenants) > 0 {
		// This store has no conditional delete: the preconditions and the
		// tenant are checked by an Update that writes nothing, just before
		// the delete. A write that lands between the two is not detected.
		if _, err := e.store.Update(ctx, req.Type, id, func(rec *storage.Record) (*storage.Event, error) {
			if err := g.guard(s, rec); err != nil {
				return nil, err
			}
			return nil, checkExpect(req.Expect, rec)
		}); err != nil {
			return e.storeError(err)
		}
	}
	if err := e.store.Delete(ctx, req.Type, id); err != nil {
		return e.storeError(err)
	}
	return nil
}
