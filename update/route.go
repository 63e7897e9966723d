package update

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// routing carries the state of one run through the confirmable fields.
type routing struct {
	e       *Engine
	s       *schema
	g       Grant
	p       *prepared
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
// verified. It reports whether the pending list changed.
func (rt *routing) route() error {
	for _, r := range rt.s.confirm {
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
		if merge.Equal(oldV, newV) {
			if !rt.p.touched[r.path] {
				continue
			}
			// The established value was sent again: a held newer value is
			// withdrawn, and an assertion of verification takes effect.
			if open >= 0 && rt.pending[open].Held {
				rt.close(open, verify.Superseded)
			}
			if d.kind == AlreadyVerified && newV != nil && !rt.isVerified(r) {
				if err := rt.mayAssert(r); err != nil {
					return err
				}
				rt.setVerified(r, true)
			}
			continue
		}
		if newV == nil { // removed
			if open >= 0 {
				rt.close(open, verify.Superseded)
			}
			rt.setVerified(r, false)
			continue
		}
		mode := r.f.Confirm.Mode
		if d.kind == AlreadyVerified {
			if err := rt.mayAssert(r); err != nil {
				return err
			}
			if open >= 0 {
				rt.close(open, verify.Superseded)
			}
			rt.setVerified(r, true)
			continue
		}
		if mode == Hold {
			rt.restore(r, oldV, hadOld)
			if open >= 0 && rt.pending[open].Held && rawEqual(rt.pending[open].Value, newV) {
				// The value waiting already: nothing new, no second code.
				rt.touched = append(rt.touched, pendingInfo(rt.pending[open], "pending"))
				continue
			}
		} else {
			rt.setVerified(r, false)
		}
		if err := rt.open(r, newV, mode == Hold, open, d); err != nil {
			return err
		}
	}
	return nil
}

// mayAssert refuses an assertion of verification from a client whose
// grant does not allow it.
func (rt *routing) mayAssert(r *rule) error {
	if rt.g.AssertVerified {
		return nil
	}
	return &Error{Code: Forbidden, Message: "the client may not assert that a value is verified",
		Fields: []FieldError{{Path: r.path, Rule: RuleGrant, Message: "may not be set as verified by this client"}}}
}

// isVerified reports whether the rule's verified flag is set in the new
// document (a rule without a flag counts as unverified).
func (rt *routing) isVerified(r *rule) bool {
	vp := r.f.Confirm.VerifiedPath
	if vp == "" {
		return false
	}
	v, _ := getPath(rt.doc, mustSegs(vp))
	return v == true
}

func (rt *routing) deliveryFor(path string) prepDelivery {
	if d, ok := rt.p.delivery[path]; ok {
		return d
	}
	return prepDelivery{kind: Send}
}

// openAt returns the index of the challenge kept for path, or -1; only a
// Pending one counts as open.
func (rt *routing) openAt(path string) int {
	for i, ch := range rt.pending {
		if ch.Path == path && ch.State == verify.Pending {
			return i
		}
	}
	return -1
}

func (rt *routing) own() {
	if !rt.copied {
		rt.pending = append([]verify.Challenge(nil), rt.pending...)
		rt.copied = true
	}
}

func (rt *routing) close(i int, s verify.State) {
	rt.own()
	ch := rt.pending[i].Clone()
	ch.Close(s)
	rt.pending[i] = ch
	rt.dirty = true
}

// restore puts the old value back at a held path and drops the changes
// the held value made.
func (rt *routing) restore(r *rule, oldV any, hadOld bool) {
	rt.doc = mustObject(setPath(rt.doc, r.segs, oldV, !hadOld))
	kept := rt.changes[:0:0]
	for _, c := range rt.changes {
		if !under(c.Path, r.path) {
			kept = append(kept, c)
		}
	}
	rt.changes = kept
}

// setVerified writes the rule's verified flag and records the change.
func (rt *routing) setVerified(r *rule, v bool) {
	vp := r.f.Confirm.VerifiedPath
	if vp == "" {
		return
	}
	segs := mustSegs(vp)
	old, had := getPath(rt.doc, segs)
	if had && old == v {
		return
	}
	doc, ok := setPath(rt.doc, segs, v, false)
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
// The send history carries over from the challenge it replaces, so a
// stream of changes cannot dodge the resend limits.
func (rt *routing) open(r *rule, value any, held bool, prev int, d prepDelivery) error {
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
		ID: rt.e.newID(), Path: r.path, Channel: verify.Channel(r.f.Confirm.Channel), Value: raw,
		Created: rt.now, State: verify.Pending, Held: held,
		Sends: r.limiter.Prune(append([]time.Time(nil), sends...), rt.now),
	}
	is, err := rt.e.issue(&ch, r, d, rt.now)
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
func (rt *routing) keptAt(path string) int {
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

func rawEqual(raw json.RawMessage, v any) bool {
	x, err := decodeValue(raw)
	return err == nil && merge.Equal(x, v)
}

func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Code: Internal, Message: "internal error", Err: err}
	}
	return v, nil
}

func mustObject(v any, ok bool) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// pendingInfo describes a challenge for a Result.
func pendingInfo(ch verify.Challenge, throttled string) PendingInfo {
	return PendingInfo{ID: ch.ID, Path: ch.Path, Channel: ch.Channel, State: ch.State, Expires: ch.Expires,
		Held: ch.Held, Throttled: throttled}
}
