package update

import (
	"context"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Cancel withdraws the open challenge at req.Path: a held value is
// dropped (and its reservation freed); an applied-unverified value stays,
// unverified. The client needs Grant.Write, the path inside Grant.Paths and
// the record inside Grant.Subject. Returns NothingPending, NotFound,
// Forbidden or Malformed.
func (e *Engine) Cancel(ctx context.Context, req CancelRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	if err := g.mayWrite(req.Path); err != nil {
		return nil, err
	}
	if err := checkRequestText("actor or client", req.Actor, req.Client); err != nil {
		return nil, err
	}
	id, g, err := e.locate(ctx, s, g, req.Locator)
	if err != nil {
		return nil, err
	}
	if err := g.owns(id); err != nil {
		return nil, err
	}
	var o *outcome
	rec, err := e.update(ctx, s, req.Type, id, func(rec *storage.Record) (*storage.Event, error) {
		if err := g.guard(s, rec); err != nil {
			return nil, err
		}
		now := e.now()
		for i, ch := range rec.Pending {
			if ch.Path != req.Path || ch.State != verify.Pending {
				continue
			}
			pending := append([]verify.Challenge(nil), rec.Pending...)
			c := ch.Clone()
			c.Close(verify.Cancelled)
			pending[i] = c
			keys, err := s.computeKeys(rec.Keys, rec.Doc, pending)
			if err != nil {
				return nil, err
			}
			rec.Pending, rec.Keys = pending, keys
			o = &outcome{touched: []PendingInfo{pendingInfo(c, "")},
				event: &storage.Event{Time: now, Kind: "cancel", Actor: req.Actor, Client: req.Client}}
			s.stamp(rec, o)
			return o.event, nil
		}
		return nil, &Error{Code: NothingPending, Message: "nothing to cancel", Reason: ReasonNone}
	})
	if err != nil {
		return nil, e.storeError(err)
	}
	return e.finish(ctx, s, rec, o, &Request{}), nil
}
