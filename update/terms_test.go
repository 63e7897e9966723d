package update_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// indexedPolicy is userPolicy with queryable fields: an indexed city
// (folded), an indexed case-exact code, indexed email values of a plural,
// and the unique username compared case-insensitively.
func indexedPolicy(indexed bool) *update.Policy {
	p := userPolicy()
	f := p.Types["user"].Fields
	f["/username"].Query = &update.Queryable{}
	f["/primaryAddress/city"].Query = &update.Queryable{Indexed: indexed}
	f["/nickName"].Query = &update.Queryable{Indexed: indexed, CaseExact: true}
	f["/emails"] = &update.Field{Type: update.TypeArray}
	f["/emails/*/value"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{Indexed: indexed}}
	return p
}

// spyStore records the filters List receives; it has the store's Meta
// when the store has.
type spyStore struct {
	storage.Store
	mu      sync.Mutex
	filters []*storage.Filter
}

func (s *spyStore) List(ctx context.Context, q storage.Query) (*storage.Page, error) {
	s.mu.Lock()
	s.filters = append(s.filters, q.Filter)
	s.mu.Unlock()
	return s.Store.(storage.Querier).List(ctx, q)
}

func (s *spyStore) Count(ctx context.Context, typ string, f *storage.Filter) (int, error) {
	return s.Store.(storage.Querier).Count(ctx, typ, f)
}

func (s *spyStore) GetMeta(ctx context.Context, name string) (string, error) {
	if m, ok := s.Store.(storage.Meta); ok {
		return m.GetMeta(ctx, name)
	}
	return "", storage.ErrNotFound
}

func (s *spyStore) InitMeta(ctx context.Context, name, value string) (string, error) {
	return s.Store.(storage.Meta).InitMeta(ctx, name, value)
}

func (s *spyStore) SetMeta(ctx context.Context, name, value string) error {
	if m, ok := s.Store.(storage.Meta); ok {
		return m.SetMeta(ctx, name, value)
	}
	return nil
}

func (s *spyStore) last() *storage.Filter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filters[len(s.filters)-1]
}

func createIndexed(t *testing.T, eng *update.Engine) {
	t.Helper()
	for i, d := range []string{
		`{"familyName":"Ash","username":"Ann","nickName":"AA","primaryAddress":{"city":"Zürich"},"emails":[{"value":"Ann@Example.com"},{"value":"a2@example.com"}]}`,
		`{"familyName":"Bo","username":"bob","nickName":"aa","primaryAddress":{"city":"ZÜRICH"},"emails":[{"value":"bob@example.com"}]}`,
		`{"familyName":"Cy","username":"cid","primaryAddress":{"city":"Basel"}}`,
	} {
		_, err := eng.Create(context.Background(), update.CreateRequest{Type: "user", ID: fmt.Sprintf("i%d", i+1), Client: "admin", Doc: doc(t, d)})
		require.NoError(t, err)
	}
}

func eqFilter(path string, v any) *storage.Filter {
	return &storage.Filter{Op: storage.Eq, Path: path, Value: v}
}

