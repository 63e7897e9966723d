package update

import (
	"strconv"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// redact hides secret and write-only values in a change list, at the
// change's own path or anywhere inside the values it carries.
func (s *schema) redact(cs []storage.Change) []storage.Change {
	if !s.hides {
		return cs
	}
	for i, c := range cs {
		segs, err := merge.ParsePointer(c.Path)
		if err != nil {
			continue
		}
		cs[i].Old, _ = s.hide(segs, c.Old)
		cs[i].New, _ = s.hide(segs, c.New)
	}
	return cs
}

// hidden reports whether the value at segs is write-only or a secret.
func (s *schema) hidden(segs []string) bool {
	r := s.governing(segs)
	return r != nil && hides(r)
}

// hides reports whether r's values are write-only or secret.
func hides(r *rule) bool {
	return r.f.Mutability == WriteOnly || r.f.Secret != nil
}

// hide returns v with every value under a write-only or secret rule
// replaced by Redacted, copying only the containers it changes. changed
// says the result differs from v.
func (s *schema) hide(segs []string, v any) (out any, changed bool) {
	if v == nil {
		return nil, false
	}
	if s.hidden(segs) {
		return Redacted, true
	}
	if !s.lookup(segs).inner {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		if out := s.hideMembers(segs, x); out != nil {
			return out, true
		}
	case []any:
		if out := s.hideElements(segs, x); out != nil {
			return out, true
		}
	}
	return v, false
}

// hideMembers is hide on an object; it returns nil when nothing changed.
func (s *schema) hideMembers(segs []string, x map[string]any) map[string]any {
	var out map[string]any
	for k, mv := range x {
		hv, changed := s.hide(appendSeg(segs, k), mv)
		if !changed {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(x))
			for k2, v2 := range x {
				out[k2] = v2
			}
		}
		out[k] = hv
	}
	return out
}

// hideElements is hide on an array; it returns nil when nothing changed.
func (s *schema) hideElements(segs []string, x []any) []any {
	var out []any
	for i, ev := range x {
		hv, changed := s.hide(appendSeg(segs, strconv.Itoa(i)), ev)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]any(nil), x...)
		}
		out[i] = hv
	}
	return out
}

// shown returns a deep copy of v, the value at trie node n (nil when no
// rule lies at or below it), as a client may see it: object members under
// a write-only or secret rule left out, such array elements Redacted.
// Walking the trie beside the value decides each member with one step
// from its parent, and subtrees no rule reaches are copied as they are.
func shown(n *node, v any) any {
	if n == nil || len(n.children) == 0 {
		return merge.Clone(v)
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, mv := range x {
			c := n.child(k)
			if c != nil && c.rule != nil && hides(c.rule) {
				continue
			}
			out[k] = shown(c, mv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, ev := range x {
			c := n.child(strconv.Itoa(i))
			if c != nil && c.rule != nil && hides(c.rule) && ev != nil {
				out[i] = Redacted
				continue
			}
			out[i] = shown(c, ev)
		}
		return out
	}
	return v
}

// stripped returns a copy of rec without secrets and code hashes, for
// observers.
func stripped(rec *storage.Record) *storage.Record {
	cp := *rec
	cp.Secrets = nil
	cp.Pending = make([]verify.Challenge, len(rec.Pending))
	for i, ch := range rec.Pending {
		ch = ch.Clone()
		ch.CodeHash = nil
		cp.Pending[i] = ch
	}
	return &cp
}
