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

// setPath returns doc with v at segs (or the member removed, when remove),
// copying only the containers along segs. Missing objects along the way are
// created; a path through a scalar or a missing array element leaves doc as
// it was and reports false.
func setPath(doc any, segs []string, v any, remove bool) (any, bool) {
	if len(segs) == 0 {
		if remove {
			return nil, true
		}
		return v, true
	}
	head, rest := segs[0], segs[1:]
	switch c := doc.(type) {
	case nil:
		if remove {
			return nil, true
		}
		child, ok := setPath(nil, rest, v, false)
		if !ok {
			return doc, false
		}
		return map[string]any{head: child}, true
	case map[string]any:
		old, exists := c[head]
		if remove && len(rest) == 0 {
			if !exists {
				return doc, true
			}
			out := make(map[string]any, len(c))
			for k, x := range c {
				if k != head {
					out[k] = x
				}
			}
			return out, true
		}
		if remove && !exists {
			return doc, true
		}
		child, ok := setPath(old, rest, v, remove)
		if !ok {
			return doc, false
		}
		out := make(map[string]any, len(c)+1)
		for k, x := range c {
			out[k] = x
		}
		out[head] = child
		return out, true
	case []any:
		i, err := strconv.Atoi(head)
		if err != nil || !isIndex(head) || i < 0 || i >= len(c) {
			return doc, false
		}
		if remove && len(rest) == 0 {
			out := make([]any, 0, len(c)-1)
			out = append(out, c[:i]...)
			return append(out, c[i+1:]...), true
		}
		child, ok := setPath(c[i], rest, v, remove)
		if !ok {
			return doc, false
		}
		out := append([]any(nil), c...)
		out[i] = child
		return out, true
	default:
		return doc, false
	}
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
