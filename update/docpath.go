package update

import (
	"strconv"

	"github.com/idupdate/idupdate/merge"
)

// getPath returns the value at segs in doc.
func getPath(doc any, segs []string) (any, bool) {
	cur := doc
	for _, s := range segs {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[s]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			if merge.IsSelector(s) {
				// An element selector (a confirmable element rule):
				// the first element it matches.
				el, ok := selectElement(c, s)
				if !ok {
					return nil, false
				}
				cur = el
				continue
			}
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) || !isIndex(s) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// selectElement returns the first element of arr that selector tok
// matches.
func selectElement(arr []any, tok string) (any, bool) {
	sel, ok := merge.ParseSelector(tok)
	if !ok {
		return nil, false
	}
	for _, el := range arr {
		if sel.Matches(el) {
			return el, true
		}
	}
	return nil, false
}

// setPath returns doc with v at segs, copying only the containers along
// segs. Missing objects along the way are created; a path through a scalar
// or a missing array element leaves doc as it was and reports false.
func setPath(doc any, segs []string, v any) (any, bool) {
	return editPath(doc, segs, v, putValue)
}

// removePath returns doc without the value at segs (an array element is
// cut out), copying only the containers along segs. A missing member is
// nothing to remove; a path through a scalar or a missing array element
// reports false.
func removePath(doc any, segs []string) (any, bool) {
	return editPath(doc, segs, nil, removeValue)
}

// pathEdit says what editPath does at the end of its path.
type pathEdit int

const (
	putValue pathEdit = iota
	removeValue
)

func editPath(doc any, segs []string, v any, op pathEdit) (any, bool) {
	if len(segs) == 0 {
		if op == removeValue {
			return nil, true
		}
		return v, true
	}
	switch c := doc.(type) {
	case nil:
		if op == removeValue {
			return nil, true
		}
		child, ok := editPath(nil, segs[1:], v, putValue)
		if !ok {
			return doc, false
		}
		return map[string]any{segs[0]: child}, true
	case map[string]any:
		return editMember(c, segs, v, op)
	case []any:
		return editElement(c, segs, v, op)
	default:
		return doc, false
	}
}

// editMember is editPath on an object.
func editMember(c map[string]any, segs []string, v any, op pathEdit) (any, bool) {
	head, rest := segs[0], segs[1:]
	old, exists := c[head]
	if op == removeValue && !exists {
		return c, true
	}
	if op == removeValue && len(rest) == 0 {
		out := make(map[string]any, len(c))
		for k, x := range c {
			if k != head {
				out[k] = x
			}
		}
		return out, true
	}
	child, ok := editPath(old, rest, v, op)
	if !ok {
		return c, false
	}
	out := make(map[string]any, len(c)+1)
	for k, x := range c {
		out[k] = x
	}
	out[head] = child
	return out, true
}

// editElement is editPath on an array.
func editElement(c []any, segs []string, v any, op pathEdit) (any, bool) {
	head, rest := segs[0], segs[1:]
	i, err := strconv.Atoi(head)
	if err != nil || !isIndex(head) || i < 0 || i >= len(c) {
		return c, false
	}
	if op == removeValue && len(rest) == 0 {
		out := make([]any, 0, len(c)-1)
		out = append(out, c[:i]...)
		return append(out, c[i+1:]...), true
	}
	child, ok := editPath(c[i], rest, v, op)
	if !ok {
		return c, false
	}
	out := append([]any(nil), c...)
	out[i] = child
	return out, true
}

func pointer(segs []string) string { return merge.FormatPointer(segs) }

// under reports whether path is p or lies below it.
func under(path, p string) bool {
	return path == p || p == "" || len(path) > len(p) && path[:len(p)] == p && path[len(p)] == '/'
}

func appendSeg(segs []string, s string) []string {
	out := make([]string, len(segs)+1)
	copy(out, segs)
	out[len(segs)] = s
	return out
}

func mustSegs(p string) []string {
	segs, err := merge.ParsePointer(p)
	if err != nil {
		return []string{"\x00invalid"}
	}
	return segs
}

func mustObject(v any, ok bool) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}
