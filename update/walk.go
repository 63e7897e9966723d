package update

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/idupdate/idupdate/merge"
)

// inputWalk checks the input of one request against the rules that need
// no stored state, and collects what it finds wrong.
type inputWalk struct {
	schema *schema
	grant  Grant
	input  *prepared
	// plain receives the secrets taken out of the document.
	plain   map[string]SecretValue
	forbid  []FieldError
	limit   []FieldError
	fixed   []FieldError // read-only, set by verification
	invalid []FieldError
}

// walkInput walks input value v at segs. segs is copied into one buffer
// (the prepared input's, while it is large enough) that holds the path
// segments of the value being walked: a walk appends a member's segment
// for its subtree and the next member's segment overwrites it, so the walk
// allocates no path per member, and never writes to the caller's slice.
func (w *inputWalk) walkInput(segs []string, v any) (out any, keep, changed bool) {
	return w.walk(append(w.input.segs[:0], segs...), v)
}

// putPlain takes secret v at path out of the input.
func (w *inputWalk) putPlain(path string, v SecretValue) {
	if w.plain == nil {
		w.plain = map[string]SecretValue{}
	}
	w.plain[path] = v
}

// place is the JSON Pointer of a walked value, its text made on first
// use: most values pass their checks without it.
type place struct {
	segs []string
	text string
}

func (p *place) String() string {
	if p.text == "" && len(p.segs) > 0 {
		p.text = pointer(p.segs)
	}
	return p.text
}

// verifiedKey is the key under which schema.verified would hold path: its
// text, unless no path is verified (then no lookup needs the text).
func (w *inputWalk) verifiedKey(path *place) string {
	if len(w.schema.verified) == 0 {
		return ""
	}
	return path.String()
}

// walk checks one input value at segs and returns it normalized, or
// keep=false when it is to be left out (a dropped unknown attribute or a
// secret taken out into w.plain). changed says the value returned differs
// from v, so the containers above it are copied, never modified.
func (w *inputWalk) walk(segs []string, v any) (out any, keep, changed bool) {
	path := &place{segs: segs}
	if msg := badMember(segs); msg != "" {
		w.invalid = append(w.invalid, textError(path.String(), msg))
		return nil, false, true
	}
	cv := w.schema.lookup(segs)
	if out, keep, changed, done := w.admit(segs, path, cv, v); done {
		return out, keep, changed
	}
	if cv.rule != nil && cv.rule.f.Confirm != nil {
		w.input.touch(path.String())
	}
	switch x := v.(type) {
	case map[string]any:
		return w.walkObject(segs, path, x)
	case []any:
		return w.walkArray(segs, path, x)
	case string:
		return w.walkString(path, cv.rule, v, x)
	}
	return v, true, false
}

// admit runs the checks on a value's place before its content: depth,
// read-only and verified paths, secrets, unknown attributes and the grant.
// done says the walk of v ends here with the values returned.
func (w *inputWalk) admit(segs []string, path *place, cv coverage, v any) (out any, keep, changed, done bool) {
	if len(segs) > w.schema.limits.MaxDepth {
		w.limit = append(w.limit, FieldError{Path: path.String(), Rule: RuleLimit, Param: "depth", Message: fmt.Sprintf("is nested deeper than %d", w.schema.limits.MaxDepth)})
		return v, true, false, true
	}
	gov := cv.rule
	if gov == nil {
		gov = cv.ancestor
	}
	if w.schema.verified[w.verifiedKey(path)] != nil {
		w.fixed = append(w.fixed, FieldError{Path: path.String(), Rule: RuleReadOnly, Message: "is set by verification only"})
		return v, true, false, true
	}
	if gov != nil && gov.f.Mutability == ReadOnly {
		w.fixed = append(w.fixed, FieldError{Path: path.String(), Rule: RuleReadOnly, Message: "is read-only"})
		return v, true, false, true
	}
	if cv.rule != nil && cv.rule.f.Secret != nil {
		s, ok := v.(string)
		if !ok {
			w.invalid = append(w.invalid, FieldError{Path: path.String(), Rule: RuleType, Param: "string", Message: "must be a string"})
			return v, false, true, true
		}
		w.putPlain(path.String(), SecretValue{Plain: s})
		return nil, false, true, true
	}
	if !cv.known() && len(segs) > 0 {
		switch w.schema.src.Unknown {
		case Allow:
		case Drop:
			return nil, false, true, true
		default:
			w.invalid = append(w.invalid, FieldError{Path: path.String(), Rule: RuleUnknown, Message: "is not a known attribute"})
			return nil, false, true, true
		}
	}
	if len(segs) > 0 && len(w.grant.Paths) > 0 && !w.grant.allows(path.String()) && !w.grant.above(path.String()) {
		w.forbid = append(w.forbid, FieldError{Path: path.String(), Rule: RuleGrant, Message: "may not be written by this client"})
		return v, true, false, true
	}
	return nil, false, false, false
}

// walkObject walks an object's members, copying it only if one changed.
func (w *inputWalk) walkObject(segs []string, path *place, x map[string]any) (out any, keep, changed bool) {
	if len(x) > w.schema.limits.MaxMembers {
		w.limit = append(w.limit, FieldError{Path: path.String(), Rule: RuleLimit, Param: "members", Message: fmt.Sprintf("has more than %d members", w.schema.limits.MaxMembers)})
		return x, true, false
	}
	var copied map[string]any
	for k, mv := range x {
		// segs is the walk's buffer (walkInput): the append may write past
		// its length, where nothing else looks.
		nv, keep, changed := w.walk(append(segs, k), mv)
		if !changed {
			continue
		}
		if copied == nil {
			copied = make(map[string]any, len(x))
			for k2, v2 := range x {
				copied[k2] = v2
			}
		}
		if keep {
			copied[k] = nv
		} else {
			delete(copied, k)
		}
	}
	if copied != nil {
		return copied, true, true
	}
	return x, true, false
}

