package update

import (
	"fmt"
	"strconv"

	"github.com/idupdate/idupdate/merge"
)

// Mutability inside plural elements.
//
// A rule below a plural's "*" (such as "/members/*/value") may be ReadOnly
// or SetOnce (immutable): the member belongs to its element, and the
// element's identity is the plural's key member (Plural.Key), or, for a
// read-only member of a plural without a key, its position. An immutable
// member needs a plural with a key: without one, a whole plural written
// anew has no element to keep the member's value for. A change
// whose path reaches the member is checked like any other field; a change
// above it (the whole plural written by a Replace or a Merge, an element
// replaced) is checked element by element: an element matched to a stored
// one may not change a read-only member, nor change or drop an immutable
// member it holds; a new element may set an immutable member but not a
// read-only one. Removing a whole element is always allowed.

// elementRule is a ReadOnly or SetOnce rule below a plural's elements.
type elementRule struct {
	r      *rule
	star   int      // index of "*" in r.segs: r.segs[:star] is the plural
	tail   []string // r.segs after the "*"
	plural *rule    // the plural's own rule, if declared
}

// compileElementRules collects the rules with mutability below a
// plural's "*"; a rule with more than one "*" is refused.
func (cs *schema) compileElementRules() error {
	for _, r := range cs.rules {
		if !r.wildcard || (r.f.Mutability != ReadOnly && r.f.Mutability != SetOnce) {
			continue
		}
		star := -1
		for i, s := range r.segs {
			if s != "*" {
				continue
			}
			if star >= 0 {
				return fieldError(cs.name, r.path, fmt.Errorf("readOnly and immutable need at most one \"*\""))
			}
			star = i
		}
		if star == len(r.segs)-1 {
			return fieldError(cs.name, r.path, fmt.Errorf("readOnly and immutable apply to a member of an element, not to the element"))
		}
		er := &elementRule{r: r, star: star, tail: r.segs[star+1:], plural: cs.ruleAt(r.segs[:star])}
		if r.f.Mutability == SetOnce && er.key() == "" {
			return fieldError(cs.name, r.path, fmt.Errorf("immutable below \"*\" needs a plural with a key member (plural.key)"))
		}
		cs.elementRules = append(cs.elementRules, er)
	}
	return nil
}

// checkElements checks change c, at segs, against the element rules: the
// members it writes inside plural elements without naming their path.
func (s *schema) checkElements(c merge.Change, segs []string, f *findings) {
	for _, er := range s.elementRules {
		if len(segs) >= len(er.r.segs) || !prefixOfWild(segs, er.r.segs) {
			continue // the member's own path and below: checkChange's
		}
		switch {
		case len(segs) <= er.star: // at or above the plural
			rel := er.r.segs[len(segs):er.star]
			oldArr, _ := getPath(c.Old, rel)
			newArr, _ := getPath(c.New, rel)
			if c.Op == merge.OpAdd {
				oldArr = nil
			}
			er.checkPlural(pointer(segs)+pointer(rel), oldArr, newArr, f)
		case len(segs) == er.star+1: // one element
			oldEl := c.Old
			if c.Op == merge.OpAdd {
				oldEl = nil
			}
			if c.Op != merge.OpRemove && !er.same(oldEl, c.New) {
				oldEl = nil
			}
			if c.Op != merge.OpRemove {
				er.checkElement(pointer(segs), oldEl, oldEl != nil, c.New, f)
			}
		default: // inside an element, above the member
			rel := er.r.segs[len(segs):]
			ov, had := getPath(c.Old, rel)
			nv, has := getPath(c.New, rel)
			if c.Op == merge.OpAdd {
				had = false
			}
			er.checkMember(pointer(segs)+pointer(rel), ov, had, nv, has, f)
		}
	}
}

// checkPlural matches the new elements to the stored ones by key and
// checks each.
func (er *elementRule) checkPlural(path string, oldArr, newArr any, f *findings) {
	news, _ := newArr.([]any)
	olds, _ := oldArr.([]any)
	for i, el := range news {
		var match any
		switch {
		case er.key() == "" && i < len(olds):
			match = olds[i]
		case er.key() != "":
			for _, o := range olds {
				if er.same(o, el) {
					match = o
					break
				}
			}
		}
		er.checkElement(path+"/"+strconv.Itoa(i), match, match != nil, el, f)
	}
}

// key returns the plural's key member, or "".
func (er *elementRule) key() string {
	if er.plural == nil || er.plural.f.Plural == nil {
		return ""
	}
	return er.plural.f.Plural.Key
}

// same reports whether two elements are one: equal keys, or, for a plural
// without a key, any two elements at one position.
func (er *elementRule) same(a, b any) bool {
	k := er.key()
	if k == "" {
		return a != nil && b != nil
	}
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	ak, ok1 := keyString(am[k])
	bk, ok2 := keyString(bm[k])
	return ok1 && ok2 && ak == bk
}

// checkElement checks the member of one new element against its stored
// counterpart (matched false for a new element).
func (er *elementRule) checkElement(path string, oldEl any, matched bool, newEl any, f *findings) {
	ov, had := getPath(oldEl, er.tail)
	nv, has := getPath(newEl, er.tail)
	if !matched {
		had = false
	}
	er.checkMember(path+pointer(er.tail), ov, had, nv, has, f)
}

// checkMember checks one member's values before and after.
func (er *elementRule) checkMember(path string, ov any, had bool, nv any, has bool, f *findings) {
	if had && ov == nil {
		had = false
	}
	if has && nv == nil {
		has = false
	}
	var fe FieldError
	switch {
	case er.r.f.Mutability == ReadOnly && (had != has || (has && !merge.Equal(ov, nv))):
		fe = FieldError{Path: path, Rule: RuleReadOnly, Message: "is read-only"}
	case er.r.f.Mutability == SetOnce && had && (!has || !merge.Equal(ov, nv)):
		fe = FieldError{Path: path, Rule: RuleImmutable, Message: "cannot be changed once set"}
	default:
		return
	}
	for _, have := range f.fixed {
		if have == fe {
			return // found by the edit and by the change list alike
		}
	}
	f.fixed = append(f.fixed, fe)
}

// prefixOfWild reports whether segs is a prefix of pattern, "*" in
// pattern matching an index.
func prefixOfWild(segs, pattern []string) bool {
	if len(segs) > len(pattern) {
		return false
	}
	for i, s := range segs {
		if s != pattern[i] && !(pattern[i] == "*" && isIndex(s)) {
			return false
		}
	}
	return true
}

// elementEdit is a plural element an operation changed in place: at path,
// its value before and after.
type elementEdit struct {
	path     string
	old, new any
}

// checkEdits checks elements edited in place: each is its own stored
// counterpart, whatever its key member became.
func (s *schema) checkEdits(edits []elementEdit, f *findings) {
	for _, ed := range edits {
		segs, err := merge.ParsePointer(ed.path)
		if err != nil {
			continue
		}
		for _, er := range s.elementRules {
			if len(segs) == er.star+1 && prefixOfWild(segs, er.r.segs) {
				er.checkElement(ed.path, ed.old, true, ed.new, f)
			}
		}
	}
}
