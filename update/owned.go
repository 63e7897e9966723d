package update

import (
	"context"

	"github.com/idupdate/idupdate/storage"
)

// ownedCall describes a call that changes one located record on behalf of
// a client outside Apply: Confirm, Resend and Reset.
type ownedCall struct {
	action                string // the quota's action name: "confirm" or "resend"
	perClient, perSubject storage.Quota
	typ, client           string
	loc                   Locator
}

// updateOwned is the path those calls share: locate the record, refuse it
// if it lies outside the grant's Subject or tenants, count the call against its
// quotas, then run step inside one Store.Update (timed for telemetry).
// step returns the outcome whose event is committed; a nil event commits
// nothing. The store's error comes back as the engine's.
func (e *Engine) updateOwned(ctx context.Context, s *schema, g Grant, c ownedCall, step func(*storage.Record) (*outcome, error)) (*storage.Record, *outcome, error) {
	id, g, err := e.locate(ctx, s, g, c.loc)
	if err != nil {
		return nil, nil, err
	}
	if err := g.owns(id); err != nil {
		return nil, nil, err
	}
	// Before the quota: a call on another tenant's record must not spend
	// that record's quota.
	if err := e.visible(ctx, s, g, id); err != nil {
		return nil, nil, err
	}
	if err := e.takeQuota(ctx, c.action, c.perClient, c.perSubject, c.typ, c.client, id); err != nil {
		return nil, nil, err
	}
	var o *outcome
	start := e.tel.storeStart(ctx)
	rec, err := e.update(ctx, s, c.typ, id, func(rec *storage.Record) (*storage.Event, error) {
		if err := g.guard(s, rec); err != nil {
			return nil, err
		}
		var err error
		if o, err = step(rec); err != nil {
			return nil, err
		}
		s.stamp(rec, o)
		return o.event, nil
	})
	e.tel.storeDone(ctx, "update", start, err)
	if err != nil {
		return nil, nil, g.conceal(e.storeError(err))
	}
	return rec, o, nil
}
