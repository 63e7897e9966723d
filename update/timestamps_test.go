package update_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// timestampsPolicy is userPolicy with the record's times written at
// /meta/created and /meta/updated, both queryable date-times.
func timestampsPolicy() *update.Policy {
	pol := userPolicy()
	s := pol.Types["user"]
	s.Fields["/meta"] = &update.Field{Type: update.TypeObject, Mutability: update.ReadOnly}
	s.Fields["/meta/created"] = &update.Field{Type: update.TypeString, Mutability: update.ReadOnly, Query: &update.Queryable{DateTime: true}}
	s.Fields["/meta/updated"] = &update.Field{Type: update.TypeString, Mutability: update.ReadOnly, Query: &update.Queryable{DateTime: true}}
	s.Fields["/nickName"].Query = &update.Queryable{}
	s.Timestamps = &update.Timestamps{Created: "/meta/created", Updated: "/meta/updated"}
	return pol
}

// stamps returns the times a view's document holds, parsed, after
// checking that they are written in TimestampLayout.
func stamps(t *testing.T, v *update.View) (created, updated time.Time) {
	t.Helper()
	meta, ok := v.Doc["meta"].(map[string]any)
	require.True(t, ok, "meta: %v", v.Doc["meta"])
	parse := func(name string) time.Time {
		s, ok := meta[name].(string)
		require.True(t, ok, "%s: %v", name, meta[name])
		at, err := time.Parse(update.TimestampLayout, s)
		require.NoError(t, err)
		require.Equal(t, update.FormatTimestamp(at), s, "%s is written in one form", name)
		return at
	}
	return parse("created"), parse("updated")
}

// assertStamps checks that the document's times are the record's, to the
// nanosecond.
func assertStamps(t *testing.T, v *update.View) {
	t.Helper()
	created, updated := stamps(t, v)
	assert.True(t, created.Equal(v.Created), "created %v, record %v", created, v.Created)
	assert.True(t, updated.Equal(v.Updated), "updated %v, record %v", updated, v.Updated)
}

