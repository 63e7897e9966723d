package update

import (
	"fmt"

	"github.com/idupdate/idupdate/merge"
)

// Confirmable elements of plurals.
//
// A confirmable field may name a member of one element of a plural
// through an element selector: "/emails/[type=work]/value" is the value of
// the first email whose type is "work", "/emails/[primary=true]/value" that
// of the primary one. The selector may test any member (not only the
// plural's key) and compares in key form, as key selectors do. Its Field
// carries Confirm only: the member's own rule ("/emails/*/value") types,
// normalizes and validates it. The challenge's path is the selector path,
// so a held value waits for "the work email" whichever position that
// element takes, and a confirmed one is applied to the element the
// selector names then. An element that loses the selected member value
// (its type changes, or it is removed) counts as removed: the challenge
// closes. Under Hold, a new value for an element that had none leaves the
// element without the member until confirmed.

// addElementConfirm checks and indexes a confirmable rule whose path has
// an element selector.
func (cs *schema) addElementConfirm(r *rule) error {
	f := r.f
	sel := -1
	for i, s := range r.segs {
		switch {
		case s == "*":
			return fmt.Errorf("a path with an element selector cannot also have \"*\"")
		case merge.IsSelector(s) && sel >= 0:
			return fmt.Errorf("a path may have one element selector")
		case merge.IsSelector(s):
			if _, ok := merge.ParseSelector(s); !ok {
				return fmt.Errorf("%q is not an element selector of the form [member=value]", s)
			}
			sel = i
		}
	}
	if sel == len(r.segs)-1 {
		return fmt.Errorf("an element selector must be followed by the member it confirms")
	}
	if pl := cs.ruleAt(r.segs[:sel]); pl == nil || pl.f.Plural == nil {
		return fmt.Errorf("%s is not a plural: only a plural's elements can be selected", pointer(r.segs[:sel]))
	}
	wild := append(append(append([]string(nil), r.segs[:sel]...), "*"), r.segs[sel+1:]...)
	m := cs.ruleAt(wild)
	if m == nil || m.path != pointer(wild) {
		return fmt.Errorf("the selected member needs a rule of its own at %s", pointer(wild))
	}
	only := Field{Confirm: f.Confirm}
	if f.Confirm == nil || !fieldEqual(*f, only) {
		return fmt.Errorf("a path with an element selector takes confirm only; the rule at %s governs the value", pointer(wild))
	}
	c := f.Confirm
	if c.ReservePending {
		return fmt.Errorf("reservePending is not offered for an element of a plural")
	}
	if vs, _ := merge.ParsePointer(c.VerifiedPath); merge.HasSelector(vs) {
		return fmt.Errorf("verifiedPath %q cannot have an element selector", c.VerifiedPath)
	}
	// The member's rule, made confirmable: a request path naming the
	// element by this selector is checked exactly as by index.
	merged := *m.f
	merged.Confirm = c
	r.f, r.selector = &merged, sel
	cs.insert(r)
	cs.confirm = append(cs.confirm, r)
	if vp := c.VerifiedPath; vp != "" {
		cs.verified[vp] = r
	}
	return nil
}

// fieldEqual compares the settings of two fields (pointers by identity).
func fieldEqual(a, b Field) bool {
	return a.Type == b.Type && a.Rules == b.Rules && a.Required == b.Required && a.Unique == b.Unique &&
		a.Mutability == b.Mutability && a.Keep == b.Keep && a.Normalize == b.Normalize && a.Region == b.Region &&
		a.Plural == b.Plural && a.Confirm == b.Confirm && a.Secret == b.Secret && a.Query == b.Query && a.Identifier == b.Identifier
}

// restoreElement is restore for a rule with an element selector: the old
// value goes back into the element the selector names in the new
// document, and the plural's changes are computed again.
func (rt *confirmRouter) restoreElement(r *rule, oldV any, hadOld bool) {
	segs, err := merge.ResolveTokens(rt.doc, r.segs)
	if err != nil {
		return // the element is gone: nothing is held back
	}
	if hadOld {
		rt.doc = mustObject(setPath(rt.doc, segs, oldV))
	} else {
		rt.doc = mustObject(removePath(rt.doc, segs))
	}
	plural := pointer(r.segs[:r.selector])
	base := plural
	kept := rt.changes[:0:0]
	for _, c := range rt.changes {
		switch {
		case under(c.Path, plural):
		case under(plural, c.Path):
			base = c.Path // an ancestor written whole: diff from there
		default:
			kept = append(kept, c)
		}
	}
	bsegs := mustSegs(base)
	ov, hadBase := getPath(rt.rec.Doc, bsegs)
	nv, hasBase := getPath(rt.doc, bsegs)
	switch {
	case !hadBase && hasBase:
		kept = append(kept, merge.Change{Path: base, Op: merge.OpAdd, New: nv})
	case hadBase && !hasBase:
		kept = append(kept, merge.Change{Path: base, Op: merge.OpRemove, Old: ov})
	case hadBase:
		kept = append(kept, merge.Diff(base, ov, nv)...)
	}
	rt.changes = kept
}
