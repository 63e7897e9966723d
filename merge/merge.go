package merge

import (
	"slices"
)

// Merge applies patch to doc as an RFC 7386 JSON Merge Patch, with the
// array treatment chosen per path by opt.Array, and returns the new
// document and the changes it made. See the package documentation for the
// exact rules. doc and patch are never modified; the result shares every
// untouched subtree with doc and may share values with patch. On error the
// result and changes are nil and nothing happened. An empty change list
// means the document is unchanged, and then the returned document is doc
// itself. Merge is safe for concurrent use when opt.Array and NewKey are.
func Merge(doc, patch any, opt Options) (any, []Change, error) {
	m := merger{opt: opt}
	if p, ok := patch.(map[string]any); ok {
		m.hint = len(p) // the members of a flat patch (object reports flat)
		m.flat = true
	}
	out, changed, err := m.value("", doc, true, patch)
	if err != nil {
		return nil, nil, err
	}
	if !changed {
		return doc, nil, nil
	}
	return out, m.changes, nil
}

// MergeAt is Merge applied to the value at JSON Pointer at instead of the
// whole document; "" is the root and behaves exactly like Merge. Every
// parent of at must exist and be an object or array, else the error matches
// ErrPathNotFound. The target itself may be absent from an object parent
// (the patch is then merged into nothing, as RFC 7386 merges into a missing
// member); under an array parent, at must name an existing element. A null
// patch removes the target member, as it would in the enclosing object; it
// is ErrInvalid for an array element, because removing by index would shift
// its siblings (use Patch for that). Array rules are asked for with absolute
// paths, and change paths are absolute.
func MergeAt(doc any, at string, patch any, opt Options) (any, []Change, error) {
	segs, err := ParsePointer(at)
	if err != nil {
		return nil, nil, err
	}
	if len(segs) == 0 {
		return Merge(doc, patch, opt)
	}
	parentSegs, last := segs[:len(segs)-1], segs[len(segs)-1]
	parent, ok := getIn(doc, parentSegs)
	if !ok {
		return nil, nil, newErr(ErrPathNotFound, at, "the parent does not exist")
	}
	var cur any
	var exists bool
	switch p := parent.(type) {
	case map[string]any:
		cur, exists = p[last]
	case []any:
		i, ok := arrayIndex(last)
		if !ok || i >= len(p) {
			return nil, nil, newErr(ErrPathNotFound, at, "array index %q does not exist", last)
		}
		if patch == nil {
			return nil, nil, newErr(ErrInvalid, at, "a null merge cannot remove an array element")
		}
		cur, exists = p[i], true
	default:
		return nil, nil, newErr(ErrPathNotFound, at, "the parent is not an object or array")
	}

	m := merger{opt: opt}
	var nv any
	remove := patch == nil
	if remove {
		if !exists {
			return doc, nil, nil
		}
		m.record(Change{Path: at, Op: OpRemove, Old: cur})
	} else {
		var changed bool
		nv, changed, err = m.value(at, cur, exists, patch)
		if err != nil {
			return nil, nil, err
		}
		if !changed {
			return doc, nil, nil
		}
	}
	out, err := rebuild(doc, parentSegs, at, func(parent any) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			c := cloneMap(p, 1)
			if remove {
				delete(c, last)
			} else {
				c[last] = nv
			}
			return c, nil
		case []any:
			i, _ := arrayIndex(last)
			c := slices.Clone(p)
			c[i] = nv
			return c, nil
		}
		return nil, newErr(ErrPathNotFound, at, "the parent is not an object or array")
	})
	if err != nil {
		return nil, nil, err
	}
	return out, m.changes, nil
}

// merger carries the options and the change list through one merge.
// While quiet is above zero, changes are not recorded: a subtree built from
// nothing is reported as one change at its root instead of member by member.
type merger struct {
	opt     Options
	changes []Change
	quiet   int
	hint    int  // how many changes to make room for at first
	flat    bool // the patch is an object of scalars and nulls only
}

func (m *merger) record(c Change) {
	if m.quiet == 0 {
		if m.changes == nil {
			// Most merges change a few members: one allocation for them.
			// A flat patch changes at most one member per member, and its
			// list is sized exactly, since it is kept (in a record's
			// history) as long as the record.
			n := max(m.hint, 4)
			if m.flat && m.hint > 0 {
				n = m.hint
			}
			m.changes = make([]Change, 0, min(n, 64))
		}
		m.changes = append(m.changes, c)
	}
}

// value merges patch into cur (present when exists) at path and reports
// whether the result differs from cur. When it does not, cur is returned.
func (m *merger) value(path string, cur any, exists bool, patch any) (any, bool, error) {
	switch p := patch.(type) {
	case map[string]any:
		if c, ok := cur.(map[string]any); ok && c != nil {
			return m.object(path, c, p)
		}
		// RFC 7386: a patch object meets a missing or non-object target as if
		// the target were {}. The whole new object is one change.
		m.quiet++
		out, _, err := m.object(path, nil, p)
		m.quiet--
		if err != nil {
			return nil, false, err
		}
		m.set(path, cur, exists, out)
		return out, true, nil
	case []any:
		return m.array(path, cur, exists, p)
	default:
		out, changed := m.set(path, cur, exists, patch)
		return out, changed, nil
	}
}

// set makes v the value at path unless it already is.
func (m *merger) set(path string, cur any, exists bool, v any) (any, bool) {
	if exists && Equal(cur, v) {
		return cur, false
	}
	if exists {
		m.record(Change{Path: path, Op: OpReplace, Old: cur, New: v})
	} else {
		m.record(Change{Path: path, Op: OpAdd, New: v})
	}
	return v, true
}

// object merges patch members into cur (nil meaning an empty object), in
// sorted member order so the change list is deterministic. cur is copied on
// the first change only.
func (m *merger) object(path string, cur, patch map[string]any) (map[string]any, bool, error) {
	var out map[string]any
	if cur == nil {
		out = make(map[string]any, len(patch))
	}
	var small [8]string // the member names of most patches, without allocating
	keys := small[:0]
	for k, v := range patch {
		keys = append(keys, k)
		switch v.(type) {
		case map[string]any, []any:
			m.flat = false
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		pv := patch[k]
		cv, exists := cur[k]
		if pv == nil {
			if !exists {
				continue
			}
			if out == nil {
				out = cloneMap(cur, 0)
			}
			delete(out, k)
			m.record(Change{Path: child(path, k), Op: OpRemove, Old: cv})
			continue
		}
		nv, changed, err := m.value(child(path, k), cv, exists, pv)
		if err != nil {
			return nil, false, err
		}
		if !changed {
			continue
		}
		if out == nil {
			out = cloneMap(cur, 1)
		}
		out[k] = nv
	}
	if out == nil {
		return cur, false, nil
	}
	return out, true, nil
}
