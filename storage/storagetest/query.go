package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// RunQuery runs the listing suite: fixed semantics, bad queries, a
// differential test of random filters against the memory store as the
// oracle, cursor paging under concurrent writes, and index terms
// (Record.Terms, Filter.Term). The store must
// implement storage.Querier.
func RunQuery(t *testing.T, newStore NewStore) {
	t.Run("Semantics", func(t *testing.T) { runSemantics(t, newStore) })
	t.Run("BadQueries", func(t *testing.T) { runBadQueries(t, newStore) })
	t.Run("Differential", func(t *testing.T) { runDifferential(t, newStore) })
	t.Run("PagingUnderWrites", func(t *testing.T) { runPagingUnderWrites(t, newStore) })
	t.Run("Terms", func(t *testing.T) { runTerms(t, newStore) })
}

func querier(tb testing.TB, s storage.Store) storage.Querier {
	tb.Helper()
	q, ok := s.(storage.Querier)
	require.True(tb, ok, "%T does not implement storage.Querier", s)
	return q
}

func num(s string) json.Number { return json.Number(s) }

func leaf(op storage.Op, path string, v any) storage.Filter {
	return storage.Filter{Op: op, Path: path, Value: v}
}

func folded(f storage.Filter) storage.Filter { f.Fold = true; return f }

func and(fs ...storage.Filter) storage.Filter { return storage.Filter{Op: storage.And, Args: fs} }
func or(fs ...storage.Filter) storage.Filter  { return storage.Filter{Op: storage.Or, Args: fs} }
func not(f storage.Filter) storage.Filter {
	return storage.Filter{Op: storage.Not, Args: []storage.Filter{f}}
}
func anyOf(path string, f storage.Filter) storage.Filter {
	return storage.Filter{Op: storage.Any, Path: path, Args: []storage.Filter{f}}
}

// listIDs lists every match by cursor, pages of limit, and returns the IDs
// in order.
func listIDs(tb testing.TB, q storage.Querier, query storage.Query) []string {
	tb.Helper()
	var ids []string
	for range 1000 {
		page, err := q.List(context.Background(), query)
		require.NoError(tb, err)
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			return ids
		}
		query.After, query.Offset = page.Next, 0
	}
	tb.Fatal("listing did not end")
	return nil
}

func createDoc(tb testing.TB, s storage.Store, id string, doc map[string]any, keys ...storage.Key) {
	tb.Helper()
	rec := newRecord(id, keys...)
	rec.Doc = doc
	require.NoError(tb, s.Create(context.Background(), rec, createEvent()))
}

