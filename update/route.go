package update

import (
	"encoding/json"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// confirmRouter carries the state of one run through the confirmable
// fields of a record: the document and change list being built, and the
// record's challenges, copied on first write.
type confirmRouter struct {
	engine  *Engine
	schema  *schema
	grant   Grant
	input   *prepared
	rec     *storage.Record
	now     time.Time
	doc     map[string]any
	changes []merge.Change
	pending []verify.Challenge // copy-on-write of rec.Pending
	copied  bool
	issued  []issued
	touched []PendingInfo
	dirty   bool // the pending list changed
}

// route applies the confirm rules to a planned change: Hold takes a
// changed value back out of the document into a challenge, ApplyUnverified
// keeps it and clears the verified flag, AlreadyVerified applies it
// verified. rt.dirty reports whether the pending list changed.
func (rt *confirmRouter) route() error {
	for _, r := range rt.schema.confirm {
		if err := rt.routeRule(r); err != nil {
			return err
		}
	}
	return nil
}

// routeRule applies one confirmable rule to the planned change.
func (rt *confirmRouter) routeRule(r *rule) error {
	oldV, hadOld := getPath(rt.rec.Doc, r.segs)
	newV, hasNew := getPath(rt.doc, r.segs)
	if !hadOld {
		oldV = nil
	}
	if !hasNew {
		newV = nil
	}
	d := rt.deliveryFor(r.path)
	open := rt.openAt(r.path)
	switch {
	case merge.Equal(oldV, newV):
		if !rt.input.touched[r.path] {
			return nil
		}
		return rt.restated(r, newV, open, d)
	case newV == nil: // removed
		if open >= 0 {
			rt.close(open, verify.Superseded)
		}
		rt.markUnverified(r)
		return nil
	case d.kind == AlreadyVerified:
		if err := rt.mayAssert(r); err != nil {
			return err
		}
		if open >= 0 {
			rt.close(open, verify.Superseded)
		}
		rt.markVerified(r)
		return nil
	}
	mode := r.f.Confirm.Mode
	if mode == Hold {
		rt.restore(r, oldV, hadOld)
		if open >= 0 && rt.pending[open].Held && rawEqual(rt.pending[open].Value, newV) {
			// The value waiting already: nothing new, no second code.
			rt.touched = append(rt.touched, pendingInfo(rt.pending[open], "pending"))
			return nil
		}
	} else {
		rt.markUnverified(r)
	}
	return rt.open(r, newV, mode, open, d)
}

// restated handles the established value sent again: a held newer value
// is withdrawn, and an assertion of verification takes effect.
func (rt *confirmRouter) restated(r *rule, v any, open int, d prepDelivery) error {
	if open >= 0 && rt.pending[open].Held {
		rt.close(open, verify.Superseded)
	}
	if d.kind == AlreadyVerified && v != nil && !rt.isVerified(r) {
		if err := rt.mayAssert(r); err != nil {
			return err
		}
		rt.markVerified(r)
	}
	return nil
}

// openCreated starts the challenges of a new record: every confirmable
// value present is unverified and gets a code, unless it is in verified.
func (rt *confirmRouter) openCreated(verified map[string]bool) error {
	for _, r := range rt.schema.confirm {
		v, ok := getPath(rt.doc, r.segs)
		if !ok || v == nil {
			continue
		}
		if verified[r.path] {
			rt.markVerified(r)
			continue
		}
		rt.markUnverified(r)
		// A new record has nothing to hold a value back from.
		if err := rt.open(r, v, ApplyUnverified, -1, rt.deliveryFor(r.path)); err != nil {
			return err
		}
	}
	return nil
}

// mayAssert refuses an assertion of verification from a client whose
// grant does not allow it.
func (rt *confirmRouter) mayAssert(r *rule) error {
	if rt.grant.AssertVerified {
		return nil
	}
	return errAssertVerified(r.path)
}

// isVerified reports whether the rule's verified flag is set in the new
// document (a rule without a flag counts as unverified).
func (rt *confirmRouter) isVerified(r *rule) bool {
	vp := r.f.Confirm.VerifiedPath
	if vp == "" {
		return false
	}
	v, _ := getPath(rt.doc, mustSegs(vp))
	return v == true
}

func (rt *confirmRouter) deliveryFor(path string) prepDelivery {
	if d, ok := rt.input.delivery[path]; ok {
		return d
	}
	return prepDelivery{kind: Send}
}

// openAt returns the index of the challenge kept for path, or -1; only a
// Pending one counts as open.
func (rt *confirmRouter) openAt(path string) int {
	for i, ch := range rt.pending {
		if ch.Path == path && ch.State == verify.Pending {
			return i
		}
	}
	return -1
}

func (rt *confirmRouter) own() {
	if !rt.copied {
		rt.pending = append([]verify.Challenge(nil), rt.pending...)
		rt.copied = true
	}
}

func (rt *confirmRouter) close(i int, s verify.State) {
	rt.own()
	ch := rt.pending[i].Clone()
	ch.Close(s)
	rt.pending[i] = ch
	rt.dirty = true
}

// restore puts the old value back at a held path and drops the changes
// the held value made.
func (rt *confirmRouter) restore(r *rule, oldV any, hadOld bool) {
	if r.selector > 0 {
		rt.restoreElement(r, oldV, hadOld)
		return
	}
	if hadOld {
		rt.doc = mustObject(setPath(rt.doc, r.segs, oldV))
	} else {
		rt.doc = mustObject(removePath(rt.doc, r.segs))
	}
	kept := rt.changes[:0:0]
	for _, c := range rt.changes {
		if !under(c.Path, r.path) {
			kept = append(kept, c)
		}
	}
	rt.changes = kept
}

// markVerified sets the rule's verified flag and records the change.
func (rt *confirmRouter) markVerified(r *rule) { rt.writeVerified(r, true) }

// markUnverified clears the rule's verified flag and records the change.
func (rt *confirmRouter) markUnverified(r *rule) { rt.writeVerified(r, false) }

// writeVerified writes v to the rule's verified flag, if it has one.
func (rt *confirmRouter) writeVerified(r *rule, v bool) {
	vp := r.f.Confirm.VerifiedPath
	if vp == "" {
		return
	}
	segs := mustSegs(vp)
	old, had := getPath(rt.doc, segs)
	if had && old == v {
		return
	}
	doc, ok := setPath(rt.doc, segs, v)
	if !ok {
		return
	}
	rt.doc = doc.(map[string]any)
	c := merge.Change{Path: vp, Op: merge.OpReplace, Old: old, New: v}
	if !had {
		c = merge.Change{Path: vp, Op: merge.OpAdd, New: v}
	}
	rt.changes = append(rt.changes, c)
}

// open starts a challenge for value at r's path, superseding the one at
// index prev, and decides with the limiter whether its code goes out now.
// Under mode Hold the value waits in the challenge instead of the document.
// The send history carries over from the challenge it replaces, so a
// stream of changes cannot dodge the resend limits.
func (rt *confirmRouter) open(r *rule, value any, mode ConfirmMode, prev int, d prepDelivery) error {
	held := mode == Hold
	raw, err := json.Marshal(value)
	if err != nil {
		return &Error{Code: Internal, Message: "internal error", Err: err}
	}
	var sends []time.Time
	if i := rt.keptAt(r.path); i >= 0 {
		sends = rt.pending[i].Sends
	}
	if prev >= 0 {
		rt.close(prev, verify.Superseded)
	}
	ch := verify.Challenge{
		ID: rt.engine.newID(), Path: r.path, Channel: verify.Channel(r.f.Confirm.Channel), Value: raw,
		Created: rt.now, State: verify.Pending, Held: held,
		Sends: r.limiter.Prune(append([]time.Time(nil), sends...), rt.now),
	}
	is, err := rt.engine.issue(&ch, r, d, rt.now)
	if err != nil {
		return err
	}
	is.to = addressOf(value)
	rt.own()
	if i := rt.keptAt(r.path); i >= 0 {
		rt.pending[i] = ch
	} else {
		rt.pending = append(rt.pending, ch)
	}
	is.ch = ch
	rt.issued = append(rt.issued, is)
	rt.dirty = true
	return nil
}

// keptAt returns the index of the challenge kept for path in any state.
func (rt *confirmRouter) keptAt(path string) int {
	for i, ch := range rt.pending {
		if ch.Path == path {
			return i
		}
	}
	return -1
}

// issue gives ch a fresh code if the limiter lets one go out now. A
// throttled challenge gets no code at all (nobody could learn it): it waits
// for a Resend, and a confirm against it is NothingPending.
func (e *Engine) issue(ch *verify.Challenge, r *rule, d prepDelivery, now time.Time) (issued, error) {
	ch.Expires = now.Add(r.code.TTL)
	ch.Attempts = 0
	ch.CodeHash = nil
	dec := r.limiter.Decide(ch.Sends, now)
	if dec != verify.Allowed {
		return issued{delivery: d, decision: dec}, nil
	}
	code, err := verify.NewCode(r.code)
	if err != nil {
		return issued{}, &Error{Code: Internal, Message: "internal error", Err: err}
	}
	ch.CodeHash = e.codes.Hash(ch.ID, code)
	ch.Sends = append(ch.Sends, now)
	return issued{code: code, delivery: d, decision: dec}, nil
}

func addressOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
