package update

import (
	"context"
	"sync"

	"github.com/idupdate/idupdate/storage"
)

// Apply applies one update and returns its normalized result.
//
// The path of a request: check the client's grant, and the input against
// the rules that need no stored state (limits, unknown attributes,
// read-only fields, grants, normalization), and hash secrets; then locate
// the record (by id or unique key); then, inside one store transaction: check the preconditions, apply the
// mode to a copy of the document, validate every change, route confirmable
// fields, recompute unique keys, and commit document, keys, challenges and
// the history event together. Codes are dispatched after the commit.
//
// The client needs Grant.Write, every path it writes (secrets, patch
// targets and removals too) inside Grant.Paths, the record inside
// Grant.Subject (or Request.Subject), and Grant.AssertVerified for Delivery AlreadyVerified.
//
// A request that fails changes nothing: no write, no version bump, no
// event. A request that changes nothing returns Unchanged and writes
// nothing.
//
// Returns NotFound (no record, type, path or plural element), Forbidden,
// Immutable, Invalid, TooLarge, Malformed, Conflict, NotUnique or Internal.
func (e *Engine) Apply(ctx context.Context, req Request) (*Result, error) {
	ctx, span := e.tel.begin(ctx, "apply", req.Type)
	res, err := e.applySpending(ctx, req)
	e.tel.end(ctx, span, "apply", req.Type, res, err)
	return res, err
}

// apply is Apply without its telemetry.
func (e *Engine) apply(ctx context.Context, req Request) (*Result, error) {
	tx := applyTxs.Get().(*applyTx)
	res, err := e.applyWith(ctx, tx, req)
	tx.release()
	return res, err
}

// applyWith is apply with its transaction step taken from the pool.
func (e *Engine) applyWith(ctx context.Context, tx *applyTx, req Request) (*Result, error) {
	s, g, err := e.authorizeFor(req.Type, req.Client, req.Subject, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	if err := checkRequestText("actor, client or subject", req.Actor, req.Client, req.Subject); err != nil {
		return nil, err
	}
	if req.Locator.Key == nil && req.Locator.ID != "" {
		// Refused before the lookup, so a caller limited to one record
		// cannot learn which other ids exist.
		if err := g.owns(req.Locator.ID); err != nil {
			return nil, err
		}
	}
	tx.e, tx.s, tx.req = e, s, req
	p := &tx.p
	if err := e.prepareInto(p, s, g, &tx.req); err != nil {
		return nil, err
	}
	id, g, err := e.locate(ctx, s, g, req.Locator)
	if err != nil {
		return nil, err
	}
	if err := g.owns(id); err != nil {
		return nil, err
	}
	if p.needsSettling() && len(p.invalid) == 0 {
		cur, err := e.store.Get(ctx, req.Type, id)
		if err != nil {
			return nil, e.storeError(err)
		}
		if err := g.guard(s, cur); err != nil {
			return nil, err
		}
		if err := s.settleSecrets(p, cur.Secrets); err != nil {
			return nil, err
		}
	}
	tx.g = g
	var rec *storage.Record
	if req.DryRun {
		rec, err = e.dryRun(ctx, req.Type, id, tx.planFn)
	} else {
		start := e.tel.storeStart(ctx)
		if req.Spend == nil {
			rec, err = e.store.Update(ctx, req.Type, id, tx.commitFn)
		} else {
			// applySpending has refused a store that is no Spender.
			rec, err = e.store.(storage.Spender).UpdateSpend(ctx, req.Type, id, *req.Spend, tx.commitFn)
		}
		e.tel.storeDone(ctx, "update", start, err)
	}
	if err != nil {
		return nil, g.conceal(e.storeError(err))
	}
	if tx.out != nil && tx.out.err != nil {
		return nil, tx.out.err // a wrong reset code: only the attempt was written
	}
	return e.finish(ctx, s, rec, tx.out, &tx.req), nil
}

// applyTx is the part of one Apply that runs inside the store
// transaction, with what its last run decided. One value holds it all,
// the request and its prepared input included, and it is reused from
// applyTxs: nothing an Apply returns or a store keeps points into it
// (every store copies the event it is given, and finish copies out what
// the result needs).
type applyTx struct {
	applyState
	// commitFn and planFn are the bound methods commit and plan, made
	// once per applyTx rather than once per call.
	commitFn, planFn storage.Updater
}

// applyState is what one Apply puts in its applyTx.
type applyState struct {
	e   *Engine
	s   *schema
	g   Grant
	req Request
	p   prepared
	out *outcome
	o   outcome // where plan writes its outcome, saving it an allocation
}

// applyTxs holds applyTx values between Apply calls.
var applyTxs = sync.Pool{New: func() any {
	tx := new(applyTx)
	tx.commitFn, tx.planFn = tx.commit, tx.plan
	return tx
}}

// release clears tx, so it holds on to nothing of its last Apply, and
// returns it to applyTxs.
func (tx *applyTx) release() {
	tx.applyState = applyState{}
	applyTxs.Put(tx)
}

// plan is the updater of a dry run: it plans the change on the record.
func (tx *applyTx) plan(rec *storage.Record) (*storage.Event, error) {
	if err := tx.g.guard(tx.s, rec); err != nil {
		return nil, err
	}
	o, err := tx.e.plan(tx.s, tx.g, &tx.req, &tx.p, rec, &tx.o)
	tx.out = o
	if err != nil {
		return nil, err
	}
	tx.s.stamp(rec, o)
	return o.event, nil
}

// commit is the updater of a real Apply: plan, and the index terms of
// the new document, as Engine.update adds them.
func (tx *applyTx) commit(rec *storage.Record) (*storage.Event, error) {
	ev, err := tx.plan(rec)
	if err == nil && ev != nil {
		tx.s.setTerms(rec)
	}
	return ev, err
}

// dryRun runs fn on a copy of the stored record and commits nothing. Keys
// the change would add are checked against the store, so a dry run
// reports NotUnique like the real thing.
func (e *Engine) dryRun(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	cur, err := e.store.Get(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	cp := *cur
	ev, err := fn(&cp)
	if err != nil || ev == nil {
		return cur, err
	}
	for _, k := range cp.Keys {
		holder, err := e.store.Find(ctx, typ, k)
		if err == nil && holder.ID != id {
			return nil, &storage.NotUniqueError{Key: k, HolderID: holder.ID, HolderState: holder.State}
		}
	}
	cp.Version++
	cp.Updated = ev.Time
	return &cp, nil
}
