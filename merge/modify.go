package merge

import (
	"errors"
	"slices"
	"strconv"
)

// ErrNoTarget: a Modify operation selected nothing to act on: a "replace"
// or "add" whose Match holds for no element, or a "remove" without a path.
var ErrNoTarget = errors.New("no target")

// Modification is one operation of Modify: the attribute-oriented
// modification of RFC 7644 section 3.5.2 (SCIM PATCH), with no SCIM
// syntax in it. Path is a JSON Pointer naming object members only ("" is
// the document). With Match, Path names an array and the operation applies
// to each element Match holds for, or, with Sub, to that member of each.
type Modification struct {
	Op    string // "add", "replace" or "remove"
	Path  string
	Match func(element any) bool
	Sub   string
	Value any
}

// ModifyOptions tune Modify.
type ModifyOptions struct {
	// Primary returns, for the pointer of an array, the member that at
	// most one element may hold true ("primary"), or "". When an operation
	// leaves several elements with it true, those it made true keep it and
	// the others lose it (the member is set to false), so setting one value
	// primary clears the flag of the rest.
	Primary func(path string) string
	// Edited, when set, is called for each element an operation with
	// Match changed in place (not one it removed), with the element's
	// pointer and its value before and after the operation: the element
	// stays itself whatever its members become, which the change list,
	// comparing arrays whole, cannot tell.
	Edited func(path string, before, after any)
}

// Modify applies the modifications to doc in order, all or nothing: on
// any error the result and changes are nil. The changes are
// Diff("", doc, result). doc is never modified; the result shares
// untouched subtrees with it.
//
// Without Match:
//
//   - add: an array value (or a single value) added to an array attribute
//     appends the values not already present (Equal); an object added to
//     an object merges member by member, each by add; anything else is set,
//     creating missing parent objects. Path "" takes an object whose
//     members are each added.
//   - replace: an object replacing an object replaces the members sent
//     and keeps the others; anything else (arrays included) is set as sent.
//     A missing attribute is set, as add would. Path "" takes an object
//     whose members are each replaced.
//   - remove: the member at Path is removed (absent: no change); Path ""
//     is ErrNoTarget.
//
// With Match (Path must name an array; absent or matching nothing is
// ErrNoTarget for add and replace, and no change for remove):
//
//   - add and replace with Sub: the member Sub of each matched element is
//     set to Value (add merges an object into an object member).
//   - replace without Sub: each matched element is replaced by Value.
//   - add without Sub: each matched element, an object, gets Value's
//     members merged in.
//   - remove: Sub removed from each matched element, or without Sub the
//     matched elements removed.
//
// Other errors: an unknown op, a bad pointer, a value of the wrong shape
// (ErrInvalid); a parent that is not an object (ErrPathNotFound).
func Modify(doc any, mods []Modification, opts ModifyOptions) (any, []Change, error) {
	cur := doc
	for _, m := range mods {
		segs, err := ParsePointer(m.Path)
		if err != nil {
			return nil, nil, err
		}
		before := cur
		if m.Match != nil {
			cur, err = modifyMatched(cur, segs, m, opts.Edited)
		} else {
			cur, err = modifyPlain(cur, segs, m.Path, m.Op, m.Value)
		}
		if err != nil {
			return nil, nil, err
		}
		if opts.Primary != nil {
			cur = onePrimary(before, cur, opts.Primary)
		}
	}
	changes := Diff("", doc, cur)
	if len(changes) == 0 {
		return doc, nil, nil
	}
	return cur, changes, nil
}

func modifyPlain(doc any, segs []string, path, op string, v any) (any, error) {
	switch op {
	case "add", "replace":
		if len(segs) == 0 {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, newErr(ErrInvalid, path, "%s without a path takes an object", op)
			}
			var err error
			for _, k := range sortedKeys(obj) {
				if doc, err = modifyPlain(doc, []string{k}, "/"+escape(k), op, obj[k]); err != nil {
					return nil, err
				}
			}
			return doc, nil
		}
		old, present := getIn(doc, segs)
		nv := v
		switch o := old.(type) {
		case []any:
			if op == "add" {
				nv = appendNew(o, v)
			}
		case map[string]any:
			if in, ok := v.(map[string]any); ok {
				var acc any = o
				for _, k := range sortedKeys(in) {
					var err error
					if acc, err = modifyPlain(acc, []string{k}, path+"/"+escape(k), op, in[k]); err != nil {
						return nil, err
					}
				}
				nv = acc
			}
		}
		if present && Equal(old, nv) {
			return doc, nil
		}
		return putCreating(doc, segs, nv, path)
	case "remove":
		if len(segs) == 0 {
			return nil, newErr(ErrNoTarget, path, "remove needs a path")
		}
		if _, ok := getIn(doc, segs); !ok {
			return doc, nil
		}
		return removeAt(doc, segs, path)
	}
	return nil, newErr(ErrInvalid, path, "unknown operation %q", op)
}