func TestIndexedFields(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		filter *storage.Filter
		want   []string
		term   *storage.Key // the hint the store receives
	}{
		{"FoldedByPolicy", eqFilter("/primaryAddress/city", "zürich"), []string{"i1", "i2"},
			&storage.Key{Name: "/primaryAddress/city", Value: "sZÜRICH"}},
		{"CaseExact", eqFilter("/nickName", "aa"), []string{"i2"}, &storage.Key{Name: "/nickName", Value: "saa"}},
		{"UniqueComparedCaseInsensitively", eqFilter("/username", "ANN"), []string{"i1"}, &storage.Key{Name: "/username", Value: "sANN"}},
		{"InsidePlural", &storage.Filter{Op: storage.Any, Path: "/emails", Args: []storage.Filter{*eqFilter("/value", "ann@example.COM")}},
			[]string{"i1"}, &storage.Key{Name: "/emails/*/value", Value: "sANN@EXAMPLE.COM"}},
		{"AnOperandOfAnd", &storage.Filter{Op: storage.And, Args: []storage.Filter{
			*eqFilter("/primaryAddress/city", "Zürich"), {Op: storage.Pr, Path: "/nickName"}}}, []string{"i1", "i2"},
			&storage.Key{Name: "/primaryAddress/city", Value: "sZÜRICH"}},
	}

	t.Run("HintsReachTheStore", func(t *testing.T) {
		spy := &spyStore{Store: memory.New()}
		f := newFixture(t, spy, indexedPolicy(true))
		createIndexed(t, f.eng)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				assert.Equal(t, tc.want, listed(t, f, update.ListRequest{Filter: tc.filter}))
				assert.Equal(t, tc.term, spy.last().TermHint())
			})
		}
		t.Run("NotUnderNot", func(t *testing.T) {
			assert.Equal(t, []string{"i3"}, listed(t, f, update.ListRequest{Filter: &storage.Filter{Op: storage.Not,
				Args: []storage.Filter{*eqFilter("/primaryAddress/city", "zürich")}}}))
			assert.Nil(t, spy.last().TermHint())
		})
	})

	each(t, func(t *testing.T, open opener) {
		store := open(t)
		f := newFixture(t, store, indexedPolicy(true))
		createIndexed(t, f.eng)
		rec, err := store.Get(ctx, "user", "i1")
		require.NoError(t, err)
		assert.ElementsMatch(t, []storage.Key{
			{Name: "/emails/*/value", Value: "sA2@EXAMPLE.COM"}, {Name: "/emails/*/value", Value: "sANN@EXAMPLE.COM"},
			{Name: "/nickName", Value: "sAA"}, {Name: "/primaryAddress/city", Value: "sZÜRICH"}, {Name: "/username", Value: "sANN"},
		}, rec.Terms, "the terms the engine stores")
		for _, tc := range cases {
			assert.Equal(t, tc.want, listed(t, f, update.ListRequest{Filter: tc.filter}), tc.name)
		}

		// A write moves the terms with the value.
		_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("i2"), Client: "admin",
			Mode: update.Merge, Doc: doc(t, `{"primaryAddress":{"city":"Basel"}}`)})
		require.NoError(t, err)
		assert.Equal(t, []string{"i1"}, listed(t, f, update.ListRequest{Filter: eqFilter("/primaryAddress/city", "ZÜRICH")}), "i2 no longer holds the term")
		assert.Equal(t, []string{"i1"}, listed(t, f, update.ListRequest{Filter: eqFilter("/primaryAddress/city", "zürich")}))
		assert.Equal(t, []string{"i2", "i3"}, listed(t, f, update.ListRequest{Filter: eqFilter("/primaryAddress/city", "basel")}))
		n, err := f.eng.Count(ctx, update.CountRequest{Type: "user", Client: "reader", Filter: eqFilter("/primaryAddress/city", "BASEL")})
		require.NoError(t, err)
		assert.Equal(t, 2, n)
	})
}

// TestRekeyIndexesExistingRecords: records written before a field became
// Indexed hold no terms, so a term lookup would miss them. Until Rekey has
// given every record its terms, List answers by scanning and misses
// nothing; then it starts from the term index.
func TestRekeyIndexesExistingRecords(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			store := b.open(t)
			before, err := update.New(store, indexedPolicy(false))
			require.NoError(t, err)
			createIndexed(t, before)
			rec, err := store.Get(ctx, "user", "i1")
			require.NoError(t, err)
			assert.Equal(t, []storage.Key{{Name: "/username", Value: "sANN"}}, rec.Terms, "only the folded unique field")

			// A second engine with the new policy, as after a restart.
			spy := &spyStore{Store: store}
			f := newFixture(t, spy, indexedPolicy(true))
			city := eqFilter("/primaryAddress/city", "zürich")
			assert.Equal(t, []string{"i1", "i2"}, listed(t, f, update.ListRequest{Filter: city}), "found by a scan")
			assert.Nil(t, spy.last().TermHint(), "no hint while records lack their terms")
			rep, err := f.eng.Rekey(ctx, "user", false)
			require.NoError(t, err)
			assert.Equal(t, 3, rep.Rekeyed)
			assert.Equal(t, []string{"i1", "i2"}, listed(t, f, update.ListRequest{Filter: city}))
			assert.NotNil(t, spy.last().TermHint(), "from the term index once Rekey is done")
			rep, err = f.eng.Rekey(ctx, "user", false)
			require.NoError(t, err)
			assert.Zero(t, rep.Rekeyed, "nothing left to do")

			// An engine started later learns it from the store (memory
			// keeps nothing beyond its engine, so it scans until Rekey).
			if _, ok := store.(storage.Meta); ok {
				spy2 := &spyStore{Store: store}
				g := newFixture(t, spy2, indexedPolicy(true))
				assert.Equal(t, []string{"i1", "i2"}, listed(t, g, update.ListRequest{Filter: city}))
				assert.NotNil(t, spy2.last().TermHint())
			}
		})
	}
}

