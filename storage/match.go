package storage

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/idupdate/idupdate/storage/internal/jsonval"
)

// Match reports whether rec satisfies f, which must have passed Validate:
// its document satisfies the predicate, it holds every Key hint of an Eq
// term that must hold (see Filter.Key) and it holds f's TermHint. This is the reference semantics;
// the SQL backends compute the same answer in the database. A nil f
// matches every record.
func (f *Filter) Match(rec *Record) bool {
	if f == nil {
		return true
	}
	return f.holdsTermHint(rec) && f.match(rec.Doc, rec.Keys, true)
}

// MatchValue reports whether the JSON value v (as decoded with
// json.Decoder.UseNumber) satisfies f, evaluating paths relative to v and
// ignoring Key hints.
func (f *Filter) MatchValue(v any) bool {
	return f.match(v, nil, false)
}

func (f *Filter) match(v any, keys []Key, useKeys bool) bool {
	switch f.Op {
	case And:
		for i := range f.Args {
			if !f.Args[i].match(v, keys, useKeys) {
				return false
			}
		}
		return true
	case Or:
		for i := range f.Args {
			if f.Args[i].match(v, keys, useKeys) {
				return true
			}
		}
		return false
	case Not:
		return !f.Args[0].match(v, keys, useKeys)
	case Any:
		at, _ := jsonval.Lookup(v, PointerSegments(f.Path))
		arr, _ := at.([]any)
		for _, el := range arr {
			if f.Args[0].match(el, nil, false) {
				return true
			}
		}
		return false
	}
	if useKeys && f.Op == Eq && f.Key != nil && !slices.Contains(keys, *f.Key) {
		return false
	}
	at, ok := jsonval.Lookup(v, PointerSegments(f.Path))
	return f.Leaf(at, ok)
}

// Leaf evaluates the comparison f (not And, Or, Not or Any) on the value
// at its path; present is false when the path leads nowhere.
func (f *Filter) Leaf(v any, present bool) bool {
	switch f.Op {
	case Pr:
		if !present || v == nil {
			return false
		}
		switch x := v.(type) {
		case string:
			return x != ""
		case []any:
			return len(x) > 0
		case map[string]any:
			return len(x) > 0
		}
		return true
	case Ne:
		eq := *f
		eq.Op = Eq
		return !eq.Leaf(v, present)
	}
	switch want := f.Value.(type) {
	case nil:
		return !present || v == nil
	case bool:
		got, ok := v.(bool)
		return ok && got == want
	case string:
		got, ok := v.(string)
		if !ok {
			return false
		}
		if f.Fold {
			got, want = jsonval.Fold(got), jsonval.Fold(want)
		}
		switch f.Op {
		case Co:
			return strings.Contains(got, want)
		case Sw:
			return strings.HasPrefix(got, want)
		case Ew:
			return strings.HasSuffix(got, want)
		}
		return compares(f.Op, strings.Compare(got, want))
	case json.Number:
		got, ok := jsonval.Number(v)
		if !ok {
			return false
		}
		w, _ := jsonval.ParseDecimal(string(want))
		return compares(f.Op, got.Cmp(w))
	case time.Time:
		s, ok := v.(string)
		if !ok {
			return false
		}
		got, ok := jsonval.ParseInstant(s)
		return ok && compares(f.Op, got.Compare(want))
	}
	return false
}

// compares reports whether a comparison result c satisfies op.
func compares(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

// SortKey returns the bytes by which s orders rec: records sort by
// bytes.Compare of their keys, then by ID (both reversed when s.Desc).
func (s *Sort) SortKey(rec *Record) []byte {
	v, _ := jsonval.Lookup(rec.Doc, PointerSegments(s.Path))
	return jsonval.SortKey(v, s.Fold)
}

// CompareForSort orders two records as a listing sorted by s (nil: by ID)
// returns them.
func (s *Sort) CompareForSort(a, b *Record) int {
	if s == nil {
		return strings.Compare(a.ID, b.ID)
	}
	c := bytes.Compare(s.SortKey(a), s.SortKey(b))
	if c == 0 {
		c = strings.Compare(a.ID, b.ID)
	}
	if s.Desc {
		c = -c
	}
	return c
}
