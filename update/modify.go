package update

import (
	"fmt"
	"slices"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// Modification is one operation of a Modify request: the attribute
// modification of SCIM PATCH (RFC 7644 section 3.5.2) in engine terms.
// merge.Modify states what each operation does.
//
// Where selects elements of the plural at Path by a filter whose paths
// are relative to the element (as inside storage.Any); the engine folds
// case and normalizes values from the policy, as List does, and the
// plural's element fields must be Queryable. The filter is evaluated
// inside the store transaction against the document the operations before
// it left, so no caller reads first. Sub then names the member of each
// selected element the operation acts on ("" the element itself).
//
// The request is all or nothing: any failing operation fails it and
// nothing changes. A replace or add whose filter matches no element is
// NotFound with Reason ReasonNoTarget; so is a remove without a path.
type Modification struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Where *storage.Filter `json:"where,omitempty"`
	Sub   string          `json:"sub,omitempty"`
	Value any             `json:"value,omitempty"`
}

// prepareMods checks the modifications of a Modify as a Patch's
// operations are checked: each written value against the rules at its
// place (an element selected by Where stands as any element), each
// removed path against read-only rules and the grant.
func (w *inputWalk) prepareMods(req *Request) error {
	if req.Doc != nil || req.Ops != nil {
		return Errorf(Malformed, "mode modify takes modifications only")
	}
	if len(req.Mods) > w.schema.limits.MaxMembers {
		return Errorf(TooLarge, "more than %d operations", w.schema.limits.MaxMembers)
	}
	w.input.mods = make([]merge.Modification, 0, len(req.Mods))
	for i, m := range req.Mods {
		mm, keep, err := w.walkMod(i, m)
		if err != nil {
			return err
		}
		if keep {
			w.input.mods = append(w.input.mods, mm)
		}
	}
	return nil
}

// walkMod checks modification i; keep is false for one that only writes
// a secret (taken into w.plain).
func (w *inputWalk) walkMod(i int, m Modification) (merge.Modification, bool, error) {
	out := merge.Modification{Op: m.Op, Path: m.Path, Sub: m.Sub}
	if msg := badText(m.Path + m.Sub); msg != "" {
		return out, false, &Error{Code: Invalid, Message: fmt.Sprintf("operation %d: a path is unfit for storage", i),
			Fields: []FieldError{textError(fmt.Sprintf("/%d", i), "the path "+msg)}}
	}
	segs, err := merge.ParsePointer(m.Path)
	if err != nil || slices.ContainsFunc(segs, merge.IsSelector) {
		return out, false, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: path %q is not a JSON Pointer of members", i, m.Path), Err: err}
	}
	if !slices.Contains([]string{"add", "replace", "remove"}, m.Op) {
		return out, false, Errorf(Malformed, "operation %d: op %q is not add, replace or remove", i, m.Op)
	}
	target := segs
	if m.Where != nil {
		if len(segs) == 0 {
			return out, false, Errorf(Malformed, "operation %d: a filter needs a path", i)
		}
		r := w.schema.ruleAt(segs)
		if r == nil || (r.f.Plural == nil && r.f.Type != TypeArray) {
			return out, false, refuse(m.Path, "no plural attribute that can be filtered")
		}
		if err := m.Where.Validate(); err != nil {
			return out, false, queryError(err)
		}
		f, err := w.schema.queryTerm(m.Where, append(slices.Clone(segs), "*"), "", false)
		if err != nil {
			return out, false, err
		}
		out.Match = f.MatchValue
		target = append(slices.Clone(segs), "0") // any element: rules are per plural
		if m.Sub != "" {
			target = append(target, m.Sub)
		}
	} else if m.Sub != "" {
		return out, false, Errorf(Malformed, "operation %d: sub needs a filter", i)
	}
	if m.Op == "remove" {
		if len(segs) > 0 {
			w.walkRemove(target)
		}
		return out, true, nil
	}
	v, keep, _ := w.walkInput(target, m.Value)
	if !keep {
		if _, secret := w.plain[pointer(target)]; secret && m.Where == nil {
			return out, false, nil
		}
		return out, false, &Error{Code: Invalid, Message: fmt.Sprintf("operation %d: the value cannot be written", i),
			Fields: []FieldError{{Path: pointer(target), Rule: RuleType, Message: "cannot be written by a modification"}}}
	}
	out.Value = v
	return out, true, nil
}

// primaryMember returns the Plural.Primary of the plural at path.
func (s *schema) primaryMember(path string) string {
	segs, err := merge.ParsePointer(path)
	if err != nil {
		return ""
	}
	r := s.ruleAt(segs)
	if r == nil || r.f.Plural == nil {
		return ""
	}
	return r.f.Plural.Primary
}
