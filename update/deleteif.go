package update

import (
	"context"
	"errors"

	"github.com/idupdate/idupdate/storage"
)

// deleteIf deletes through a store that checks and deletes in one step.
// The preconditions are compared (by the engine's rules, SameInstant for
// times) with the record as read, and the store deletes only the version
// read: any write in between bumps the version, so the delete is then a
// Conflict instead of removing a record the caller has not seen. The
// version alone does not name what was read: a record deleted and created
// again in between starts over at version 1, so the creation and update
// times read are required too.
//
// A grant limited to tenants has the record read and its tenant checked
// the same way: the store deletes only the version whose tenant was seen.
func (e *Engine) deleteIf(ctx context.Context, d storage.ConditionalDeleter, s *schema, g Grant, req DeleteRequest, id string) error {
	want := storage.Expect{}
	if req.Expect != (Expect{}) || len(g.Tenants) > 0 {
		rec, err := e.store.Get(ctx, req.Type, id)
		if err != nil {
			return e.storeError(err)
		}
		if err := g.guard(s, rec); err != nil {
			return err
		}
		if err := checkExpect(req.Expect, rec); err != nil {
			return err
		}
		want = storage.Expect{Version: rec.Version, Created: rec.Created, Updated: rec.Updated}
	}
	ev := storage.Event{Time: e.now(), Kind: storage.DeleteKind, Actor: req.Actor, Client: req.Client}
	err := d.DeleteIf(ctx, req.Type, id, want, ev)
	if errors.Is(err, storage.ErrConflict) {
		return &Error{Code: Conflict, Message: "the record changed since it was read", Reason: ReasonVersion, Err: err}
	}
	if err != nil {
		return e.storeError(err)
	}
	return nil
}
