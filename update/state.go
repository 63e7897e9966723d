package update

import (
	"fmt"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// The event kinds of an update that changed the record's state through
// Schema.StateFrom. The event carries the document's changes as an
// "update" event would.
const (
	EventActivate   = "activate"
	EventDeactivate = "deactivate"
)

// RuleState names a change the client may not make because it would
// change the record's state (Schema.StateFrom) and its grant lacks State.
const RuleState = "state"

// compileStateFrom checks Schema.StateFrom: a declared boolean field at a
// concrete path, neither confirmable, secret nor write-only.
func (cs *schema) compileStateFrom() error {
	p := cs.src.StateFrom
	if p == "" {
		return nil
	}
	segs, err := merge.ParsePointer(p)
	if err != nil || p == "" {
		return fmt.Errorf("stateFrom %q is not a JSON Pointer", p)
	}
	r := cs.ruleAt(segs)
	switch {
	case r == nil || r.wildcard || merge.HasSelector(segs):
		return fmt.Errorf("stateFrom %q is not a declared field at a concrete path", p)
	case r.f.Type != TypeBoolean:
		return fmt.Errorf("stateFrom %q must have type boolean", p)
	case r.f.Confirm != nil || r.f.Secret != nil || r.f.Mutability == WriteOnly:
		return fmt.Errorf("stateFrom %q cannot be confirmable, secret or write-only", p)
	}
	cs.stateFrom = r
	return nil
}

// boundState returns the state the bound field of doc names, and whether
// it names one: true is Active, false is Inactive; absent, null or any
// other value names none.
func (s *schema) boundState(doc map[string]any) (storage.RecordState, bool) {
	if s.stateFrom == nil {
		return "", false
	}
	v, _ := getPath(doc, s.stateFrom.segs)
	switch v {
	case true:
		return storage.Active, true
	case false:
		return storage.Inactive, true
	}
	return "", false
}

// nextState returns the record's state after a change from old to doc:
// the bound field's new value decides when it changed and names a state;
// otherwise the state stays. A change of state needs Grant.State.
func (s *schema) nextState(g Grant, cur storage.RecordState, old, doc map[string]any) (storage.RecordState, error) {
	if s.stateFrom == nil {
		return cur, nil
	}
	was, _ := getPath(old, s.stateFrom.segs)
	now, _ := getPath(doc, s.stateFrom.segs)
	if merge.Equal(was, now) {
		return cur, nil
	}
	next, ok := s.boundState(doc)
	if !ok || next == cur {
		return cur, nil
	}
	if !g.State {
		path := s.stateFrom.path
		return cur, &Error{Code: Forbidden, Message: "the client may not change the record's state",
			Fields: []FieldError{{Path: path, Rule: RuleState, Message: fmt.Sprintf("would make the record %s, which this client may not do", next)}}}
	}
	return next, nil
}

// createState returns the state of a new record: the bound field's value
// when it names one, else the requested state (Active when empty). A
// requested state the document contradicts is Malformed.
func (s *schema) createState(requested storage.RecordState, doc map[string]any) (storage.RecordState, error) {
	bound, ok := s.boundState(doc)
	switch {
	case !ok:
		return requested, nil
	case requested != "" && requested != bound:
		return "", Errorf(Malformed, "state %q contradicts %s, which makes the record %s", requested, s.stateFrom.path, bound)
	}
	return bound, nil
}

// stateEvent returns the event kind of an update that moved the record
// from state was to state now.
func stateEvent(was, now storage.RecordState) string {
	switch {
	case was == now:
		return "update"
	case now == storage.Inactive:
		return EventDeactivate
	}
	return EventActivate
}
