package update

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/idupdate/idupdate/merge"
)

// Normalize returns value as the engine would store it at the JSON Pointer
// path of a record of type typ: every string under a field with a
// normalizer or identifier profile rewritten by it (email, phone in E.164
// with the field's default region, ...), and the result checked against the types and rules
// of the fields at and below path. Adapters use it to compare a value a
// client restates with the stored one by the engine's rule.
//
// path may select plural elements by key ("/statuses/[id=5]/status"); the
// rules of the element apply. A path no field covers returns value
// unchanged. A value that does not
// normalize or fails a rule is Invalid, naming the field; a value over the
// schema's limits is TooLarge; an unknown type is NotFound; a path that is
// not a JSON Pointer is Malformed. Normalize reads no record and checks no
// grant.
func (e *Engine) Normalize(typ, path string, value any) (any, error) {
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, err
	}
	segs, err := merge.ParsePointer(path)
	if err != nil {
		return nil, &Error{Code: Malformed, Message: fmt.Sprintf("path %q is not a JSON Pointer", path), Err: err}
	}
	if err := s.checkSelectors(path, segs); err != nil {
		return nil, err
	}
	var f findings
	out, _ := s.normalizeTree(segs, value, &f)
	if len(f.limit) == 0 && len(f.invalid) == 0 {
		f.invalid = e.checkValue(s, segs, out, nil, &f.limit)
	}
	if len(f.limit) > 0 {
		return nil, &Error{Code: TooLarge, Message: fieldsMessage("exceeds a limit", f.limit), Fields: sortFields(f.limit)}
	}
	if len(f.invalid) > 0 {
		return nil, &Error{Code: Invalid, Message: fieldsMessage("is not valid", f.invalid), Fields: sortFields(f.invalid)}
	}
	return out, nil
}

// fieldsMessage names the failing fields in a message: "/email is not
// valid", "/a, /b are not valid".
func fieldsMessage(what string, fields []FieldError) string {
	paths := make([]string, 0, len(fields))
	seen := map[string]bool{}
	for _, fe := range sortFields(fields) {
		if !seen[fe.Path] {
			seen[fe.Path] = true
			paths = append(paths, fe.Path)
		}
	}
	if len(paths) == 1 {
		return paths[0] + " " + what
	}
	return strings.Join(paths, ", ") + " " + strings.Replace(what, "is ", "are ", 1)
}

// normalizeTree rewrites every string in v at segs as the input walk does
// (the normalizer and identifier profile of the rule over it), copying only the containers it changes, and bounds v
// by the schema's limits. changed says the result differs from v.
func (s *schema) normalizeTree(segs []string, v any, f *findings) (out any, changed bool) {
	path := pointer(segs)
	if len(segs) > s.limits.MaxDepth {
		f.limit = append(f.limit, FieldError{Path: path, Rule: RuleLimit, Param: "depth", Message: fmt.Sprintf("is nested deeper than %d", s.limits.MaxDepth)})
		return v, false
	}
	if msg := badMember(segs); msg != "" {
		f.invalid = append(f.invalid, textError(path, msg))
		return v, false
	}
	cv := s.lookup(segs)
	switch x := v.(type) {
	case string:
		if len(x) > s.limits.MaxString {
			f.limit = append(f.limit, FieldError{Path: path, Rule: RuleLimit, Param: "string", Message: fmt.Sprintf("is longer than %d bytes", s.limits.MaxString)})
			return v, false
		}
		if msg := badText(x); msg != "" {
			f.invalid = append(f.invalid, textError(path, msg))
			return v, false
		}
		if cv.rule == nil {
			return v, false
		}
		nv, fe := prepareString(cv.rule.f, x)
		if fe != nil {
			fe.Path = path
			f.invalid = append(f.invalid, *fe)
			return v, false
		}
		if nv == x {
			return v, false
		}
		return nv, true
	case map[string]any:
		if len(x) > s.limits.MaxMembers {
			f.limit = append(f.limit, FieldError{Path: path, Rule: RuleLimit, Param: "members", Message: fmt.Sprintf("has more than %d members", s.limits.MaxMembers)})
			return v, false
		}
		var copied map[string]any
		for k, mv := range x {
			nv, changed := s.normalizeTree(appendSeg(segs, k), mv, f)
			if !changed {
				continue
			}
			if copied == nil {
				copied = make(map[string]any, len(x))
				for k2, v2 := range x {
					copied[k2] = v2
				}
			}
			copied[k] = nv
		}
		if copied != nil {
			return copied, true
		}
	case []any:
		if len(x) > s.limits.MaxPlural {
			f.limit = append(f.limit, FieldError{Path: path, Rule: RuleLimit, Param: "plural", Message: fmt.Sprintf("has more than %d elements", s.limits.MaxPlural)})
			return v, false
		}
		var copied []any
		for i, ev := range x {
			nv, changed := s.normalizeTree(appendSeg(segs, strconv.Itoa(i)), ev, f)
			if !changed {
				continue
			}
			if copied == nil {
				copied = append([]any(nil), x...)
			}
			copied[i] = nv
		}
		if copied != nil {
			return copied, true
		}
	}
	return v, false
}
