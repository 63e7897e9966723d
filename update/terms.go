package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

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
	terms = storage.SortedKeys(terms)
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

// setTerms gives rec the index terms of its document. When they are the
// terms rec holds, rec keeps its slice: a store can tell from the same
// slice that the record's term index needs no work (the memory store
// does), as it can from Keys.
func (s *schema) setTerms(rec *storage.Record) {
	if terms := s.computeTerms(rec.Doc); !slices.Equal(terms, rec.Terms) {
		rec.Terms = terms
	}
}

// withTerms wraps fn so that the record it writes carries the index terms
// of its new document.
func (s *schema) withTerms(fn storage.Updater) storage.Updater {
	return func(rec *storage.Record) (*storage.Event, error) {
		ev, err := fn(rec)
		if err == nil && ev != nil {
			s.setTerms(rec)
		}
		return ev, err
	}
}

// update runs fn on the record in the store, keeping its index terms.
func (e *Engine) update(ctx context.Context, s *schema, typ, id string, fn storage.Updater) (*storage.Record, error) {
	return e.store.Update(ctx, typ, id, s.withTerms(fn))
}

// termsRecheck is how long a type whose index terms were found incomplete
// waits before the engine looks again (another process may have run Rekey).
const termsRecheck = 30 * time.Second

// termsState remembers, per type, whether every stored record holds the
// index terms of the schema's indexed fields, so that a term hint cannot
// hide a record written before a field was indexed.
type termsState struct {
	mu      sync.Mutex
	ready   map[string]bool
	checked map[string]time.Time // when an incomplete type was last looked at
}

// termsFingerprint names the set of indexed fields and how each folds;
// the store's meta holds it once the terms of every record are complete.
func (s *schema) termsFingerprint() string {
	parts := make([]string, 0, len(s.indexed))
	for _, r := range s.indexed {
		parts = append(parts, fmt.Sprintf("%s\x00%t", r.path, r.f.Query.CaseExact))
	}
	slices.Sort(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x01")))
	return hex.EncodeToString(sum[:])
}

// termsMetaName is the storage.Meta name under which a type's complete
// terms are recorded.
func termsMetaName(typ string) string {
	sum := sha256.Sum256([]byte(typ))
	return "terms/" + hex.EncodeToString(sum[:16])
}

// termsUsable reports whether List may start eq terms on s's indexed
// fields from the term index: every stored record of the type holds the
// terms of the current indexed fields. That is so once the store's meta
// records this set of fields (Rekey writes it), or once the type is found
// empty, which the engine then records. A store without storage.Meta is
// tracked by this engine alone. Until then, List filters by scanning,
// which is slower but misses nothing.
func (e *Engine) termsUsable(ctx context.Context, s *schema) bool {
	if len(s.indexed) == 0 {
		return false
	}
	t := &e.terms
	t.mu.Lock()
	if t.ready[s.name] {
		t.mu.Unlock()
		return true
	}
	if last, ok := t.checked[s.name]; ok && e.now().Sub(last) < termsRecheck {
		t.mu.Unlock()
		return false
	}
	if t.checked == nil {
		t.checked = map[string]time.Time{}
	}
	t.checked[s.name] = e.now()
	t.mu.Unlock()

	if m, ok := e.store.(storage.Meta); ok {
		if v, err := m.GetMeta(ctx, termsMetaName(s.name)); err == nil && v == s.termsFingerprint() {
			e.setTermsReady(s.name)
			return true
		}
	}
	q, ok := e.store.(storage.Querier)
	if !ok {
		return false
	}
	if page, err := q.List(ctx, storage.Query{Type: s.name, Limit: 1}); err != nil || len(page.Records) > 0 {
		return false
	}
	return e.markTerms(ctx, s)
}

// markTerms records that every stored record of s's type holds its terms.
func (e *Engine) markTerms(ctx context.Context, s *schema) bool {
	if len(s.indexed) == 0 {
		return false
	}
	if m, ok := e.store.(storage.Meta); ok {
		if err := m.SetMeta(ctx, termsMetaName(s.name), s.termsFingerprint()); err != nil {
			return false
		}
	}
	e.setTermsReady(s.name)
	return true
}

func (e *Engine) setTermsReady(typ string) {
	e.terms.mu.Lock()
	defer e.terms.mu.Unlock()
	if e.terms.ready == nil {
		e.terms.ready = map[string]bool{}
	}
	e.terms.ready[typ] = true
}

// stripTerms removes every Term hint from f.
func stripTerms(f *storage.Filter) {
	if f == nil {
		return
	}
	f.Term = nil
	for i := range f.Args {
		stripTerms(&f.Args[i])
	}
}
