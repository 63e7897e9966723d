package merge

import (
	"fmt"
	"strconv"
	"strings"
)

// Selector is a reference token that names an array element by its key
// instead of its index: "[id=5253]" selects the element whose member "id"
// holds the key 5253. See the package documentation, section Key
// selectors.
type Selector struct {
	Member string // the key member, e.g. "id"
	Key    string // the key, compared in key form
}

// ParseSelector reports whether tok, an unescaped reference token, is a
// key selector, and returns it. A selector starts with "[" and ends with
// "]"; the member name runs to the first "=" and the key is everything
// after it, so a key may itself contain "=" and "]". The member name must
// not be empty.
func ParseSelector(tok string) (Selector, bool) {
	if len(tok) < 4 || tok[0] != '[' || tok[len(tok)-1] != ']' {
		return Selector{}, false
	}
	member, key, ok := strings.Cut(tok[1:len(tok)-1], "=")
	if !ok || member == "" {
		return Selector{}, false
	}
	return Selector{Member: member, Key: key}, true
}

// IsSelector reports whether tok looks like a key selector: it starts
// with "[". Such a token is either a valid selector or malformed; it never
// names an object member where selectors are in use.
func IsSelector(tok string) bool { return tok != "" && tok[0] == '[' }

// String returns the selector as a reference token, unescaped:
// "[id=5253]". FormatPointer escapes it like any other token.
func (s Selector) String() string { return "[" + s.Member + "=" + s.Key + "]" }

// Matches reports whether el is an object whose key member holds the
// selector's key, compared in key form (5253, 5253.0 and "5253" are one
// key).
func (s Selector) Matches(el any) bool {
	obj, ok := el.(map[string]any)
	if !ok {
		return false
	}
	have, ok := keyText(obj[s.Member])
	if !ok {
		return false
	}
	want, _ := keyText(s.Key)
	return have == want
}

// HasSelector reports whether any of segs is a key selector (or looks
// like one).
func HasSelector(segs []string) bool {
	for _, s := range segs {
		if IsSelector(s) {
			return true
		}
	}
	return false
}

// ResolveTokens returns segs with every key selector replaced by the index
// of the first element of the array at that point of doc that the
// selector matches. segs is not modified; without selectors it is returned
// as it is.
//
// Errors: a malformed selector, or a selector applied to a value that is
// not an array (an object, a scalar), is ErrInvalid; a selector over an
// absent or null member, or one no element matches, is ErrKeyNotFound with
// Path the pointer of the array and Key the selector's key; a missing step
// above a selector's array is ErrPathNotFound. Tokens after the last
// selector are not looked at.
func ResolveTokens(doc any, segs []string) ([]string, error) {
	if !HasSelector(segs) {
		return segs, nil
	}
	last := 0
	for i, tok := range segs {
		if IsSelector(tok) {
			last = i
		}
	}
	out := make([]string, len(segs))
	copy(out, segs)
	cur, exists := doc, true
	for i, tok := range segs[:last+1] {
		switch {
		case IsSelector(tok):
			idx, err := selectIn(cur, out[:i], tok)
			if err != nil {
				return nil, err
			}
			out[i] = strconv.Itoa(idx)
		case !exists:
			return nil, newErr(ErrPathNotFound, FormatPointer(out[:i]), "does not exist")
		}
		cur, exists = getIn(cur, out[i:i+1])
	}
	return out, nil
}

// selectIn returns the index of the element of cur (the value at the
// pointer of prefix) that tok selects.
func selectIn(cur any, prefix []string, tok string) (int, error) {
	at := FormatPointer(prefix)
	sel, ok := ParseSelector(tok)
	if !ok {
		return 0, newErr(ErrInvalid, at, "%q is not a key selector of the form [member=key]", tok)
	}
	switch arr := cur.(type) {
	case []any:
		want, _ := keyText(sel.Key)
		for i, el := range arr {
			obj, ok := el.(map[string]any)
			if !ok {
				continue
			}
			if have, ok := keyText(obj[sel.Member]); ok && have == want {
				return i, nil
			}
		}
	case nil:
		// An absent or null array has no element with the key.
	default:
		return 0, newErr(ErrInvalid, at, "selects by key in a value that is not an array")
	}
	e := newErr(ErrKeyNotFound, at, "no element has %s %q", sel.Member, sel.Key)
	e.Key = sel.Key
	return 0, e
}

// ResolvePointer is ResolveTokens on a pointer string: it returns ptr with
// every key selector replaced by the index it selects in doc.
func ResolvePointer(doc any, ptr string) (string, error) {
	segs, err := ParsePointer(ptr)
	if err != nil {
		return "", err
	}
	if !HasSelector(segs) {
		return ptr, nil
	}
	out, err := ResolveTokens(doc, segs)
	if err != nil {
		return "", err
	}
	return FormatPointer(out), nil
}

// PatchKeyed is Patch where operation paths and froms may hold key
// selectors. Each operation's selectors are resolved against the document
// as the operations before it left it, so "remove /a/[id=1]" followed by
// "replace /a/[id=2]/x" names the right elements although indices shift.
// A selector stands for the element's index at that moment: "add" at a
// selector inserts before the selected element, "remove" removes it. The
// errors are those of Patch and ResolveTokens; the operations are not
// modified.
func PatchKeyed(doc any, ops []Operation) (any, []Change, error) {
	return patch(doc, ops, resolveSelectors)
}

// selectors says whether patch resolves key selectors in its operations.
type selectors int

const (
	plainPointers selectors = iota
	resolveSelectors
)

// resolveOp returns op with the selectors of its path and from resolved
// against doc.
func resolveOp(doc any, op Operation) (Operation, error) {
	var err error
	if op.Path, err = ResolvePointer(doc, op.Path); err != nil {
		return op, err
	}
	if op.Op == "move" || op.Op == "copy" {
		if op.From, err = ResolvePointer(doc, op.From); err != nil {
			return op, err
		}
	}
	return op, nil
}

// patchOpError prefixes the message of a failed operation with its place.
func patchOpError(err error, i int, op Operation) error {
	if e, ok := err.(*Error); ok {
		e.Msg = strings.TrimSpace(fmt.Sprintf("operation %d (%s): %s", i, op.Op, e.Msg))
	}
	return err
}
