package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// term returns the index term of v under name, as IndexTerm makes it.
func term(tb testing.TB, name string, v any, fold bool) storage.Key {
	tb.Helper()
	t, ok := storage.IndexTerm(v, fold)
	require.True(tb, ok, "IndexTerm(%v)", v)
	return storage.Key{Name: name, Value: t}
}

// hinted returns the Eq term f with a Term hint for its value.
func hinted(tb testing.TB, f storage.Filter, name string) storage.Filter {
	tb.Helper()
	t := term(tb, name, f.Value, f.Fold)
	f.Term = &t
	return f
}

func createTerms(tb testing.TB, s storage.Store, id string, doc map[string]any, terms ...storage.Key) {
	tb.Helper()
	rec := newRecord(id)
	rec.Doc, rec.Terms = doc, terms
	require.NoError(tb, s.Create(context.Background(), rec, createEvent()))
}

func countOf(tb testing.TB, q storage.Querier, f storage.Filter) int {
	tb.Helper()
	n, err := q.Count(context.Background(), userType, &f)
	require.NoError(tb, err)
	return n
}

func runTerms(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("IndexTermIsCanonical", func(t *testing.T) {
		for _, pair := range [][2]any{
			{num("1.5"), num("1.50")}, {num("150"), num("1.5e2")}, {num("-0.0"), num("0")},
		} {
			a, _ := storage.IndexTerm(pair[0], false)
			b, _ := storage.IndexTerm(pair[1], false)
			assert.Equal(t, a, b, "%v and %v", pair[0], pair[1])
		}
		a, _ := storage.IndexTerm("Zürich", true)
		b, _ := storage.IndexTerm("ZÜRICH", true)
		assert.Equal(t, a, b, "folded strings")
		a, _ = storage.IndexTerm("Zürich", false)
		assert.NotEqual(t, a, b, "exact and folded")
		n, _ := storage.IndexTerm(num("1"), false)
		str, _ := storage.IndexTerm("1", false)
		tr, _ := storage.IndexTerm(true, false)
		assert.NotEqual(t, n, str, "a number and a string")
		assert.NotEqual(t, tr, str)
		_, ok := storage.IndexTerm(map[string]any{}, false)
		assert.False(t, ok, "objects are not indexed")
		_, ok = storage.IndexTerm(string(make([]byte, 1024)), false)
		assert.False(t, ok, "a term longer than a store indexes")
	})

	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		q := querier(t, s)
		zurich, geneva := term(t, "/city", "Zürich", true), term(t, "/city", "Geneva", true)
		tag := term(t, "/tags/*", "a", false)
		createTerms(t, s, "u1", map[string]any{"city": "Zürich", "tags": []any{"a"}}, zurich, tag)
		got := mustGet(t, s, "u1")
		assert.ElementsMatch(t, []storage.Key{zurich, tag}, got.Terms, "Get")
		page, err := q.List(ctx, storage.Query{Type: userType})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		assert.ElementsMatch(t, []storage.Key{zurich, tag}, page.Records[0].Terms, "List")

		// An updater that leaves Terms alone keeps them; one that sets
		// them replaces them.
		_, err = s.Update(ctx, userType, "u1", setDoc(map[string]any{"city": "Zürich", "tags": []any{"a"}, "n": num("1")}, at(1)))
		require.NoError(t, err)
		assert.ElementsMatch(t, []storage.Key{zurich, tag}, mustGet(t, s, "u1").Terms, "untouched")
		up, err := s.Update(ctx, userType, "u1", func(r *storage.Record) (*storage.Event, error) {
			r.Doc = map[string]any{"city": "Geneva", "tags": []any{"a"}}
			r.Terms = []storage.Key{tag, geneva}
			return &storage.Event{Time: at(2), Kind: "update"}, nil
		})
		require.NoError(t, err)
		assert.ElementsMatch(t, []storage.Key{geneva, tag}, up.Terms, "returned by Update")
		assert.ElementsMatch(t, []storage.Key{geneva, tag}, mustGet(t, s, "u1").Terms, "replaced")
		assert.Zero(t, countOf(t, q, hinted(t, folded(leaf(storage.Eq, "/city", "zürich")), "/city")), "the old term is gone")
		assert.Equal(t, 1, countOf(t, q, hinted(t, folded(leaf(storage.Eq, "/city", "GENEVA")), "/city")))
	})

	t.Run("HintIsAConjunct", func(t *testing.T) {
		s := newStore(t)
		q := querier(t, s)
		zurich := term(t, "/city", "zürich", true)
		createTerms(t, s, "u1", map[string]any{"city": "Zürich"}, zurich)
		createTerms(t, s, "u2", map[string]any{"city": "ZÜRICH"}, zurich)
		createTerms(t, s, "u3", map[string]any{"city": "Geneva"}, zurich) // holds the term, fails the comparison
		createTerms(t, s, "u4", map[string]any{"city": "zurich"})
		createTerms(t, s, "u5", map[string]any{"city": "zürich"}) // matches, but holds no term
		eq := hinted(t, folded(leaf(storage.Eq, "/city", "Zürich")), "/city")
		assert.Equal(t, []string{"u1", "u2"}, listIDs(t, q, storage.Query{Type: userType, Filter: &eq}))
		assert.Equal(t, 2, countOf(t, q, eq))

		both := and(eq, leaf(storage.Pr, "/city", nil))
		assert.Equal(t, []string{"u1", "u2"}, listIDs(t, q, storage.Query{Type: userType, Filter: &both}), "operand of and")

		// Where it need not hold, a hint is ignored.
		neg := not(eq)
		assert.Equal(t, []string{"u3", "u4"}, listIDs(t, q, storage.Query{Type: userType, Filter: &neg}), "under not")
		either := or(eq, leaf(storage.Eq, "/city", "zurich"))
		assert.Equal(t, []string{"u1", "u2", "u4", "u5"}, listIDs(t, q, storage.Query{Type: userType, Filter: &either}), "under or")

		require.NoError(t, s.Delete(ctx, userType, "u2"))
		assert.Equal(t, []string{"u1"}, listIDs(t, q, storage.Query{Type: userType, Filter: &eq}), "after a delete")
	})

	t.Run("HintInsideAny", func(t *testing.T) {
		s := newStore(t)
		q := querier(t, s)
		emails := func(vals ...string) (map[string]any, []storage.Key) {
			var els []any
			var terms []storage.Key
			for i, v := range vals {
				els = append(els, map[string]any{"type": []string{"work", "home"}[i%2], "value": v})
				terms = append(terms, term(t, "/emails/*/value", v, true))
			}
			return map[string]any{"emails": els}, terms
		}
		for i, vals := range [][]string{{"Ada@Example.com"}, {"x@example.com", "ada@example.com"}, {"bob@example.com"}} {
			doc, terms := emails(vals...)
			createTerms(t, s, id(i), doc, terms...)
		}
		value := hinted(t, folded(leaf(storage.Eq, "/value", "ADA@example.com")), "/emails/*/value")
		f := anyOf("/emails", value)
		assert.Equal(t, []string{"u00", "u01"}, listIDs(t, q, storage.Query{Type: userType, Filter: &f}))
		work := and(anyOf("/emails", and(value, leaf(storage.Eq, "/type", "work"))), leaf(storage.Pr, "/emails", nil))
		assert.Equal(t, []string{"u00"}, listIDs(t, q, storage.Query{Type: userType, Filter: &work}))
	})

	t.Run("ManyRecordsShareATerm", func(t *testing.T) {
		s := newStore(t)
		q := querier(t, s)
		blue := term(t, "/colour", "blue", false)
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := newRecord(fmt.Sprintf("c%02d", i))
				rec.Doc, rec.Terms = map[string]any{"colour": "blue"}, []storage.Key{blue}
				errs <- s.Create(ctx, rec, createEvent())
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		f := hinted(t, leaf(storage.Eq, "/colour", "blue"), "/colour")
		assert.Equal(t, 32, countOf(t, q, f))
		page, err := q.List(ctx, storage.Query{Type: userType, Filter: &f, Limit: 10, Total: true})
		require.NoError(t, err)
		assert.Len(t, page.Records, 10)
		assert.Equal(t, 32, page.Total)
	})

	t.Run("BadHints", func(t *testing.T) {
		q := querier(t, newStore(t))
		for name, f := range map[string]storage.Filter{
			"OnNe":       {Op: storage.Ne, Path: "/a", Value: "x", Term: &storage.Key{Name: "/a", Value: "sx"}},
			"EmptyValue": {Op: storage.Eq, Path: "/a", Value: "x", Term: &storage.Key{Name: "/a"}},
			"NUL":        {Op: storage.Eq, Path: "/a", Value: "x", Term: &storage.Key{Name: "/a", Value: "s\x00"}},
		} {
			_, err := q.List(ctx, storage.Query{Type: userType, Filter: &f})
			assert.ErrorIs(t, err, storage.ErrBadQuery, name)
		}
	})
}
