package update

import (
	"fmt"

	"github.com/idupdate/idupdate/merge"
)

// checkSelectors refuses key selectors the policy cannot honour, before
// any record is read: each must be well formed, stand on a plural with a
// declared key, and select by that key. ptr is the pointer segs came from,
// for the error.
func (s *schema) checkSelectors(ptr string, segs []string) error {
	for i, tok := range segs {
		if !merge.IsSelector(tok) {
			continue
		}
		at := pointer(segs[:i])
		sel, ok := merge.ParseSelector(tok)
		if !ok {
			return selectorError(ptr, fmt.Sprintf("%q is not a key selector of the form [member=key]", tok))
		}
		r := s.ruleAt(segs[:i])
		switch {
		case r == nil || r.f.Plural == nil:
			return selectorError(ptr, at+" is not a plural: only a plural's elements can be selected by key")
		case r.f.Plural.Key == "":
			return selectorError(ptr, at+" declares no key member: select its elements by index")
		case r.f.Plural.Key != sel.Member:
			return selectorError(ptr, fmt.Sprintf("the elements of %s are keyed by %q, not %q", at, r.f.Plural.Key, sel.Member))
		}
	}
	return nil
}

func selectorError(ptr, msg string) *Error {
	return &Error{Code: Malformed, Message: fmt.Sprintf("path %s: %s", ptr, msg),
		Fields: []FieldError{{Path: ptr, Rule: RuleSelector, Message: msg}}}
}

// selected is a request path resolved inside the store transaction: the
// concrete pointer, and for each key selector in it, where it stood.
type selected struct {
	at    []string // as requested, with selectors
	segs  []string // concrete: selectors replaced by indices
	path  string
	picks []pick
}

// pick is one key selector of a path and the element it selected.
type pick struct {
	depth int // the selector's index in the path's segments
	sel   merge.Selector
	key   any // the selected element's stored key value
}

// resolvePath resolves the key selectors of at against doc.
func resolvePath(doc map[string]any, at []string) (selected, error) {
	segs, err := merge.ResolveTokens(doc, at)
	if err != nil {
		return selected{}, mergeError(err)
	}
	rp := selected{at: at, segs: segs, path: pointer(segs)}
	for i, tok := range at {
		sel, ok := merge.ParseSelector(tok)
		if !ok {
			continue
		}
		el, _ := getPath(doc, segs[:i+1])
		obj, _ := el.(map[string]any)
		rp.picks = append(rp.picks, pick{depth: i, sel: sel, key: obj[sel.Member]})
	}
	return rp, nil
}

// withSelectedKey returns the value of a Replace at a selected element
// with the element's stored key put back when the value leaves it out,
// so replacing an element keeps its identity.
func (rp *selected) withSelectedKey(value any) any {
	if len(rp.picks) == 0 {
		return value
	}
	last := rp.picks[len(rp.picks)-1]
	obj, ok := value.(map[string]any)
	if last.depth != len(rp.segs)-1 || !ok {
		return value
	}
	if _, has := obj[last.sel.Member]; has {
		return value
	}
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	out[last.sel.Member] = last.key
	return out
}

// keysKept refuses a change that moved a selected element's key: what a
// path selects by cannot change through that path.
func (rp *selected) keysKept(doc map[string]any) error {
	for _, pk := range rp.picks {
		el, _ := getPath(doc, rp.segs[:pk.depth+1])
		if pk.sel.Matches(el) {
			continue
		}
		path := pointer(appendSeg(rp.at[:pk.depth+1], pk.sel.Member))
		return &Error{Code: Invalid, Message: fmt.Sprintf("the key %s of the selected element cannot change", path),
			Fields: []FieldError{{Path: path, Rule: RuleImmutable, Message: "is the key the path selects by and cannot change through it"}}}
	}
	return nil
}