func TestIndexedDateTimeIsRefused(t *testing.T) {
	p := userPolicy()
	p.Types["user"].Fields["/lastLogin"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{DateTime: true, Indexed: true}}
	_, err := update.New(memory.New(), p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "indexed does not apply to a dateTime field")
}

// keptSpy remembers, for each Update, whether the record the updater
// leaves holds the very keys and terms slices it was given.
type keptSpy struct {
	*memory.Store
	keys, terms []bool
}

func (s *keptSpy) Update(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	return s.Store.Update(ctx, typ, id, func(rec *storage.Record) (*storage.Event, error) {
		keys, terms := rec.Keys, rec.Terms
		ev, err := fn(rec)
		same := func(a, b []storage.Key) bool { return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0] }
		s.keys = append(s.keys, same(keys, rec.Keys))
		s.terms = append(s.terms, same(terms, rec.Terms))
		return ev, err
	})
}

// TestUnchangedTermsKeepTheirSlice: an update that leaves the indexed
// values as they were hands the store back the record's own terms slice,
// which is how a store (the memory store) knows to skip its term index.
// An update of an indexed value gives the record its new terms.
func TestUnchangedTermsKeepTheirSlice(t *testing.T) {
	ctx := context.Background()
	spy := &keptSpy{Store: memory.New()}
	f := newFixture(t, spy, indexedPolicy(true))
	createIndexed(t, f.eng)
	apply := func(patch string) {
		t.Helper()
		_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("i1"), Client: "admin",
			Mode: update.Merge, Doc: doc(t, patch)})
		require.NoError(t, err)
	}
	apply(`{"familyName":"Ashby"}`)
	apply(`{"primaryAddress":{"city":"zürich"}}`) // another value, the same folded term
	apply(`{"primaryAddress":{"city":"Basel"}}`)
	assert.Equal(t, []bool{true, true, false}, spy.terms)
	rec, err := spy.Get(ctx, "user", "i1")
	require.NoError(t, err)
	assert.Contains(t, rec.Terms, storage.Key{Name: "/primaryAddress/city", Value: "sBASEL"})
	assert.NotContains(t, rec.Terms, storage.Key{Name: "/primaryAddress/city", Value: "sZÜRICH"})
	assert.Equal(t, []string{"i1", "i3"}, listed(t, f, update.ListRequest{Filter: eqFilter("/primaryAddress/city", "basel")}))
	assert.Equal(t, []string{"i2"}, listed(t, f, update.ListRequest{Filter: eqFilter("/primaryAddress/city", "zürich")}))
}

// TestUnchangedKeysKeepTheirSlice: an update that makes the engine
// recompute a record's unique keys (here a phone change, which adds a
// pending verification) but leaves them as they were hands the store back
// the record's own keys slice; a change of a unique value does not.
func TestUnchangedKeysKeepTheirSlice(t *testing.T) {
	ctx := context.Background()
	spy := &keptSpy{Store: memory.New()}
	f := newFixture(t, spy, nil)
	f.seed(t)
	spy.keys = nil
	for _, patch := range []string{`{"phone":"+41791234568"}`, `{"email":"other@example.com"}`} {
		_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app",
			Mode: update.Merge, Doc: doc(t, patch)})
		require.NoError(t, err)
	}
	assert.Equal(t, []bool{true, false}, spy.keys, "kept for the phone, new for the reserved email")
	rec, err := spy.Get(ctx, "user", "u1")
	require.NoError(t, err)
	assert.Len(t, rec.Keys, 3, "username, email and the reserved pending email")
}