// TestTimestamps: the record's times are written into the document at
// create and with every committed change, by every kind of write, never
// by a request that changes nothing, and never by a client; on every
// backend.
func TestTimestamps(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), timestampsPolicy())
		f.clock.Advance(123456789 * time.Nanosecond) // a fraction of all nine digits
		f.seed(t)
		v := f.get(t, "u1")
		assertStamps(t, v)
		assert.Equal(t, v.Doc["meta"].(map[string]any)["created"], v.Doc["meta"].(map[string]any)["updated"])
		created, _ := stamps(t, v)
		hist, err := f.store.History(ctx, "user", "u1")
		require.NoError(t, err)
		require.Len(t, hist, 1)
		assert.Contains(t, changesAt(hist[0].Changes, "/meta"), update.FormatTimestamp(created), "the create event lists the times")

		// A change bumps updated, keeps created, and lists the change.
		f.clock.Advance(1500 * time.Millisecond)
		res, err := apply(f, update.Request{Doc: doc(t, `{"nickName":"mp"}`)})
		require.NoError(t, err)
		assert.Equal(t, []string{"/nickName", "/meta/updated"}, changedPaths(res))
		v = f.get(t, "u1")
		assertStamps(t, v)
		c, u := stamps(t, v)
		assert.True(t, c.Equal(created), "created stays")
		assert.True(t, u.Equal(f.clock.Now()), "updated is the change's time")
		hist, err = f.store.History(ctx, "user", "u1")
		require.NoError(t, err)
		last := hist[len(hist)-1].Changes
		assert.Equal(t, storage.Change{Path: "/meta/updated", Op: merge.OpReplace, Old: update.FormatTimestamp(created), New: update.FormatTimestamp(u)},
			last[len(last)-1])

		// A request that changes nothing stays a no-op: same version,
		// same document, no event.
		f.clock.Advance(time.Second)
		before := f.snapshot(t, "u1")
		for _, req := range []update.Request{
			{Doc: doc(t, `{"nickName":"mp"}`)},
			{Mode: update.Modify, Mods: []update.Modification{{Op: "replace", Path: "/nickName", Value: "mp"}}},
			{Mode: update.Patch, Ops: []merge.Operation{{Op: "test", Path: "/nickName", Value: "mp"}}},
		} {
			res, err := apply(f, req)
			require.NoError(t, err)
			assert.True(t, res.Unchanged, "%+v", req)
			assert.Empty(t, res.Changes)
		}
		assert.Equal(t, before, f.snapshot(t, "u1"))

		// Clients never write the times, whichever way they try.
		for _, req := range []update.Request{
			{Doc: doc(t, `{"meta":{"updated":"2000-01-01T00:00:00.000000000Z"}}`)},
			{Doc: doc(t, `{"meta":null}`)},
			{Doc: doc(t, `{"meta":"now"}`)},
			{Mode: update.Patch, Ops: []merge.Operation{{Op: "remove", Path: "/meta/created"}}},
			{Mode: update.Patch, Ops: []merge.Operation{{Op: "replace", Path: "/meta", Value: map[string]any{}}}},
			{Mode: update.Modify, Mods: []update.Modification{{Op: "replace", Path: "/meta/updated", Value: "2000-01-01T00:00:00Z"}}},
			{Mode: update.Modify, Mods: []update.Modification{{Op: "remove", Path: "/meta"}}},
		} {
			req.Client = "admin"
			_, err := apply(f, req)
			require.Error(t, err, "%+v", req)
			e := update.AsError(err)
			assert.Equal(t, update.Immutable, e.Code, "%+v: %v", req, err)
			require.NotEmpty(t, e.Fields)
			assert.Equal(t, update.RuleReadOnly, e.Fields[0].Rule, "%+v", req)
		}
		assert.Equal(t, before, f.snapshot(t, "u1"))

		// A Replace that leaves the times out carries them over (it
		// changes the statuses' generated keys, so it is a change).
		f.clock.Advance(time.Second)
		v = f.get(t, "u1")
		kept := map[string]any{}
		for k, x := range v.Doc {
			switch k {
			case "meta", "id", "emailVerified", "phoneVerified": // the server's
			default:
				kept[k] = x
			}
		}
		res, err = apply(f, update.Request{Mode: update.Replace, Doc: kept})
		require.NoError(t, err)
		assert.Equal(t, []string{"/statuses", "/meta/updated"}, changedPaths(res))
		v = f.get(t, "u1")
		assertStamps(t, v)
		c, _ = stamps(t, v)
		assert.True(t, c.Equal(created), "created stays")
		before = f.snapshot(t, "u1")

		f.clock.Advance(time.Second)
		// A dry run shows the times it would write and writes nothing.
		res, err = apply(f, update.Request{Doc: doc(t, `{"nickName":"dry"}`), DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"/nickName", "/meta/updated"}, changedPaths(res))
		assert.Equal(t, before, f.snapshot(t, "u1"))

		// A change of a secret only is a change: updated follows the record.
		f.clock.Advance(time.Second)
		res, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Another123"}}})
		require.NoError(t, err)
		assert.Equal(t, []string{"/password", "/meta/updated"}, changedPaths(res))
		assertStamps(t, f.get(t, "u1"))

		// Writes outside Apply stamp too: a held email confirmed by code.
		f.clock.Advance(time.Second)
		_, err = apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		assertStamps(t, f.get(t, "u1"))
		f.clock.Advance(time.Second)
		res, err = confirm(f, "/email", lastCode(t, f, "new@example.com"))
		require.NoError(t, err)
		assert.Equal(t, []string{"/email", "/meta/updated"}, changedPaths(res))
		v = f.get(t, "u1")
		assertStamps(t, v)
		assert.True(t, v.Updated.Equal(f.clock.Now()))
	})
}

// changesAt returns the new values of the changes at path.
func changesAt(changes []storage.Change, path string) []any {
	var out []any
	for _, c := range changes {
		if c.Path == path {
			out = append(out, c.New)
			if m, ok := c.New.(map[string]any); ok {
				for _, v := range m {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// TestTimestampsQuery: the written times filter and sort as date-times
// through Engine.List, on every backend.
func TestTimestampsQuery(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), timestampsPolicy())
		t0 := f.clock.Now()
		for i, id := range []string{"a", "b", "c"} {
			// Fractions of different lengths, which RFC 3339 writes in
			// different widths: only the fixed form sorts right.
			f.clock.Advance(time.Duration(i+1) * 100 * time.Millisecond)
			_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: id, Client: "admin",
				Doc: doc(t, `{"familyName":"F`+id+`"}`)})
			require.NoError(t, err)
		}
		// a: t0+0.1s, b: t0+0.3s, c: t0+0.6s; then a changes at t0+1s.
		f.clock.Advance(400 * time.Millisecond)
		_, err := apply(f, update.Request{Locator: update.ByID("a"), Doc: doc(t, `{"nickName":"late"}`)})
		require.NoError(t, err)

		at := func(d time.Duration) time.Time { return t0.Add(d) }
		cmp := func(op storage.Op, path string, v any) *storage.Filter {
			return &storage.Filter{Op: op, Path: path, Value: v}
		}
		rfc := func(d time.Duration) string { return at(d).Format(time.RFC3339Nano) }
		for _, c := range []struct {
			name   string
			filter *storage.Filter
			want   []string
		}{
			{"updated after b's create", cmp(storage.Gt, "/meta/updated", rfc(300*time.Millisecond)), []string{"a", "c"}},
			{"updated at or after b's create", cmp(storage.Ge, "/meta/updated", rfc(300*time.Millisecond)), []string{"a", "b", "c"}},
			{"created before b's create", cmp(storage.Lt, "/meta/created", rfc(300*time.Millisecond)), []string{"a"}},
			{"created at or before b's create", cmp(storage.Le, "/meta/created", at(300*time.Millisecond)), []string{"a", "b"}},
			{"updated exactly, in another offset", cmp(storage.Eq, "/meta/updated",
				at(600*time.Millisecond).In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano)), []string{"c"}},
			{"created whole second", cmp(storage.Gt, "/meta/created", "2026-03-01T12:00:00Z"), []string{"a", "b", "c"}},
		} {
			assert.Equal(t, c.want, listed(t, f, update.ListRequest{Filter: c.filter}), c.name)
		}
		sorted := func(path string, desc bool) []string {
			return listed(t, f, update.ListRequest{Sort: &storage.Sort{Path: path, Desc: desc}})
		}
		assert.Equal(t, []string{"b", "c", "a"}, sorted("/meta/updated", false))
		assert.Equal(t, []string{"a", "c", "b"}, sorted("/meta/updated", true))
		assert.Equal(t, []string{"c", "b", "a"}, sorted("/meta/created", true))

		_, err = f.eng.List(ctx, update.ListRequest{Type: "user", Client: "reader", Filter: cmp(storage.Gt, "/meta/updated", "yesterday")})
		require.Error(t, err)
		assert.Equal(t, update.Malformed, update.AsError(err).Code)
	})
}

