package update_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// queryPolicy is userPolicy with filterable fields: a case-insensitive
// unique username, a case-exact unique external id, emails with their
// members, a date-time, and a write-only field marked queryable (which the
// engine must still refuse).
func queryPolicy() *update.Policy {
	p := userPolicy()
	f := p.Types["user"].Fields
	f["/username"].Query = &update.Queryable{}
	f["/externalId"] = &update.Field{Type: update.TypeString, Unique: true, Query: &update.Queryable{CaseExact: true}}
	f["/givenName"].Query = &update.Queryable{}
	f["/age"].Query = &update.Queryable{}
	f["/note"].Query = &update.Queryable{}
	f["/email"].Query = &update.Queryable{}
	f["/emails"] = &update.Field{Type: update.TypeArray}
	f["/emails/*/type"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{}}
	f["/emails/*/value"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{}}
	f["/lastLogin"] = &update.Field{Type: update.TypeString, Query: &update.Queryable{DateTime: true}}
	p.Grants["self"] = update.Grant{Write: true, Subject: "q2"}
	return p
}

func listFixture(t *testing.T) *fixture {
	f := newFixture(t, nil, queryPolicy())
	ctx := context.Background()
	for i, d := range []string{
		`{"familyName":"Ash","givenName":"Ann","username":"Ann","externalId":"X-1","age":30,"note":"secret note",
			"emails":[{"type":"work","value":"ann@Example.com"}],"lastLogin":"2026-01-01T10:00:00+01:00"}`,
		`{"familyName":"Bo","givenName":"bob","username":"bob","externalId":"x-1","age":41,
			"emails":[{"type":"home","value":"bob@example.com"}],"lastLogin":"2026-01-01T08:00:00Z"}`,
		`{"familyName":"Cy","givenName":"Cid","username":"cid","age":25}`,
	} {
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: fmt.Sprintf("q%d", i+1), Client: "admin", Doc: doc(t, d)})
		require.NoError(t, err)
	}
	return f
}

func listed(t *testing.T, f *fixture, req update.ListRequest) []string {
	t.Helper()
	if req.Type == "" {
		req.Type = "user"
	}
	if req.Client == "" {
		req.Client = "reader"
	}
	res, err := f.eng.List(context.Background(), req)
	require.NoError(t, err)
	var ids []string
	for _, v := range res.Views {
		ids = append(ids, v.ID)
	}
	return ids
}

