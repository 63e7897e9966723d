package merge

import (
	"strings"
)

// Patch applies RFC 6902 JSON Patch operations to doc, in order, all or
// nothing: on any error the result and changes are nil and doc is as it
// was. The changes are Diff("", doc, result).
//
// Errors: a failing "test" matches ErrTestFailed, including a test of a
// member or element that does not exist in an existing parent (even against
// null: absent is not null); a path or "from" that does not exist, a parent
// that does not exist (also for "test"), an array index out of range, or a
// step into a scalar matches ErrPathNotFound; an unknown op,
// a malformed pointer, removing the root, or moving a value into its own
// child matches ErrInvalid. Array indices follow RFC 6901 strictly ("0" or
// digits without a leading zero; "-" only as the target of "add", "move"
// and "copy"). Operation.Value is used as given (nil is JSON null); values
// inserted by "add", "replace" and "copy" are shared, not copied. doc and
// the operations are never modified; the result shares untouched subtrees
// with doc.
func Patch(doc any, ops []Operation) (any, []Change, error) {
	return patch(doc, ops, plainPointers)
}

func patch(doc any, ops []Operation, sel selectors) (any, []Change, error) {
	cur := doc
	for i, op := range ops {
		if sel == resolveSelectors {
			var err error
			if op, err = resolveOp(cur, op); err != nil {
				return nil, nil, patchOpError(err, i, op)
			}
		}
		next, err := applyOp(cur, op)
		if err != nil {
			return nil, nil, patchOpError(err, i, op)
		}
		cur = next
	}
	changes := Diff("", doc, cur)
	if len(changes) == 0 {
		return doc, nil, nil
	}
	return cur, changes, nil
}

func applyOp(doc any, op Operation) (any, error) {
	path, err := ParsePointer(op.Path)
	if err != nil {
		return nil, err
	}
	switch op.Op {
	case "add":
		return addAt(doc, path, op.Path, op.Value)
	case "remove":
		return removeAt(doc, path, op.Path)
	case "replace":
		if _, ok := getIn(doc, path); !ok {
			return nil, newErr(ErrPathNotFound, op.Path, "nothing to replace")
		}
		if len(path) == 0 {
			return op.Value, nil
		}
		return setAt(doc, path, op.Path, op.Value)
	case "test":
		v, ok := getIn(doc, path)
		if !ok {
			if _, ok := getIn(doc, path[:len(path)-1]); !ok {
				return nil, newErr(ErrPathNotFound, op.Path, "the parent does not exist")
			}
			return nil, newErr(ErrTestFailed, op.Path, "the member or element does not exist")
		}
		if !Equal(v, op.Value) {
			return nil, newErr(ErrTestFailed, op.Path, "the value differs")
		}
		return doc, nil
	case "move", "copy":
		from, err := ParsePointer(op.From)
		if err != nil {
			return nil, err
		}
		v, ok := getIn(doc, from)
		if !ok {
			return nil, newErr(ErrPathNotFound, op.From, "nothing to %s from", op.Op)
		}
		if op.Op == "copy" {
			return addAt(doc, path, op.Path, v)
		}
		if op.From == op.Path {
			return doc, nil
		}
		if strings.HasPrefix(op.Path, op.From+"/") {
			return nil, newErr(ErrInvalid, op.Path, "cannot move %s into its own child", op.From)
		}
		doc, err = removeAt(doc, from, op.From)
		if err != nil {
			return nil, err
		}
		return addAt(doc, path, op.Path, v)
	default:
		return nil, newErr(ErrInvalid, op.Path, "unknown operation %q", op.Op)
	}
}

func addAt(doc any, segs []string, full string, v any) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	last := segs[len(segs)-1]
	return rebuild(doc, segs[:len(segs)-1], full, func(parent any) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			c := cloneMap(p, 1)
			c[last] = v
			return c, nil
		case []any:
			i := len(p)
			if last != "-" {
				var ok bool
				i, ok = arrayIndex(last)
				if !ok || i > len(p) {
					return nil, newErr(ErrPathNotFound, full, "array index %q is out of range", last)
				}
			}
			c := make([]any, 0, len(p)+1)
			c = append(c, p[:i]...)
			c = append(c, v)
			return append(c, p[i:]...), nil
		}
		return nil, newErr(ErrPathNotFound, full, "the parent is not an object or array")
	})
}

func removeAt(doc any, segs []string, full string) (any, error) {
	if len(segs) == 0 {
		return nil, newErr(ErrInvalid, full, "cannot remove the root")
	}
	last := segs[len(segs)-1]
	return rebuild(doc, segs[:len(segs)-1], full, func(parent any) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			if _, ok := p[last]; !ok {
				return nil, newErr(ErrPathNotFound, full, "nothing to remove")
			}
			c := cloneMap(p, 0)
			delete(c, last)
			return c, nil
		case []any:
			i, ok := arrayIndex(last)
			if !ok || i >= len(p) {
				return nil, newErr(ErrPathNotFound, full, "array index %q does not exist", last)
			}
			c := make([]any, 0, len(p)-1)
			c = append(c, p[:i]...)
			return append(c, p[i+1:]...), nil
		}
		return nil, newErr(ErrPathNotFound, full, "the parent is not an object or array")
	})
}