// TestTimestampsBackfill: a record stored before its schema had
// Timestamps gets both times, its created time from the record, at its
// next change.
func TestTimestampsBackfill(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		store := open(t)
		old := newFixture(t, store, userPolicy())
		old.seed(t)
		f := newFixture(t, store, timestampsPolicy())
		f.clock.Advance(time.Minute)
		assert.Nil(t, f.get(t, "u1").Doc["meta"], "reads do not write")
		res, err := apply(f, update.Request{Doc: doc(t, `{"nickName":"x"}`)})
		require.NoError(t, err)
		assert.Equal(t, []string{"/nickName", "/meta/created", "/meta/updated"}, changedPaths(res))
		v := f.get(t, "u1")
		assertStamps(t, v)
		assert.False(t, v.Created.Equal(v.Updated))
	})
}

// TestTimestampsPolicy: Schema.Timestamps names read-only string fields
// the engine alone writes, below read-only objects only.
func TestTimestampsPolicy(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(s *update.Schema)
		errHas string
	}{
		{"not a pointer", func(s *update.Schema) { s.Timestamps.Updated = "meta" }, "is not a JSON Pointer"},
		{"undeclared", func(s *update.Schema) { s.Timestamps.Updated = "/meta/lastModified" }, "is not a declared field"},
		{"wildcard", func(s *update.Schema) {
			s.Fields["/tags/*/at"] = &update.Field{Type: update.TypeString, Mutability: update.ReadOnly}
			s.Timestamps.Updated = "/tags/*/at"
		}, "is not a declared field at a concrete path"},
		{"writable", func(s *update.Schema) { s.Fields["/meta/updated"].Mutability = "" }, "must be a read-only string field"},
		{"not a string", func(s *update.Schema) { s.Fields["/meta/updated"].Type = update.TypeInteger }, "must be a read-only string field"},
		{"with rules", func(s *update.Schema) { s.Fields["/meta/updated"].Rules = "max=3" }, "the engine writes it"},
		{"required", func(s *update.Schema) { s.Fields["/meta/created"].Required = true }, "the engine writes it"},
		{"unique", func(s *update.Schema) { s.Fields["/meta/created"].Unique = true }, "the engine writes it"},
		{"queried as a string", func(s *update.Schema) { s.Fields["/meta/created"].Query = &update.Queryable{} }, "query.dateTime"},
		{"below a writable object", func(s *update.Schema) { s.Fields["/meta"].Mutability = "" }, `lies below "/meta"`},
		{"below an undeclared object", func(s *update.Schema) { delete(s.Fields, "/meta") }, `lies below "/meta"`},
		{"overlapping", func(s *update.Schema) { s.Timestamps.Created = "/meta/updated" }, "overlap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pol := timestampsPolicy()
			c.edit(pol.Types["user"])
			_, err := update.New(nil, pol)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.errHas)
			assert.True(t, strings.HasPrefix(err.Error(), `policy: type "user": timestamps: `), err.Error())
		})
	}
	// Either time alone is fine, and so is a top-level field.
	pol := timestampsPolicy()
	s := pol.Types["user"]
	s.Fields["/modified"] = &update.Field{Type: update.TypeString, Mutability: update.ReadOnly}
	s.Timestamps = &update.Timestamps{Updated: "/modified"}
	_, err := update.New(nil, pol)
	require.NoError(t, err)
}
