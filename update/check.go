package update

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/idupdate/idupdate/merge"
)

// withInvalid adds the input's failing fields to what the checks on the
// record found: one Invalid listing them all, unless the record checks
// found something graver (Forbidden, TooLarge, Immutable), which wins.
func withInvalid(err error, fields []FieldError) error {
	if len(fields) == 0 {
		return err
	}
	if err == nil {
		return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(append([]FieldError(nil), fields...))}
	}
	e := AsError(err)
	if e.Code != Invalid {
		return err
	}
	all := append(append([]FieldError(nil), fields...), e.Fields...)
	return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(all), Err: e.Err}
}

// checkChanges validates what a change list did to the document: grants,
// mutability, types, rules, limits, required fields and locally unique
// plural members, and the mutability of members of the plural elements
// edited in place. It returns every failing field.
func (e *Engine) checkChanges(s *schema, g Grant, old, doc map[string]any, changes []merge.Change, edits ...elementEdit) error {
	var f findings
	s.checkEdits(edits, &f)
	plurals := map[string]*rule{}
	var buf [8]string // each change's segments in turn; nothing keeps them
	for _, c := range changes {
		segs, err := merge.AppendPointer(buf[:0], c.Path)
		if err != nil {
			return &Error{Code: Internal, Message: "internal error", Err: err}
		}
		if !e.checkChange(s, g, c, segs, &f) {
			continue
		}
		s.checkElements(c, segs, &f)
		for i := len(segs); i >= 0; i-- {
			if r := s.ruleAt(segs[:i]); r != nil && r.f.Plural != nil {
				plurals[r.path] = r
			}
		}
	}
	for path, r := range plurals {
		arr, _ := getPath(doc, r.segs)
		elems, _ := arr.([]any)
		if len(elems) > s.limits.MaxPlural {
			f.limit = append(f.limit, FieldError{Path: path, Rule: RuleLimit, Param: "plural", Message: fmt.Sprintf("has more than %d elements", s.limits.MaxPlural)})
		}
		f.invalid = append(f.invalid, locallyUnique(path, r.f.Plural, elems)...)
	}
	if len(changes) > 0 {
		for _, r := range s.require {
			f.invalid = append(f.invalid, requiredMissing(r, nil, doc)...)
		}
		f.invalid = append(f.invalid, verifiedRemoved(s, old, doc)...)
	}
	return f.err()
}

// findings collects the failing fields of a change list by kind.
type findings struct {
	forbid, fixed, invalid, limit []FieldError
}

// err turns the findings into one error, most fundamental first.
func (f *findings) err() error {
	switch {
	case len(f.forbid) > 0:
		return &Error{Code: Forbidden, Message: "the client may not write these fields", Fields: sortFields(f.forbid)}
	case len(f.limit) > 0:
		return &Error{Code: TooLarge, Message: "the change exceeds a limit", Fields: sortFields(f.limit)}
	case len(f.fixed) > 0:
		msg := "read-only or immutable fields cannot be changed"
		if len(f.fixed) == 1 {
			msg = f.fixed[0].Path + " " + f.fixed[0].Message
		}
		return &Error{Code: Immutable, Message: msg, Fields: sortFields(append(f.fixed, f.invalid...))}
	case len(f.invalid) > 0:
		return &Error{Code: Invalid, Message: "the change has invalid fields", Fields: sortFields(f.invalid)}
	}
	return nil
}

// checkChange checks one change against the grant, the mutability of its
// path and, unless it removes, the rules for its new value. It reports
// false when the change is refused before its value is looked at.
func (e *Engine) checkChange(s *schema, g Grant, c merge.Change, segs []string, f *findings) bool {
	if !g.allows(c.Path) {
		if !g.above(c.Path) || !grantCovers(g, segs, c.Old) || !grantCovers(g, segs, c.New) {
			f.forbid = append(f.forbid, FieldError{Path: c.Path, Rule: RuleGrant, Message: "may not be written by this client"})
			return false
		}
	}
	if gov := s.governing(segs); gov != nil {
		switch gov.f.Mutability {
		case ReadOnly:
			f.fixed = append(f.fixed, FieldError{Path: c.Path, Rule: RuleReadOnly, Message: "is read-only"})
			return false
		case SetOnce:
			if c.Op != merge.OpAdd {
				f.fixed = append(f.fixed, FieldError{Path: c.Path, Rule: RuleImmutable, Message: "cannot be changed once set"})
				return false
			}
		}
	}
	if c.Op != merge.OpRemove {
		f.invalid = e.checkValueAt(s, segs, c.Path, c.New, f.invalid, &f.limit)
	}
	return true
}

// checkValue checks a written value against the rules at its path and
// below it.
func (e *Engine) checkValue(s *schema, segs []string, v any, errs []FieldError, limit *[]FieldError) []FieldError {
	return e.checkValueAt(s, segs, pointer(segs), v, errs, limit)
}

// checkValueAt is checkValue for a caller that has the pointer of segs.
func (e *Engine) checkValueAt(s *schema, segs []string, path string, v any, errs []FieldError, limit *[]FieldError) []FieldError {
	if len(segs) > s.limits.MaxDepth {
		*limit = append(*limit, FieldError{Path: path, Rule: RuleLimit, Param: "depth", Message: fmt.Sprintf("is nested deeper than %d", s.limits.MaxDepth)})
		return errs
	}
	cv := s.lookup(segs)
	if r := cv.rule; r != nil && v != nil {
		if !typeOK(r.f.Type, v) {
			return append(errs, FieldError{Path: path, Rule: RuleType, Param: string(r.f.Type), Message: "must be of type " + string(r.f.Type)})
		}
		errs = append(errs, e.runRules(path, r, v)...)
	}
	if !cv.inner {
		return errs
	}
	switch x := v.(type) {
	case map[string]any:
		for k, mv := range x {
			errs = e.checkValue(s, appendSeg(segs, k), mv, errs, limit)
		}
	case []any:
		for i, ev := range x {
			errs = e.checkValue(s, appendSeg(segs, strconv.Itoa(i)), ev, errs, limit)
		}
	}
	return errs
}

// requiredMissing reports a required rule's missing values in doc. A rule
// below an absent or non-object parent does not apply.
func requiredMissing(r *rule, prefix []string, cur any) []FieldError {
	depth := len(prefix)
	if depth == len(r.segs)-1 {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if v, present := m[r.segs[depth]]; !present || v == nil {
			return []FieldError{{Path: pointer(appendSeg(prefix, r.segs[depth])), Rule: RuleRequired, Message: "is required"}}
		}
		return nil
	}
	seg := r.segs[depth]
	if seg == "*" {
		arr, _ := cur.([]any)
		var out []FieldError
		for i, el := range arr {
			out = append(out, requiredMissing(r, appendSeg(prefix, strconv.Itoa(i)), el)...)
		}
		return out
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[seg]
	if !ok {
		return nil
	}
	return requiredMissing(r, appendSeg(prefix, seg), next)
}

func locallyUnique(path string, pl *Plural, elems []any) []FieldError {
	var out []FieldError
	for _, member := range pl.LocallyUnique {
		seen := make(map[string]int, len(elems))
		for i, el := range elems {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			k, ok := keyString(m[member])
			if !ok {
				continue
			}
			if j, dup := seen[k]; dup {
				out = append(out, FieldError{Path: fmt.Sprintf("%s/%d/%s", path, i, member), Rule: RuleLocal,
					Message: fmt.Sprintf("repeats the value of element %d", j)})
				continue
			}
			seen[k] = i
		}
	}
	return out
}

func sortFields(fs []FieldError) []FieldError {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs
}