func runSemantics(t *testing.T, newStore NewStore) {
	s := newStore(t)
	q := querier(t, s)
	docs := map[string]map[string]any{
		"d1": {"name": "Kelvin", "n": num("1.50"), "t": "2026-01-01T01:00:00+01:00", "b": true,
			"emails": []any{map[string]any{"type": "work", "value": "Ann@Example.com"}, map[string]any{"type": "home", "value": "ann@home.org"}}},
		"d2": {"name": "\u212aelvin", "n": num("12345678901234567890.123456789"), "t": "2026-02-30T00:00:00Z", "empty": "",
			"emails": []any{map[string]any{"type": "home", "value": "bob@example.com"}}},
		"d3": {"name": "straße", "n": num("12345678901234567890.123456788"), "t": "2025-12-31T23:59:59.999999999Z", "b": false, "nul": nil},
		"d4": {"name": "STRASSE", "n": "1.5", "tags": []any{"x", num("2")}},
		"d5": {"name": nil, "n": num("-0"), "o": map[string]any{}},
	}
	for id, doc := range docs {
		createDoc(t, s, id, doc)
	}
	tests := []struct {
		name   string
		filter storage.Filter
		want   []string
	}{
		{"FoldKelvin", folded(leaf(storage.Eq, "/name", "kelvin")), []string{"d1", "d2"}},
		{"ExactKelvin", leaf(storage.Eq, "/name", "Kelvin"), []string{"d1"}},
		{"SimpleFoldingKeepsSharpS", folded(leaf(storage.Eq, "/name", "strasse")), []string{"d4"}},
		{"NumberExact", leaf(storage.Eq, "/n", num("1.5")), []string{"d1"}},
		{"NumberFullPrecision", leaf(storage.Gt, "/n", num("12345678901234567890.123456788")), []string{"d2"}},
		{"NegativeZero", leaf(storage.Eq, "/n", num("0")), []string{"d5"}},
		{"StringIsNotNumber", leaf(storage.Eq, "/n", "1.5"), []string{"d4"}},
		{"NeIncludesMissing", leaf(storage.Ne, "/b", true), []string{"d2", "d3", "d4", "d5"}},
		{"EqNullMatchesMissingAndNull", leaf(storage.Eq, "/nul", nil), []string{"d1", "d2", "d3", "d4", "d5"}},
		{"PresentSkipsNullAndEmpty", leaf(storage.Pr, "/name", nil), []string{"d1", "d2", "d3", "d4"}},
		{"PresentEmptyString", leaf(storage.Pr, "/empty", nil), nil},
		{"PresentEmptyObject", leaf(storage.Pr, "/o", nil), nil},
		{"TimeSameInstant", leaf(storage.Eq, "/t", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), []string{"d1"}},
		{"TimeNanosecond", leaf(storage.Lt, "/t", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), []string{"d3"}},
		{"SCIMEmails", anyOf("/emails", and(leaf(storage.Eq, "/type", "work"), folded(leaf(storage.Co, "/value", "@example.com")))), []string{"d1"}},
		{"AnyElementItself", anyOf("/tags", leaf(storage.Eq, "", num("2.0"))), []string{"d4"}},
		{"NotAny", not(anyOf("/emails", leaf(storage.Eq, "/type", "home"))), []string{"d3", "d4", "d5"}},
		{"Sw", folded(leaf(storage.Sw, "/name", "STRA")), []string{"d3", "d4"}},
		{"Ew", leaf(storage.Ew, "/name", "elvin"), []string{"d1", "d2"}},
		{"Or", or(leaf(storage.Eq, "/b", false), leaf(storage.Eq, "/name", "STRASSE")), []string{"d3", "d4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filter
			got := listIDs(t, q, storage.Query{Type: userType, Filter: &f})
			assert.ElementsMatch(t, tc.want, got)
			n, err := q.Count(context.Background(), userType, &f)
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), n)
		})
	}
	t.Run("ListedAsGetReadsThem", func(t *testing.T) {
		createDoc(t, s, "k1", map[string]any{"name": "keys"}, key("/email", "k1@example.com"), key("ext:crm", "42"))
		f := leaf(storage.Eq, "/name", "keys")
		for _, query := range []storage.Query{{Type: userType}, {Type: userType, Filter: &f}, {Type: userType, Sort: &storage.Sort{Path: "/name"}}} {
			page, err := q.List(context.Background(), query)
			require.NoError(t, err)
			require.NotEmpty(t, page.Records)
			for _, rec := range page.Records {
				assertSameRecord(t, mustGet(t, s, rec.ID), rec)
			}
		}
		require.NoError(t, s.Delete(context.Background(), userType, "k1"))
	})
	t.Run("SortTypesThenValues", func(t *testing.T) {
		got := listIDs(t, q, storage.Query{Type: userType, Sort: &storage.Sort{Path: "/n"}, Limit: 2})
		// absent none; numbers -0, 1.50, ...788, ...789; then the string.
		assert.Equal(t, []string{"d5", "d1", "d3", "d2", "d4"}, got)
		got = listIDs(t, q, storage.Query{Type: userType, Sort: &storage.Sort{Path: "/n", Desc: true}, Limit: 3})
		assert.Equal(t, []string{"d4", "d2", "d3", "d1", "d5"}, got)
	})
}

