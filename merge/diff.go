package merge

import "slices"

// Diff returns the changes that turn old into new at path (a JSON Pointer
// prefixed to every change path; "" for whole documents). Objects are
// compared member by member in sorted name order: a member only in new is
// an "add", one only in old a "remove", one in both recurses. Arrays and
// scalars are compared whole: one "replace" when they are not Equal. Equal
// values give no changes. The changes hold values shared with old and new,
// not copies. Applied in order as RFC 6902 operations to old, they produce
// new.
func Diff(path string, old, new any) []Change {
	var out []Change
	diffInto(&out, path, old, true, new, true)
	return out
}

func diffInto(out *[]Change, path string, old any, oldOK bool, new any, newOK bool) {
	switch {
	case !oldOK && !newOK:
		return
	case !oldOK:
		*out = append(*out, Change{Path: path, Op: OpAdd, New: new})
		return
	case !newOK:
		*out = append(*out, Change{Path: path, Op: OpRemove, Old: old})
		return
	}
	om, ok1 := old.(map[string]any)
	nm, ok2 := new.(map[string]any)
	if !ok1 || !ok2 || om == nil || nm == nil {
		if !Equal(old, new) {
			*out = append(*out, Change{Path: path, Op: OpReplace, Old: old, New: new})
		}
		return
	}
	if Equal(om, nm) {
		return
	}
	keys := make([]string, 0, len(om)+len(nm))
	for k := range om {
		keys = append(keys, k)
	}
	for k := range nm {
		if _, ok := om[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		ov, ook := om[k]
		nv, nok := nm[k]
		diffInto(out, child(path, k), ov, ook, nv, nok)
	}
}