func TestList(t *testing.T) {
	f := listFixture(t)
	ctx := context.Background()
	eq := func(path string, v any) *storage.Filter { return &storage.Filter{Op: storage.Eq, Path: path, Value: v} }

	t.Run("CaseInsensitiveByPolicy", func(t *testing.T) {
		assert.Equal(t, []string{"q1"}, listed(t, f, update.ListRequest{Filter: eq("/username", "ANN")}))
	})
	t.Run("CaseExactUniqueUsesTheKey", func(t *testing.T) {
		assert.Equal(t, []string{"q2"}, listed(t, f, update.ListRequest{Filter: eq("/externalId", "x-1")}))
	})
	t.Run("PluralElementFilter", func(t *testing.T) {
		got := listed(t, f, update.ListRequest{Filter: &storage.Filter{Op: storage.Any, Path: "/emails", Args: []storage.Filter{{
			Op: storage.And, Args: []storage.Filter{
				{Op: storage.Eq, Path: "/type", Value: "WORK"},
				{Op: storage.Co, Path: "/value", Value: "@example.com"},
			}}}}})
		assert.Equal(t, []string{"q1"}, got)
	})
	t.Run("NumbersAndDateTimes", func(t *testing.T) {
		assert.Equal(t, []string{"q2"}, listed(t, f, update.ListRequest{Filter: &storage.Filter{Op: storage.Gt, Path: "/age", Value: json.Number("40")}}))
		// 10:00+01:00 is 09:00Z, after 08:00Z.
		assert.Equal(t, []string{"q1"}, listed(t, f, update.ListRequest{Filter: &storage.Filter{Op: storage.Gt, Path: "/lastLogin", Value: "2026-01-01T08:30:00Z"}}))
	})
	t.Run("SortedPagesRedacted", func(t *testing.T) {
		res, err := f.eng.List(ctx, update.ListRequest{Type: "user", Client: "reader", Sort: &storage.Sort{Path: "/givenName", Desc: true}, Limit: 2, Total: true})
		require.NoError(t, err)
		require.Len(t, res.Views, 2)
		assert.Equal(t, 3, res.Total)
		assert.Equal(t, "q3", res.Views[0].ID) // Cid, bob, Ann under case folding
		assert.Equal(t, "q2", res.Views[1].ID)
		for _, v := range res.Views {
			assert.NotContains(t, v.Doc, "note", "write-only fields are not listed")
		}
		next := listed(t, f, update.ListRequest{Sort: &storage.Sort{Path: "/givenName", Desc: true}, Limit: 2, After: res.Next})
		assert.Equal(t, []string{"q1"}, next)
		first := listed(t, f, update.ListRequest{Filter: eq("/username", "ann")})
		require.Equal(t, []string{"q1"}, first)
		got, err := f.eng.Get(ctx, "user", update.ByID("q1"))
		require.NoError(t, err)
		res, err = f.eng.List(ctx, update.ListRequest{Type: "user", Client: "reader", Filter: eq("/username", "ann")})
		require.NoError(t, err)
		assert.Equal(t, got, res.Views[0], "a listed record reads as Get shows it")
	})
	t.Run("Count", func(t *testing.T) {
		n, err := f.eng.Count(ctx, update.CountRequest{Type: "user", Client: "reader", Filter: &storage.Filter{Op: storage.Any, Path: "/emails",
			Args: []storage.Filter{{Op: storage.Pr, Path: "/value"}}}})
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		_, err = f.eng.Count(ctx, update.CountRequest{Type: "user", Client: "reader", Filter: &storage.Filter{Op: storage.Pr, Path: "/emails"}})
		assert.Equal(t, update.Malformed, update.ErrorCode(err), "the plural itself is not queryable")
	})
	t.Run("SubjectSeesOnlyItsRecord", func(t *testing.T) {
		assert.Equal(t, []string{"q2"}, listed(t, f, update.ListRequest{Client: "self"}))
		assert.Empty(t, listed(t, f, update.ListRequest{Client: "self", Filter: eq("/username", "ann")}))
		n, err := f.eng.Count(ctx, update.CountRequest{Type: "user", Client: "self"})
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
	t.Run("Refused", func(t *testing.T) {
		for name, req := range map[string]update.ListRequest{
			"WriteOnly":      {Filter: eq("/note", "secret note")},
			"Secret":         {Filter: &storage.Filter{Op: storage.Pr, Path: "/password"}},
			"NotQueryable":   {Filter: eq("/familyName", "Ash")},
			"Unknown":        {Filter: eq("/nope", "x")},
			"WrongType":      {Filter: eq("/age", "thirty")},
			"NotADateTime":   {Filter: eq("/lastLogin", "yesterday")},
			"SortWriteOnly":  {Sort: &storage.Sort{Path: "/note"}},
			"TooDeep":        {Filter: deepFilter(storage.MaxFilterDepth + 1)},
			"BadCursor":      {After: "xyz"},
			"SecretInPlural": {Filter: &storage.Filter{Op: storage.Any, Path: "/password", Args: []storage.Filter{{Op: storage.Pr}}}},
		} {
			req.Type, req.Client = "user", "reader"
			_, err := f.eng.List(ctx, req)
			assert.Equal(t, update.Malformed, update.ErrorCode(err), "%s: %v", name, err)
		}
		_, err := f.eng.List(ctx, update.ListRequest{Type: "user", Client: "stranger"})
		assert.Equal(t, update.Forbidden, update.ErrorCode(err))
	})
}

func deepFilter(depth int) *storage.Filter {
	f := storage.Filter{Op: storage.Eq, Path: "/username", Value: "x"}
	for range depth {
		f = storage.Filter{Op: storage.Not, Args: []storage.Filter{f}}
	}
	return &f
}

func TestDeleteIsAtomic(t *testing.T) {
	f := listFixture(t)
	ctx := context.Background()
	v := uint64(1)
	// A write after the caller read version 1 makes the delete a Conflict.
	_, err := f.eng.Apply(ctx, update.Request{Type: "user", Client: "admin", Locator: update.ByID("q3"),
		Doc: doc(t, `{"givenName":"Cyd"}`)})
	require.NoError(t, err)
	err = f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "admin", Locator: update.ByID("q3"), Expect: update.Expect{Version: &v}})
	assert.Equal(t, update.Conflict, update.ErrorCode(err))
	v = 2
	require.NoError(t, f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "admin", Actor: "ops", Locator: update.ByID("q3"), Expect: update.Expect{Version: &v}}))
	entries, _, err := f.store.(storage.Feed).Changes(ctx, 0, 0)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, storage.DeleteKind, last.Kind)
	assert.Equal(t, "ops", last.Actor)
	assert.Equal(t, "admin", last.Client)
}

// recreatingStore deletes and recreates a record, at the same version,
// right after the engine first reads it: the moment between a
// conditional delete's read and its delete.
type recreatingStore struct {
	*memory.Store
	once     sync.Once
	recreate func(rec *storage.Record)
}

func (s *recreatingStore) Get(ctx context.Context, typ, id string) (*storage.Record, error) {
	rec, err := s.Store.Get(ctx, typ, id)
	if err == nil {
		s.once.Do(func() { s.recreate(rec) })
	}
	return rec, err
}

func TestDeleteMissesARecreatedRecord(t *testing.T) {
	store := &recreatingStore{Store: memory.New()}
	f := newFixture(t, store, queryPolicy())
	ctx := context.Background()
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "q1", Client: "admin", Doc: doc(t, `{"familyName":"Ash","username":"ann"}`)})
	require.NoError(t, err)
	store.recreate = func(rec *storage.Record) {
		require.NoError(t, store.Store.Delete(ctx, "user", "q1"))
		f.clock.Advance(time.Second)
		again := *rec
		again.Doc = map[string]any{"familyName": "Else", "username": "ann"}
		again.Version, again.Created, again.Updated = 0, time.Time{}, time.Time{}
		require.NoError(t, store.Store.Create(ctx, &again, storage.Event{Time: f.clock.Now(), Kind: "create"}))
		back, err := store.Store.Get(ctx, "user", "q1")
		require.NoError(t, err)
		require.Equal(t, rec.Version, back.Version, "the new record has the version the caller read")
	}
	v := uint64(1)
	err = f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "admin", Locator: update.ByID("q1"), Expect: update.Expect{Version: &v}})
	assert.Equal(t, update.Conflict, update.ErrorCode(err), "the record read is gone; the one in its place was never seen")
	rec, err := store.Store.Get(ctx, "user", "q1")
	require.NoError(t, err)
	assert.Equal(t, "Else", rec.Doc["familyName"])
}