func runBadQueries(t *testing.T, newStore NewStore) {
	s := newStore(t)
	q := querier(t, s)
	mustCreate(t, s, newRecord("u1"))
	deep := leaf(storage.Eq, "/a", "x")
	for range storage.MaxFilterDepth {
		deep = not(deep)
	}
	page, err := q.List(context.Background(), storage.Query{Type: userType, Limit: 1, Sort: &storage.Sort{Path: "/name"}})
	require.NoError(t, err)
	mustCreate(t, s, newRecord("u2"))
	page, err = q.List(context.Background(), storage.Query{Type: userType, Limit: 1, Sort: &storage.Sort{Path: "/name"}})
	require.NoError(t, err)
	require.NotEmpty(t, page.Next)
	bad := map[string]storage.Query{
		"TooDeep":         {Type: userType, Filter: &deep},
		"UnknownOp":       {Type: userType, Filter: &storage.Filter{Op: "like", Path: "/a", Value: "x"}},
		"CoNumber":        {Type: userType, Filter: &storage.Filter{Op: storage.Co, Path: "/a", Value: num("1")}},
		"GtBool":          {Type: userType, Filter: &storage.Filter{Op: storage.Gt, Path: "/a", Value: true}},
		"GtNull":          {Type: userType, Filter: &storage.Filter{Op: storage.Gt, Path: "/a"}},
		"BadNumber":       {Type: userType, Filter: &storage.Filter{Op: storage.Eq, Path: "/a", Value: num("1e999999")}},
		"WrongValueType":  {Type: userType, Filter: &storage.Filter{Op: storage.Eq, Path: "/a", Value: 3.5}},
		"BadPointer":      {Type: userType, Filter: &storage.Filter{Op: storage.Eq, Path: "a", Value: "x"}},
		"QuoteInPointer":  {Type: userType, Filter: &storage.Filter{Op: storage.Eq, Path: `/a"b`, Value: "x"}},
		"LonelyAnd":       {Type: userType, Filter: &storage.Filter{Op: storage.And, Args: []storage.Filter{leaf(storage.Pr, "/a", nil)}}},
		"TooLong":         {Type: userType, Filter: &storage.Filter{Op: storage.Eq, Path: "/a", Value: strings.Repeat("x", storage.MaxFilterBytes)}},
		"LimitTooBig":     {Type: userType, Limit: storage.MaxLimit + 1},
		"OffsetAndCursor": {Type: userType, Offset: 1, After: page.Next, Sort: &storage.Sort{Path: "/name"}},
		"ForgedCursor":    {Type: userType, After: "not-a-cursor"},
		"CursorOtherSort": {Type: userType, After: page.Next, Sort: &storage.Sort{Path: "/name", Desc: true}},
		"NoType":          {},
	}
	for name, query := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := q.List(context.Background(), query)
			require.ErrorIs(t, err, storage.ErrBadQuery)
			var qe *storage.QueryError
			require.ErrorAs(t, err, &qe)
			assert.NotEmpty(t, qe.Reason)
			if query.Filter != nil {
				_, err = q.Count(context.Background(), userType, query.Filter)
				assert.ErrorIs(t, err, storage.ErrBadQuery)
			}
		})
	}
}

