package update

import (
	"context"
	"errors"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// maxCodeLen bounds a code before it is hashed or compared.
const maxCodeLen = 128

// Confirm checks a verification code. The right code, in time, confirms
// the challenge in one store update: a held value is applied (after its
// uniqueness is checked again), the verified flag is set, the challenge is
// closed, the version bumps and an event is written. A wrong code is
// counted and persisted (the version bumps too: the attempt is part of the
// record's history), and the challenge locks at the attempt limit.
//
// The client needs Grant.Write, the record inside Grant.Subject and the
// challenge's path inside Grant.Paths: confirming applies a value like a
// write does.
//
// A call past a quota (WithQuotas) is Throttled and counts no attempt.
//
// Returns Throttled, CodeMismatch, Expired, Locked, NothingPending (Reason "confirmed"
// when the challenge was already confirmed), NotUnique, NotFound,
// Forbidden or Malformed.
func (e *Engine) Confirm(ctx context.Context, req ConfirmRequest) (*Result, error) {
	ctx, span := e.tel.begin(ctx, "confirm", req.Type)
	res, err := e.confirmCall(ctx, req)
	e.tel.end(ctx, span, "confirm", req.Type, res, err)
	return res, err
}

// confirmCall is Confirm without its telemetry.
func (e *Engine) confirmCall(ctx context.Context, req ConfirmRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	if err := checkRequestText("actor or client", req.Actor, req.Client); err != nil {
		return nil, err
	}
	if req.Code == "" || len(req.Code) > maxCodeLen {
		return nil, Errorf(Malformed, "the code is empty or too long")
	}
	if req.Path != "" {
		if err := g.mayWrite(req.Path); err != nil {
			return nil, err
		}
	}
	call := ownedCall{action: "confirm", perClient: e.quotas.ConfirmPerClient, perSubject: e.quotas.ConfirmPerSubject,
		typ: req.Type, client: req.Client, loc: req.Locator}
	rec, o, err := e.updateOwned(ctx, s, g, call, func(rec *storage.Record) (*outcome, error) {
		return e.confirm(s, g, &req, rec)
	})
	if err != nil {
		return nil, err
	}
	if o.err != nil {
		return nil, o.err
	}
	return e.finish(ctx, s, rec, o, &Request{}), nil
}

// confirm runs inside the store transaction: it checks the code against
// the open challenges the request names (all those the grant may write,
// without a path).
func (e *Engine) confirm(s *schema, g Grant, req *ConfirmRequest, rec *storage.Record) (*outcome, error) {
	now := e.now()
	var candidates []int
	outside := ""
	for i, ch := range rec.Pending {
		switch {
		case req.Path != "" && ch.Path != req.Path:
		case s.resetRule(ch.Path) != nil:
			// A reset code is used by the secret's update, never confirmed.
		case !g.allows(ch.Path):
			outside = ch.Path
		default:
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 && outside != "" {
		return nil, g.mayWrite(outside)
	}
	open := candidates[:0:0]
	for _, i := range candidates {
		if rec.Pending[i].State == verify.Pending {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return nil, closedError(rec.Pending, candidates)
	}
	pending := append([]verify.Challenge(nil), rec.Pending...)
	// With several open challenges (no path given) the code picks one;
	// when it matches none, each counts a wrong attempt.
	pick := -1
	for _, i := range open {
		r := s.ruleAt(mustSegs(pending[i].Path))
		if r != nil && e.codes.Match(&pending[i], verify.Normalize(req.Code, r.code)) {
			pick = i
			break
		}
	}
	tries := open
	if pick >= 0 {
		tries = []int{pick}
	}
	var failure error
	counted := false
	for _, i := range tries {
		r := s.ruleAt(mustSegs(pending[i].Path))
		if r == nil {
			return nil, Errorf(Internal, "internal error")
		}
		ch := pending[i].Clone()
		err := ch.Check(e.codes, verify.Normalize(req.Code, r.code), now, r.attempts)
		pending[i] = ch
		if err != nil {
			if failure == nil || !errors.Is(err, verify.ErrNoCode) {
				failure = checkError(err)
			}
			counted = counted || !errors.Is(err, verify.ErrNoCode)
			continue
		}
		return e.confirmed(s, req.Actor, req.Client, rec, pending, i, r, now)
	}
	if !counted {
		return &outcome{err: failure}, nil // no code was ever issued: nothing to count
	}
	// Persist the counted attempt (or the expiry) and report the failure.
	rec.Pending = pending
	ev := &storage.Event{Time: now, Kind: "verify_failed", Actor: req.Actor, Client: req.Client}
	return &outcome{event: ev, err: failure}, nil
}

// confirmed applies a confirmed challenge to the record.
func (e *Engine) confirmed(s *schema, actor, client string, rec *storage.Record, pending []verify.Challenge, i int, r *rule, now time.Time) (*outcome, error) {
	ch := pending[i]
	v, err := decodeValue(ch.Value)
	if err != nil {
		return nil, err
	}
	rt := &confirmRouter{engine: e, schema: s, rec: rec, now: now, doc: rec.Doc, pending: pending, copied: true}
	if ch.Held {
		segs, err := merge.ResolveTokens(rec.Doc, r.segs)
		if err != nil {
			// The selected element is gone since the value was held.
			return nil, &Error{Code: NothingPending, Message: "the element to verify no longer exists", Reason: ReasonChanged}
		}
		path := pointer(segs)
		old, had := getPath(rec.Doc, segs)
		rt.doc = mustObject(setPath(rec.Doc, segs, v))
		c := merge.Change{Path: path, Op: merge.OpAdd, New: v}
		if had {
			c = merge.Change{Path: path, Op: merge.OpReplace, Old: old, New: v}
		}
		rt.changes = append(rt.changes, c)
	} else if cur, _ := getPath(rec.Doc, r.segs); !merge.Equal(cur, v) {
		// The value changed since the code went out, without superseding
		// the challenge (a direct store edit): the code no longer proves it.
		return nil, &Error{Code: NothingPending, Message: "the value to verify has changed", Reason: ReasonChanged}
	}
	rt.markVerified(r)
	keys, err := s.computeKeys(rec.Keys, rt.doc, pending)
	if err != nil {
		return nil, err
	}
	rec.Doc, rec.Pending, rec.Keys = rt.doc, pending, keys
	changes := s.redact(toStorage(rt.changes))
	ev := &storage.Event{Time: now, Kind: "confirm", Actor: actor, Client: client, Changes: changes}
	return &outcome{event: ev, changes: changes, touched: []PendingInfo{pendingInfo(ch, "")}}, nil
}

func checkError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verify.ErrMismatch):
		return &Error{Code: CodeMismatch, Message: "the code does not match", Err: err}
	case errors.Is(err, verify.ErrExpired):
		return &Error{Code: Expired, Message: "the code has expired", Err: err}
	case errors.Is(err, verify.ErrLocked):
		return &Error{Code: Locked, Message: "too many wrong codes; request a new change", Err: err}
	case errors.Is(err, verify.ErrNoCode):
		return &Error{Code: NothingPending, Message: "no code has been sent yet; ask for one", Reason: ReasonNoCode, Err: err}
	case errors.Is(err, verify.ErrUsed):
		return &Error{Code: NothingPending, Message: "the code has already been used", Reason: ReasonConfirmed, Err: err}
	}
	return &Error{Code: NothingPending, Message: "nothing to verify", Reason: ReasonNone, Err: err}
}

// closedError explains why no challenge is open.
func closedError(all []verify.Challenge, idx []int) error {
	for _, i := range idx {
		switch all[i].State {
		case verify.Locked:
			return &Error{Code: Locked, Message: "too many wrong codes; request a new change"}
		case verify.Expired:
			return &Error{Code: Expired, Message: "the code has expired"}
		}
	}
	for _, i := range idx {
		if all[i].State == verify.Confirmed {
			return &Error{Code: NothingPending, Message: "the code has already been used", Reason: ReasonConfirmed}
		}
	}
	return &Error{Code: NothingPending, Message: "nothing to verify", Reason: ReasonNone}
}
