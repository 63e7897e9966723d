package update

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// keyString is the indexed form of a unique value.
func keyString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return fmt.Sprint(x), true
	case int, int64:
		return fmt.Sprint(x), true
	}
	return "", false
}

// keyGen returns a generator of fresh element keys. Integer keys are one
// more than the largest integer key present, so they read like the
// sequential ids vendors show; a key freed by a removal can come back. The
// largest key is found once per merge and then counted up, so appending m
// elements to a plural of n costs O(n+m), not O(n·m).
func keyGen(kg KeyGen) func(map[string]bool) any {
	switch kg {
	case KeyGenInt:
		var next int64
		return func(existing map[string]bool) any {
			if next == 0 {
				for k := range existing {
					if n, err := strconv.ParseInt(k, 10, 64); err == nil && n > next {
						next = n
					}
				}
			}
			for {
				next++
				if !existing[strconv.FormatInt(next, 10)] {
					return jsonInt(next)
				}
			}
		}
	case KeyGenUUID:
		return func(map[string]bool) any { return uuid.NewString() }
	}
	return nil
}

// missingKeys gives plural elements sent without a key a fresh one.
func (s *schema) missingKeys(doc map[string]any) map[string]any {
	for _, r := range s.rules {
		pl := r.f.Plural
		if pl == nil || pl.KeyGen == KeyGenNone || r.wildcard {
			continue
		}
		arr, _ := getPath(doc, r.segs)
		elems, ok := arr.([]any)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		collectKeys(elems, pl.Key, seen)
		if out := assignKeys(elems, pl, seen, keyMissing); out != nil {
			doc = mustObject(setPath(doc, r.segs, out))
		}
	}
	return doc
}

// freshKeys gives every element of the plurals inside a replaced value a
// new key, numbered past the keys stored, so no old key is reused.
func (s *schema) freshKeys(at []string, doc map[string]any, value any) any {
	for _, r := range s.rules {
		pl := r.f.Plural
		if pl == nil || pl.KeyGen == KeyGenNone || r.wildcard || !under(r.path, pointer(at)) {
			continue
		}
		rel := r.segs[len(at):]
		arr, ok := getPath(value, rel)
		elems, isArr := arr.([]any)
		if !ok || !isArr || len(elems) == 0 {
			continue
		}
		seen := map[string]bool{}
		if old, ok := getPath(doc, r.segs); ok {
			if olds, ok := old.([]any); ok {
				collectKeys(olds, pl.Key, seen)
			}
		}
		out := assignKeys(elems, pl, seen, keyAll)
		value, _ = setPath(value, rel, out)
	}
	return value
}

// collectKeys adds the string forms of the elements' keys to seen.
func collectKeys(elems []any, key string, seen map[string]bool) {
	for _, el := range elems {
		if m, ok := el.(map[string]any); ok {
			if k, ok := keyString(m[key]); ok {
				seen[k] = true
			}
		}
	}
}

// keyFill says which elements assignKeys gives a fresh key.
type keyFill int

const (
	keyMissing keyFill = iota // only elements without a key
	keyAll                    // every element, replacing any key it has
)

// assignKeys returns a copy of elems in which object elements get a fresh
// key (which ones, fill says), or nil when nothing changed. Elements are
// copied, never modified.
func assignKeys(elems []any, pl *Plural, seen map[string]bool, fill keyFill) []any {
	gen := keyGen(pl.KeyGen)
	var out []any
	for i, el := range elems {
		m, ok := el.(map[string]any)
		if !ok || (fill == keyMissing && m[pl.Key] != nil) {
			continue
		}
		if out == nil {
			out = append([]any(nil), elems...)
		}
		nm := make(map[string]any, len(m)+1)
		for k, v := range m {
			nm[k] = v
		}
		key := gen(seen)
		ks, _ := keyString(key)
		seen[ks] = true
		nm[pl.Key] = key
		out[i] = nm
	}
	return out
}

// computeKeys returns the record's unique keys for doc and its pending
// challenges: external keys carried over, unique fields, and held values
// that reserve their uniqueness.
func (s *schema) computeKeys(old []storage.Key, doc map[string]any, pending []verify.Challenge) ([]storage.Key, error) {
	if err := s.checkTenant(doc); err != nil {
		return nil, err
	}
	tenant := s.tenantOf(doc)
	keys := make([]storage.Key, 0, len(old)+len(s.unique))
	for _, k := range old {
		if !isFieldKey(k) {
			keys = append(keys, k)
		}
	}
	seen := map[storage.Key]bool{}
	for _, r := range s.unique {
		v, ok := getPath(doc, r.segs)
		if !ok || v == nil {
			continue
		}
		ks, err := r.uniqueKey(v)
		if err != nil {
			return nil, err
		}
		k := s.keyFor(r, tenant, ks)
		seen[k] = true
		keys = append(keys, k)
	}
	for _, ch := range pending {
		if ch.State != verify.Pending || !ch.Held {
			continue
		}
		r := s.ruleAt(mustSegs(ch.Path))
		if r == nil || !r.f.Unique || r.f.Confirm == nil || !r.f.Confirm.ReservePending {
			continue
		}
		v, err := decodeValue(ch.Value)
		if err != nil {
			return nil, err
		}
		if ks, err := r.uniqueKey(v); err == nil && !seen[s.keyFor(r, tenant, ks)] {
			k := s.keyFor(r, tenant, ks)
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Name != keys[j].Name {
			return keys[i].Name < keys[j].Name
		}
		return keys[i].Value < keys[j].Value
	})
	return keys, nil
}

// touchesUnique reports whether a change lies on the path of a unique
// field or of the tenant (at it, above it or below it), so the record's
// keys may differ.
func (s *schema) touchesUnique(changes []merge.Change) bool {
	for _, c := range changes {
		if t := s.tenancy; t != nil && (under(t.path, c.Path) || under(c.Path, t.path)) {
			return true
		}
		for _, r := range s.unique {
			if under(r.path, c.Path) || under(c.Path, r.path) {
				return true
			}
		}
	}
	return false
}