// Value pools for the random documents and filters: case variants that
// simple folding does and does not join, numbers equal in value but not in
// text, numbers beyond float64, date-times that denote the same instant and
// strings that only look like date-times.
var (
	poolStrings = []string{"", "a", "A", "ab", "Ab", "b", "straße", "STRASSE", "Straße", "ǅ", "ǆ", "Ǆ", "K", "k", "\u212a",
		"é", "É", "e\u0301", "ς", "σ", "Σ", "x@example.com", "X@EXAMPLE.COM", "work", "Work", "home", "İ", "i", "ı", "I",
		"😀", "z", "10", "9", "1.5", "true", "null", "2026-01-01T00:00:00Z", "a b", "ab%", "a_b"}
	poolNumbers = []string{"0", "-0", "0.0", "1", "1.0", "1.50", "1.5", "-1.5", "2", "10", "1e1", "100", "1E2",
		"12345678901234567890.123456789", "12345678901234567890.123456788", "9007199254740993", "9007199254740992",
		"-3", "0.1", "0.10000000000000000001", "1e-7", "-1e-7", "123e-2", "-12345678901234567890"}
	poolTimes = []string{"2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00.000000001Z",
		"2026-01-01t00:00:00z", "2025-12-31T23:59:59.999999999Z", "2026-02-30T00:00:00Z", "2026-01-01",
		"2026-01-01T24:00:00Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "2026-01-01T00:00:00.1234567891Z",
		"2025-12-31T19:00:00-05:00", "2026-06-15T12:30:00.25+05:30"}
	poolInstants = []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
		time.Date(2026, 6, 15, 7, 0, 0, 250000000, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	docPaths = []string{"/s", "/n", "/b", "/t", "/x", "/o/s", "/o/n", "/missing", "/a~0b", "/c~1d", "/u", "/emails", "/tags"}
	subPaths = []string{"/type", "/value", "/primary", "", "/n"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randScalar(r *rand.Rand) any {
	switch r.IntN(6) {
	case 0:
		return pick(r, poolStrings)
	case 1:
		return num(pick(r, poolNumbers))
	case 2:
		return r.IntN(2) == 0
	case 3:
		return nil
	case 4:
		return pick(r, poolTimes)
	}
	return pick(r, poolStrings)
}

func randDoc(r *rand.Rand, i int) map[string]any {
	doc := map[string]any{"u": fmt.Sprintf("U%03d", i)}
	maybe := func(name string, v func() any) {
		if r.IntN(5) > 0 {
			doc[name] = v()
		}
	}
	maybe("s", func() any { return pick(r, poolStrings) })
	maybe("n", func() any { return num(pick(r, poolNumbers)) })
	maybe("b", func() any { return r.IntN(2) == 0 })
	maybe("t", func() any { return pick(r, poolTimes) })
	maybe("a~b", func() any { return pick(r, poolStrings) })
	maybe("c/d", func() any { return num(pick(r, poolNumbers)) })
	maybe("x", func() any {
		switch r.IntN(4) {
		case 0:
			return []any{randScalar(r)}
		case 1:
			return map[string]any{"s": pick(r, poolStrings)}
		}
		return randScalar(r)
	})
	maybe("o", func() any {
		o := map[string]any{}
		if r.IntN(3) > 0 {
			o["s"] = pick(r, poolStrings)
		}
		if r.IntN(3) > 0 {
			o["n"] = num(pick(r, poolNumbers))
		}
		return o
	})
	maybe("emails", func() any {
		if r.IntN(6) == 0 {
			return map[string]any{"type": "work", "value": "not@an.array"}
		}
		els := []any{}
		for range r.IntN(4) {
			el := map[string]any{"type": pick(r, []string{"work", "home", "Work", "other"}), "value": pick(r, poolStrings)}
			if r.IntN(2) == 0 {
				el["primary"] = r.IntN(2) == 0
			}
			els = append(els, el)
		}
		return els
	})
	maybe("tags", func() any {
		els := []any{}
		for range r.IntN(4) {
			els = append(els, randScalar(r))
		}
		return els
	})
	return doc
}

func randLeaf(r *rand.Rand, paths []string) storage.Filter {
	for {
		f := storage.Filter{Op: pick(r, []storage.Op{storage.Eq, storage.Ne, storage.Co, storage.Sw, storage.Ew,
			storage.Gt, storage.Ge, storage.Lt, storage.Le, storage.Pr, storage.Eq, storage.Eq}), Path: pick(r, paths)}
		switch r.IntN(6) {
		case 0, 1:
			f.Value = pick(r, poolStrings)
			f.Fold = r.IntN(2) == 0
		case 2:
			f.Value = num(pick(r, poolNumbers))
		case 3:
			f.Value = r.IntN(2) == 0
		case 4:
			f.Value = pick(r, poolInstants)
		case 5:
			f.Value = nil
		}
		if f.Op == storage.Pr {
			f.Value = nil
		}
		if f.Path == "/u" && f.Op == storage.Eq && r.IntN(2) == 0 {
			u := fmt.Sprintf("U%03d", r.IntN(80))
			f.Value, f.Fold = u, false
			f.Key = &storage.Key{Name: "/u", Value: u}
		}
		if f.Path == "/s" && f.Op == storage.Eq && f.Fold && r.IntN(2) == 0 {
			if t, ok := storage.IndexTerm(f.Value, true); ok {
				f.Term = &storage.Key{Name: "/s", Value: t}
			}
		}
		if f.Validate() == nil {
			return f
		}
	}
}

func randFilter(r *rand.Rand, depth int, paths []string, sub bool) storage.Filter {
	if depth <= 0 || r.IntN(3) == 0 {
		return randLeaf(r, paths)
	}
	switch r.IntN(5) {
	case 0:
		return not(randFilter(r, depth-1, paths, sub))
	case 1:
		if !sub {
			path := pick(r, []string{"/emails", "/tags", "/x", "/s"})
			f := anyOf(path, randFilter(r, depth-1, subPaths, true))
			if path == "/emails" {
				hintEmailValues(r, &f.Args[0])
			}
			return f
		}
		fallthrough
	case 2:
		return or(randFilter(r, depth-1, paths, sub), randFilter(r, depth-1, paths, sub))
	}
	args := []storage.Filter{randFilter(r, depth-1, paths, sub), randFilter(r, depth-1, paths, sub)}
	if r.IntN(3) == 0 {
		args = append(args, randFilter(r, depth-1, paths, sub))
	}
	return and(args...)
}

// hintEmailValues gives folded Eq terms on /value, where TermHint looks
// inside an Any over /emails, a Term hint half of the time.
func hintEmailValues(r *rand.Rand, f *storage.Filter) {
	switch {
	case f.Op == storage.And:
		for i := range f.Args {
			hintEmailValues(r, &f.Args[i])
		}
	case f.Op == storage.Eq && f.Path == "/value" && f.Fold && r.IntN(2) == 0:
		if t, ok := storage.IndexTerm(f.Value, true); ok {
			f.Term = &storage.Key{Name: "/emails/*/value", Value: t}
		}
	}
}

// docTerms returns the index terms of a random document: /s and the
// values of the /emails elements, folded.
func docTerms(doc map[string]any) []storage.Key {
	var terms []storage.Key
	add := func(name string, v any) {
		if t, ok := storage.IndexTerm(v, true); ok {
			if k := (storage.Key{Name: name, Value: t}); !slices.Contains(terms, k) {
				terms = append(terms, k)
			}
		}
	}
	if v, ok := doc["s"].(string); ok {
		add("/s", v)
	}
	els, _ := doc["emails"].([]any)
	for _, el := range els {
		if v, ok := el.(map[string]any)["value"].(string); ok {
			add("/emails/*/value", v)
		}
	}
	return terms
}

// DifferentialCases is how many random queries the differential test runs
// per backend; with -short (the race run) a quarter of them.
const DifferentialCases = 2000

func runDifferential(t *testing.T, newStore NewStore) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 14))
	s := newStore(t)
	q := querier(t, s)
	oracle := memory.New()
	t.Cleanup(func() { _ = oracle.Close() })
	for i := range 80 {
		doc := randDoc(r, i)
		for _, st := range []storage.Store{s, oracle} {
			rec := newRecord(fmt.Sprintf("r%03d", i), key("/u", doc["u"].(string)))
			rec.Doc, rec.Terms = doc, docTerms(doc)
			require.NoError(t, st.Create(context.Background(), rec, createEvent()))
		}
	}
	ctx := context.Background()
	cases := DifferentialCases
	if testing.Short() {
		cases /= 4
	}
	for c := range cases {
		f := randFilter(r, 4, docPaths, false)
		query := storage.Query{Type: userType, Filter: &f, Limit: 1 + r.IntN(40), Total: r.IntN(2) == 0}
		if r.IntN(3) > 0 {
			query.Sort = &storage.Sort{Path: pick(r, docPaths), Desc: r.IntN(2) == 0, Fold: r.IntN(2) == 0}
		}
		if r.IntN(4) == 0 {
			query.Offset = r.IntN(20)
		}
		want, err := oracle.List(ctx, query)
		require.NoError(t, err)
		got, err := q.List(ctx, query)
		fj, _ := json.Marshal(query)
		require.NoError(t, err, "case %d: %s", c, fj)
		require.Equal(t, recordIDs(want.Records), recordIDs(got.Records), "case %d: %s", c, fj)
		require.Equal(t, want.Total, got.Total, "case %d: %s", c, fj)
		require.Equal(t, want.Next == "", got.Next == "", "case %d: %s", c, fj)
		if got.Next != "" && c%4 == 0 {
			query.Offset = 0
			query.After = got.Next
			wantRest := listIDs(t, oracle, query)
			query.After = want.Next
			gotRest := listIDs(t, q, query)
			require.Equal(t, wantRest, gotRest, "case %d, later pages: %s", c, fj)
		}
		if c%10 == 0 {
			wantN, err := oracle.Count(ctx, userType, &f)
			require.NoError(t, err)
			gotN, err := q.Count(ctx, userType, &f)
			require.NoError(t, err)
			require.Equal(t, wantN, gotN, "case %d: count %s", c, fj)
		}
	}
}