// walkArray walks an array's elements, copying it only if one changed. An
// element cannot be left out: that fails the request.
func (w *inputWalk) walkArray(segs []string, path *place, x []any) (out any, keep, changed bool) {
	if len(x) > w.schema.limits.MaxPlural {
		w.limit = append(w.limit, FieldError{Path: path.String(), Rule: RuleLimit, Param: "plural", Message: fmt.Sprintf("has more than %d elements", w.schema.limits.MaxPlural)})
		return x, true, false
	}
	var copied []any
	for i, ev := range x {
		before := len(w.invalid)
		nv, keep, changed := w.walk(append(segs, strconv.Itoa(i)), ev)
		if !keep && len(w.invalid) == before {
			w.invalid = append(w.invalid, FieldError{Path: path.String() + "/" + strconv.Itoa(i), Rule: RuleUnknown, Message: "cannot be left out of an array"})
		}
		if !keep {
			// The request fails; a null keeps the other elements' places.
			nv, changed = nil, true
		}
		if !changed {
			continue
		}
		if copied == nil {
			copied = append([]any(nil), x...)
		}
		copied[i] = nv
	}
	if copied != nil {
		return copied, true, true
	}
	return x, true, false
}

// walkString bounds a string x, which is v, checks its encoding and
// normalizes it by the rule at its path.
func (w *inputWalk) walkString(path *place, r *rule, v any, x string) (out any, keep, changed bool) {
	if len(x) > w.schema.limits.MaxString {
		w.limit = append(w.limit, FieldError{Path: path.String(), Rule: RuleLimit, Param: "string", Message: fmt.Sprintf("is longer than %d bytes", w.schema.limits.MaxString)})
		return x, true, false
	}
	if !utf8.ValidString(x) {
		w.invalid = append(w.invalid, FieldError{Path: path.String(), Rule: RuleType, Message: "is not valid UTF-8"})
		return nil, false, true
	}
	if msg := badText(x); msg != "" {
		w.invalid = append(w.invalid, textError(path.String(), msg))
		return nil, false, true
	}
	if r == nil {
		return v, true, false
	}
	nv, fe := prepareString(r.f, x)
	if fe != nil {
		fe.Path = path.String()
		w.invalid = append(w.invalid, *fe)
		return nil, false, true
	}
	if nv == x {
		return v, true, false
	}
	return nv, true, true
}

// walkOp checks operation i of a Patch and returns it with its value
// normalized.
func (w *inputWalk) walkOp(i int, op merge.Operation) (merge.Operation, error) {
	for _, p := range []string{op.Path, op.From} {
		if msg := badText(p); msg != "" {
			return op, &Error{Code: Invalid, Message: fmt.Sprintf("operation %d: a path is unfit for storage", i),
				Fields: []FieldError{textError(fmt.Sprintf("/%d", i), "the path "+msg)}}
		}
	}
	segs, err := merge.ParsePointer(op.Path)
	if err != nil {
		return op, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: path %q is not a JSON Pointer", i, op.Path), Err: err}
	}
	if err := w.schema.checkSelectors(op.Path, segs); err != nil {
		return op, err
	}
	switch op.Op {
	case "add", "replace":
		v, keep, _ := w.walkInput(segs, op.Value)
		if !keep {
			return op, &Error{Code: Invalid, Message: fmt.Sprintf("operation %d: secrets and dropped attributes cannot be patched", i),
				Fields: []FieldError{{Path: op.Path, Rule: RuleType, Message: "cannot be written by a patch operation"}}}
		}
		op.Value = v
	case "remove":
		w.walkRemove(segs)
	case "move", "copy":
		from, err := merge.ParsePointer(op.From)
		if err != nil {
			return op, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: from %q is not a JSON Pointer", i, op.From), Err: err}
		}
		if err := w.schema.checkSelectors(op.From, from); err != nil {
			return op, err
		}
		if op.Op == "move" {
			w.walkRemove(from)
		}
		w.walkRemove(segs)
	case "test":
	default:
		return op, Errorf(Malformed, "operation %d: op %q is not add, remove, replace, move, copy or test", i, op.Op)
	}
	return op, nil
}

// walkRemove checks a path an operation removes or overwrites without a value.
func (w *inputWalk) walkRemove(segs []string) {
	path := pointer(segs)
	cv := w.schema.lookup(segs)
	gov := cv.rule
	if gov == nil {
		gov = cv.ancestor
	}
	switch {
	case w.schema.verified[path] != nil:
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is set by verification only"})
	case gov != nil && gov.f.Mutability == ReadOnly:
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is read-only"})
	case gov != nil && gov.f.Secret != nil:
		w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Message: "secrets cannot be patched"})
	case !w.grant.allows(path):
		w.forbid = append(w.forbid, FieldError{Path: path, Rule: RuleGrant, Message: "may not be written by this client"})
	}
	if cv.rule != nil && cv.rule.f.Confirm != nil {
		w.input.touch(path)
	}
}

// err turns what the walk found into one error, most fundamental first.
func (w *inputWalk) err() error {
	switch {
	case len(w.forbid) > 0:
		return &Error{Code: Forbidden, Message: "the client may not write these fields", Fields: sortFields(w.forbid)}
	case len(w.limit) > 0:
		return &Error{Code: TooLarge, Message: "the request exceeds a limit", Fields: sortFields(w.limit)}
	case len(w.fixed) > 0:
		return &Error{Code: Immutable, Message: "read-only fields cannot be written", Fields: sortFields(append(w.fixed, w.invalid...))}
	case len(w.invalid) > 0:
		return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(w.invalid)}
	}
	return nil
}