// sortedKeys returns the members of m in order, so changes come out in a
// deterministic order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendNew appends the values of v (an array, or one value) that arr
// does not hold yet.
func appendNew(arr []any, v any) []any {
	add, ok := v.([]any)
	if !ok {
		add = []any{v}
	}
	out := arr
	for _, x := range add {
		if slices.ContainsFunc(out, func(y any) bool { return Equal(x, y) }) {
			continue
		}
		if len(out) == len(arr) {
			out = slices.Clip(slices.Clone(arr))
		}
		out = append(out, x)
	}
	return out
}

func modifyMatched(doc any, segs []string, m Modification, edited func(string, any, any)) (any, error) {
	cur, _ := getIn(doc, segs)
	arr, isArr := cur.([]any)
	if cur != nil && !isArr {
		return nil, newErr(ErrInvalid, m.Path, "a filter needs a multi-valued attribute")
	}
	var hits []int
	for i, el := range arr {
		if m.Match(el) {
			hits = append(hits, i)
		}
	}
	if len(hits) == 0 {
		if m.Op == "remove" {
			return doc, nil
		}
		return nil, newErr(ErrNoTarget, m.Path, "no value matches the filter")
	}
	out := make([]any, 0, len(arr))
	var kept [][2]int // matched elements edited in place: index in out, in arr
	for i, el := range arr {
		if !slices.Contains(hits, i) {
			out = append(out, el)
			continue
		}
		if !(m.Op == "remove" && m.Sub == "") {
			kept = append(kept, [2]int{len(out), i})
		}
		switch {
		case m.Op == "remove" && m.Sub == "":
			continue
		case m.Op == "remove":
			nel, err := modifyPlain(el, []string{m.Sub}, m.Path+"/"+escape(m.Sub), "remove", nil)
			if err != nil {
				return nil, err
			}
			out = append(out, nel)
		case m.Op == "replace" && m.Sub == "":
			out = append(out, m.Value)
		case m.Op == "add" || m.Op == "replace":
			var segs []string
			if m.Sub != "" {
				segs = []string{m.Sub}
			}
			if _, ok := el.(map[string]any); !ok {
				return nil, newErr(ErrInvalid, m.Path, "the matched value is not complex")
			}
			nel, err := modifyPlain(el, segs, m.Path+"/"+escape(m.Sub), m.Op, m.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, nel)
		default:
			return nil, newErr(ErrInvalid, m.Path, "unknown operation %q", m.Op)
		}
	}
	if edited != nil {
		for _, k := range kept {
			edited(FormatPointer(append(append([]string(nil), segs...), strconv.Itoa(k[0]))), arr[k[1]], out[k[0]])
		}
	}
	return putCreating(doc, segs, out, m.Path)
}

// onePrimary clears the primary flag of the elements that held it before
// an operation, in every array the operation left with more than one.
func onePrimary(before, after any, primary func(string) string) any {
	var walk func(path string, segs []string, v any)
	out := after
	walk = func(path string, segs []string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"/"+escape(k), append(segs[:len(segs):len(segs)], k), c)
			}
		case []any:
			member := primary(path)
			if member == "" {
				return
			}
			var on []int
			for i, el := range x {
				if isTrue(el, member) {
					on = append(on, i)
				}
			}
			if len(on) < 2 {
				return
			}
			old, _ := getIn(before, segs)
			oldArr, _ := old.([]any)
			var fresh []int
			for _, i := range on {
				if !slices.ContainsFunc(oldArr, func(y any) bool { return Equal(y, x[i]) && isTrue(y, member) }) {
					fresh = append(fresh, i)
				}
			}
			if len(fresh) == 0 {
				return
			}
			nx := slices.Clone(x)
			for _, i := range on {
				if !slices.Contains(fresh, i) {
					el := cloneMap(nx[i].(map[string]any), 0)
					el[member] = false
					nx[i] = el
				}
			}
			out, _ = putCreating(out, segs, nx, path)
		}
	}
	walk("", nil, after)
	return out
}

func isTrue(el any, member string) bool {
	m, ok := el.(map[string]any)
	return ok && m[member] == true
}

func escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			out = append(out, '~', '0')
		case '/':
			out = append(out, '~', '1')
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}
