package update

import (
	"context"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Resend issues a new code for the challenge at req.Path; the old code
// stops working. An expired challenge can be revived this way; a locked one
// cannot (Locked). The limiter applies: a refused resend is Throttled with
// Reason "cooldown" or "window" and writes nothing.
//
// The client needs Grant.Write, the path inside Grant.Paths and the record
// inside Grant.Subject. Delivery may be Send or ReturnCode; AlreadyVerified
// is Forbidden without Grant.AssertVerified and Malformed with it (a
// verified value is asserted by an update, not a resend).
//
// Returns Throttled, Locked, NothingPending, NotFound, Forbidden or Malformed.
func (e *Engine) Resend(ctx context.Context, req ResendRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	if err := checkRequestText("actor or client", req.Actor, req.Client); err != nil {
		return nil, err
	}
	r := s.ruleAt(mustSegs(req.Path))
	if r == nil || r.f.Confirm == nil {
		return nil, &Error{Code: Malformed, Message: req.Path + " is not a confirmable field",
			Fields: []FieldError{{Path: req.Path, Rule: RuleUnknown, Message: "is not a confirmable field"}}}
	}
	if err := g.mayWrite(req.Path); err != nil {
		return nil, err
	}
	if req.Delivery.Kind == AlreadyVerified {
		// A resend issues a code; asserting verification is an update.
		if !g.AssertVerified {
			return nil, errAssertVerified(req.Path)
		}
		return nil, &Error{Code: Malformed, Message: "a resend sends a code; assert a verified value with an update",
			Fields: []FieldError{{Path: req.Path, Rule: RuleType, Message: "delivery verified is not a resend"}}}
	}
	p := &prepared{}
	if err := e.prepareDelivery(s, g, map[string]Delivery{req.Path: req.Delivery}, p); err != nil {
		return nil, err
	}
	d := p.delivery[req.Path]
	call := ownedCall{action: "resend", perClient: e.quotas.ResendPerClient, perSubject: e.quotas.ResendPerSubject,
		typ: req.Type, client: req.Client, loc: req.Locator}
	rec, o, err := e.updateOwned(ctx, s, g, call, func(rec *storage.Record) (*outcome, error) {
		return e.resend(r, d, &req, rec)
	})
	if err != nil {
		return nil, err
	}
	return e.finish(ctx, s, rec, o, &Request{}), nil
}

// resend runs inside the store transaction: it gives the challenge at
// req.Path a new code, if its state and the limiter allow one.
func (e *Engine) resend(r *rule, d prepDelivery, req *ResendRequest, rec *storage.Record) (*outcome, error) {
	now := e.now()
	i := -1
	for j, ch := range rec.Pending {
		if ch.Path == req.Path {
			i = j
		}
	}
	if i < 0 {
		return nil, &Error{Code: NothingPending, Message: "nothing to verify", Reason: ReasonNone}
	}
	switch rec.Pending[i].State {
	case verify.Pending, verify.Expired:
	case verify.Locked:
		return nil, &Error{Code: Locked, Message: "too many wrong codes; request a new change"}
	case verify.Confirmed:
		return nil, &Error{Code: NothingPending, Message: "the value is already verified", Reason: ReasonConfirmed}
	default:
		return nil, &Error{Code: NothingPending, Message: "nothing to verify", Reason: ReasonNone}
	}
	ch := rec.Pending[i].Clone()
	ch.Sends = r.limiter.Prune(ch.Sends, now)
	if dec := r.limiter.Decide(ch.Sends, now); dec != verify.Allowed {
		return nil, &Error{Code: Throttled, Message: throttleMessage(dec), Reason: string(dec)} // ReasonCooldown or ReasonWindow
	}
	ch.State = verify.Pending
	is, err := e.issue(&ch, r, d, now)
	if err != nil {
		return nil, err
	}
	v, err := decodeValue(ch.Value)
	if err != nil {
		return nil, err
	}
	is.to = addressOf(v)
	is.ch = ch
	pending := append([]verify.Challenge(nil), rec.Pending...)
	pending[i] = ch
	rec.Pending = pending
	return &outcome{issued: []issued{is},
		event: &storage.Event{Time: now, Kind: "resend", Actor: req.Actor, Client: req.Client}}, nil
}

func throttleMessage(d verify.Decision) string {
	if d == verify.WindowLimit {
		return "the limit of codes for this period is reached"
	}
	return "a code was sent moments ago; wait before asking again"
}
