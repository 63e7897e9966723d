package update

import (
	"context"
	"slices"

	"github.com/idupdate/idupdate/storage"
)

// indexedRule reports whether the store keeps index terms of r's values:
// the field is queryable and either declared Indexed, or unique and
// compared case-insensitively (a case-exact unique field is looked up
// through its key instead). Date-time fields compare as instants, not
// text, so they are never indexed.
func indexedRule(r *rule) bool {
	q := r.f.Query
	if q == nil || q.DateTime || r.f.Secret != nil || r.f.Mutability == WriteOnly {
		return false
	}
	return q.Indexed || (r.f.Unique && !q.CaseExact)
}

// computeTerms returns the index terms of doc under the schema's indexed
// fields, sorted and without repeats: for each field, the IndexTerm of
// every scalar value at its path ("*" standing for every element of an
// array), folded unless the field is CaseExact.
func (s *schema) computeTerms(doc map[string]any) []storage.Key {
	var terms []storage.Key
	for _, r := range s.indexed {
		fold := !r.f.Query.CaseExact
		eachAt(doc, r.segs, func(v any) {
			if t, ok := storage.IndexTerm(v, fold); ok {
				terms = append(terms, storage.Key{Name: r.path, Value: t})
			}
		})
	}
	terms = sortedKeys(terms)
	return slices.Compact(terms)
}

// eachAt calls fn with every value at segs below v, where a "*" segment
// stands for each element of an array and any other segment names an
// object member (as a filter's path does: it never indexes an array).
func eachAt(v any, segs []string, fn func(any)) {
	if len(segs) == 0 {
		fn(v)
		return
	}
	if segs[0] == "*" {
		arr, _ := v.([]any)
		for _, el := range arr {
			eachAt(el, segs[1:], fn)
		}
		return
	}
	if m, ok := v.(map[string]any); ok {
		if next, ok := m[segs[0]]; ok {
			eachAt(next, segs[1:], fn)
		}
	}
}

// termHint returns the Term hint of an Eq term on r comparing with v, or
// nil when r is not indexed or v has no index term.
func termHint(r *rule, v any) *storage.Key {
	if !indexedRule(r) {
		return nil
	}
	t, ok := storage.IndexTerm(v, !r.f.Query.CaseExact)
	if !ok {
		return nil
	}
	return &storage.Key{Name: r.path, Value: t}
}

// withTerms wraps fn so that the record it writes carries the index terms
// of its new document.
func (s *schema) withTerms(fn storage.Updater) storage.Updater {
	return func(rec *storage.Record) (*storage.Event, error) {
		ev, err := fn(rec)
		if err == nil && ev != nil {
			rec.Terms = s.computeTerms(rec.Doc)
		}
		return ev, err
	}
}

// update runs fn on the record in the store, keeping its index terms.
func (e *Engine) update(ctx context.Context, s *schema, typ, id string, fn storage.Updater) (*storage.Record, error) {
	return e.store.Update(ctx, typ, id, s.withTerms(fn))
}