func recordIDs(recs []*storage.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// runPagingUnderWrites pages through records by cursor while other
// records are created and deleted: every record that exists throughout
// appears exactly once, in order.
func runPagingUnderWrites(t *testing.T, newStore NewStore) {
	s := newStore(t)
	q := querier(t, s)
	const n = 120
	for i := range n {
		createDoc(t, s, fmt.Sprintf("p%03d", i), map[string]any{"rank": num(fmt.Sprint(i % 17))})
	}
	for _, sort := range []*storage.Sort{nil, {Path: "/rank"}, {Path: "/rank", Desc: true}} {
		seen := map[string]int{}
		var writes int
		var order []*storage.Record
		query := storage.Query{Type: userType, Sort: sort, Limit: 7}
		for {
			page, err := q.List(context.Background(), query)
			require.NoError(t, err)
			for _, r := range page.Records {
				seen[r.ID]++
				order = append(order, r)
			}
			if page.Next == "" {
				break
			}
			query.After = page.Next
			// Writes between pages, before and after the cursor: new
			// records and deleted ones, whose IDs ands differ from the set's.
			var wg sync.WaitGroup
			for w := range 4 {
				writes++
				id := fmt.Sprintf("p%03d-%d", (writes*37+w*11)%n, writes)
				rec := newRecord(id)
				rec.Doc = map[string]any{"rank": num(fmt.Sprint((writes + w) % 19))}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if s.Create(context.Background(), rec, createEvent()) == nil && w%2 == 0 {
						assert.NoError(t, s.Delete(context.Background(), userType, id))
					}
				}()
			}
			wg.Wait()
		}
		for i := range n {
			assert.Equal(t, 1, seen[fmt.Sprintf("p%03d", i)], "record p%03d, sort %+v", i, sort)
		}
		for i := 1; i < len(order); i++ {
			assert.Negative(t, sort.CompareForSort(order[i-1], order[i]), "order at %d", i)
		}
	}
}
