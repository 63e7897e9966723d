package merge

import "slices"

// Replace puts value at JSON Pointer at ("" is the root, where value must be
// an object, else ErrInvalid) and returns the new document with the changes,
// which are Diff of the old and new value at at. Every parent of at must
// exist (else ErrPathNotFound); under an object parent the member may be
// absent, under an array parent at must name an existing element.
//
// keep lists absolute JSON Pointers to preserve: each one that exists in doc
// but not in the result is copied from doc into the result, creating
// missing objects on the way (a null on the way is also replaced by an
// object). When a step on the way is an array, the element must exist in the
// result, else that keep entry is skipped because there is nothing to attach
// it to; when a step is a non-null scalar the value sent conflicts with the
// kept one and the error matches ErrInvalid. A malformed keep pointer is
// ErrInvalid. doc and value are never modified; the result shares untouched
// subtrees with both. On error nothing happened.
func Replace(doc any, at string, value any, keep []string) (any, []Change, error) {
	segs, err := ParsePointer(at)
	if err != nil {
		return nil, nil, err
	}
	var out any
	if len(segs) == 0 {
		if _, ok := value.(map[string]any); !ok {
			return nil, nil, newErr(ErrInvalid, at, "the root must be replaced by an object")
		}
		out = value
	} else {
		out, err = setAt(doc, segs, at, value)
		if err != nil {
			return nil, nil, err
		}
	}
	for _, kp := range keep {
		ks, err := ParsePointer(kp)
		if err != nil {
			return nil, nil, err
		}
		ov, ok := getIn(doc, ks)
		if !ok {
			continue
		}
		if _, ok := getIn(out, ks); ok {
			continue
		}
		out, err = putCreating(out, ks, ov, kp)
		if err != nil {
			return nil, nil, err
		}
	}
	oldSub, oldOK := getIn(doc, segs)
	newSub, newOK := getIn(out, segs)
	var changes []Change
	diffInto(&changes, at, oldSub, oldOK, newSub, newOK)
	if len(changes) == 0 {
		return doc, nil, nil
	}
	return out, changes, nil
}

// setAt replaces or adds the member (or replaces the existing element) at
// segs, copying the containers along the way.
func setAt(doc any, segs []string, full string, v any) (any, error) {
	last := segs[len(segs)-1]
	return rebuild(doc, segs[:len(segs)-1], full, func(parent any) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			c := cloneMap(p, 1)
			c[last] = v
			return c, nil
		case []any:
			i, ok := arrayIndex(last)
			if !ok || i >= len(p) {
				return nil, newErr(ErrPathNotFound, full, "array index %q does not exist", last)
			}
			c := slices.Clone(p)
			c[i] = v
			return c, nil
		}
		return nil, newErr(ErrPathNotFound, full, "the parent is not an object or array")
	})
}

// putCreating sets v at segs in doc, creating objects for missing members
// and nulls on the way. doc is the (possibly partly shared) result and is
// copied along the path.
func putCreating(doc any, segs []string, v any, full string) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	s := segs[0]
	switch c := doc.(type) {
	case map[string]any:
		next, ok := c[s]
		if !ok || next == nil {
			next = map[string]any{}
		}
		nv, err := putCreating(next, segs[1:], v, full)
		if err != nil {
			return nil, err
		}
		out := cloneMap(c, 1)
		out[s] = nv
		return out, nil
	case []any:
		i, ok := arrayIndex(s)
		if !ok || i >= len(c) {
			return doc, nil // the element is gone: nothing to keep it in
		}
		nv, err := putCreating(c[i], segs[1:], v, full)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(c)
		out[i] = nv
		return out, nil
	default:
		return nil, newErr(ErrInvalid, full, "cannot keep it: the value sent has a scalar on the way")
	}
}
