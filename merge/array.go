package merge

import "fmt"

// array applies the rule for path to an array sent for that member.
func (m *merger) array(path string, cur any, exists bool, sent []any) (any, bool, error) {
	var rule ArrayRule
	if m.opt.Array != nil {
		rule = m.opt.Array(path)
	}
	switch rule.Mode {
	case ArrayReplace:
		out, changed := m.set(path, cur, exists, sent)
		return out, changed, nil
	case ArrayAppend:
		stored, ok := cur.([]any)
		if rule.NewKey != nil && rule.Key != "" {
			var err error
			if sent, err = newKeys(path, stored, sent, rule); err != nil {
				return nil, false, err
			}
		}
		if !ok {
			out, changed := m.set(path, cur, exists, sent)
			return out, changed, nil
		}
		if len(sent) == 0 {
			return cur, false, nil
		}
		out := make([]any, len(stored), len(stored)+len(sent))
		copy(out, stored)
		for _, e := range sent {
			m.record(Change{Path: childIndex(path, len(out)), Op: OpAdd, New: e})
			out = append(out, e)
		}
		return out, true, nil
	case ArrayUpsert:
		if rule.Key == "" {
			return nil, false, newErr(ErrInvalid, path, "ArrayUpsert needs ArrayRule.Key")
		}
		stored, ok := cur.([]any)
		if ok {
			return m.upsert(path, stored, sent, rule)
		}
		// Nothing stored to match against: build from an empty array and
		// report the whole array as one change.
		m.quiet++
		out, _, err := m.upsert(path, []any{}, sent, rule)
		m.quiet--
		if err != nil {
			return nil, false, err
		}
		res, changed := m.set(path, cur, exists, out)
		return res, changed, nil
	default:
		return nil, false, newErr(ErrInvalid, path, "unknown array mode %d", rule.Mode)
	}
}

// upsert matches sent elements to stored ones by rule.Key. It indexes the
// stored keys once, so the cost is O(len(stored)+len(sent)) map operations
// plus the work of the element merges themselves. stored is copied on the
// first change only.
func (m *merger) upsert(path string, stored, sent []any, rule ArrayRule) (any, bool, error) {
	index := make(map[string]int, len(stored))
	var existing map[string]bool // what NewKey sees; only kept when it is set
	if rule.NewKey != nil {
		existing = make(map[string]bool, len(stored)+len(sent))
	}
	for i, e := range stored {
		obj, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if k, ok := keyText(obj[rule.Key]); ok {
			if _, dup := index[k]; !dup {
				index[k] = i
				if existing != nil {
					existing[k] = true
				}
			}
		}
	}
	out := stored
	copied := false
	own := func() {
		if !copied {
			out = make([]any, len(stored), len(stored)+len(sent))
			copy(out, stored)
			copied = true
		}
	}
	for _, e := range sent {
		obj, isObj := e.(map[string]any)
		key := any(nil)
		if isObj {
			key = obj[rule.Key]
		}
		if key != nil {
			kt, ok := keyText(key)
			if !ok {
				return nil, false, &Error{Kind: ErrInvalid, Path: path, Key: key,
					Msg: fmt.Sprintf("member %q must be a string, number or boolean", rule.Key)}
			}
			i, found := index[kt]
			if !found {
				return nil, false, &Error{Kind: ErrKeyNotFound, Path: path, Key: key,
					Msg: fmt.Sprintf("no element has %s %v", rule.Key, key)}
			}
			ep := childIndex(path, i)
			if storedKey := out[i].(map[string]any)[rule.Key]; !Equal(storedKey, key) {
				// Matched by string form only (5253 and "5253"): the stored
				// spelling stays, so an upsert never changes a key's type.
				obj = cloneMap(obj, 0)
				obj[rule.Key] = storedKey
			}
			var nv any
			var changed bool
			if rule.MergeElements {
				var err error
				nv, changed, err = m.value(ep, out[i], true, obj)
				if err != nil {
					return nil, false, err
				}
			} else {
				nv, changed = m.set(ep, out[i], true, obj)
			}
			if changed {
				own()
				out[i] = nv
			}
			continue
		}
		if isObj && rule.NewKey != nil {
			nk := rule.NewKey(existing)
			kt, ok := keyText(nk)
			if !ok {
				return nil, false, &Error{Kind: ErrInvalid, Path: path, Key: nk,
					Msg: "NewKey returned no usable key"}
			}
			if existing[kt] {
				return nil, false, &Error{Kind: ErrInvalid, Path: path, Key: nk,
					Msg: "NewKey returned a key already in use"}
			}
			withKey := cloneMap(obj, 1)
			withKey[rule.Key] = nk
			e = withKey
			existing[kt] = true
			index[kt] = len(out)
		}
		own()
		m.record(Change{Path: childIndex(path, len(out)), Op: OpAdd, New: e})
		out = append(out, e)
	}
	if !copied {
		return stored, false, nil
	}
	return out, true, nil
}

// newKeys returns sent with a key from rule.NewKey in every object element
// whose key member is absent or null, for ArrayAppend. NewKey sees the keys
// of stored and of the elements sent. sent is copied on the first change.
func newKeys(path string, stored, sent []any, rule ArrayRule) ([]any, error) {
	existing := make(map[string]bool, len(stored)+len(sent))
	for _, list := range [][]any{stored, sent} {
		for _, e := range list {
			if obj, ok := e.(map[string]any); ok {
				if kt, ok := keyText(obj[rule.Key]); ok {
					existing[kt] = true
				}
			}
		}
	}
	out, copied := sent, false
	for i, e := range sent {
		obj, ok := e.(map[string]any)
		if !ok || obj[rule.Key] != nil {
			continue
		}
		nk := rule.NewKey(existing)
		kt, ok := keyText(nk)
		if !ok {
			return nil, &Error{Kind: ErrInvalid, Path: path, Key: nk, Msg: "NewKey returned no usable key"}
		}
		if existing[kt] {
			return nil, &Error{Kind: ErrInvalid, Path: path, Key: nk, Msg: "NewKey returned a key already in use"}
		}
		existing[kt] = true
		if !copied {
			out, copied = append([]any(nil), sent...), true
		}
		withKey := cloneMap(obj, 1)
		withKey[rule.Key] = nk
		out[i] = withKey
	}
	return out, nil
}
