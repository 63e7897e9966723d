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
		cs[i].Old, _ = s.hide(segs, c.Old, redactHidden)
		cs[i].New, _ = s.hide(segs, c.New, redactHidden)
	}
	return cs
}

// hidden reports whether the value at segs is write-only or a secret.
func (s *schema) hidden(segs []string) bool {
	r := s.governing(segs)
	return r != nil && (r.f.Mutability == WriteOnly || r.f.Secret != nil)
}

// hiding says what hide does with a hidden value.
type hiding int

const (
	redactHidden hiding = iota // replace it by Redacted
	dropHidden                 // leave an object member out; Redacted elsewhere
)

// hide returns v with every value under a write-only or secret rule
// replaced by Redacted — or, with dropHidden, object members left out —
// copying only the containers it changes. changed says the result differs
// from v.
func (s *schema) hide(segs []string, v any, how hiding) (out any, changed bool) {
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
		if out := s.hideMembers(segs, x, how); out != nil {
			return out, true
		}
	case []any:
		if out := s.hideElements(segs, x, how); out != nil {
			return out, true
		}
	}
	return v, false
}

// hideMembers is hide on an object; it returns nil when nothing changed.
func (s *schema) hideMembers(segs []string, x map[string]any, how hiding) map[string]any {
	var out map[string]any
	for k, mv := range x {
		child := appendSeg(segs, k)
		gone := how == dropHidden && s.hidden(child)
		hv, changed := mv, gone
		if !gone {
			hv, changed = s.hide(child, mv, how)
		}
		if !changed {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(x))
			for k2, v2 := range x {
				out[k2] = v2
			}
		}
		if gone {
			delete(out, k)
		} else {
			out[k] = hv
		}
	}
	return out
}

// hideElements is hide on an array; it returns nil when nothing changed.
func (s *schema) hideElements(segs []string, x []any, how hiding) []any {
	var out []any
	for i, ev := range x {
		hv, changed := s.hide(appendSeg(segs, strconv.Itoa(i)), ev, how)
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
