package update_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// groupPolicy is a group with members keyed by value, whose value and
// type are immutable and whose origin is server-owned, and an unkeyed
// plural of badges whose serial is server-owned.
func groupPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"group": {Fields: map[string]*update.Field{
			"/name":             {Type: update.TypeString},
			"/members":          {Type: update.TypeArray, Plural: &update.Plural{Mode: update.PluralUpsert, Key: "value"}},
			"/members/*/value":  {Type: update.TypeString, Mutability: update.SetOnce, Query: &update.Queryable{}},
			"/members/*/type":   {Type: update.TypeString, Mutability: update.SetOnce},
			"/members/*/origin": {Type: update.TypeString, Mutability: update.ReadOnly},
			"/members/*/label":  {Type: update.TypeString},
			"/badges":           {Type: update.TypeArray},
			"/badges/*/serial":  {Type: update.TypeString, Mutability: update.ReadOnly},
			"/badges/*/color":   {Type: update.TypeString},
		}}},
		Grants: map[string]update.Grant{"admin": {Write: true, Create: true, Delete: true}},
	}
}

// TestElementMutability: immutable and read-only members of plural
// elements hold through every mode that can reach them, and a refused
// change leaves the record as it was; on every backend.
func TestElementMutability(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), groupPolicy())
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "group", ID: "g1", Client: "admin",
			Doc: doc(t, `{"name":"G","members":[{"value":"a","type":"User"},{"value":"b"}]}`)})
		require.NoError(t, err)
		// Server-owned members are set by the server: through the store here.
		_, err = f.store.Update(ctx, "group", "g1", func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = mustSet(rec.Doc, "badges", val(t, `[{"serial":"s1","color":"red"}]`))
			return &storage.Event{Time: f.clock.Now(), Kind: "seed"}, nil
		})
		require.NoError(t, err)
		do := func(r update.Request) error {
			r.Type, r.Locator, r.Client = "group", update.ByID("g1"), "admin"
			_, err := f.eng.Apply(ctx, r)
			return err
		}
		snapshot := func() string {
			rec, err := f.store.Get(ctx, "group", "g1")
			require.NoError(t, err)
			hist, err := f.store.History(ctx, "group", "g1")
			require.NoError(t, err)
			return jsonOf(t, []any{rec, hist})
		}
		refused := []struct {
			name string
			req  update.Request
			at   string
			rule string
		}{
			{"replace of the plural changes a kept element's type",
				update.Request{Mode: update.Replace, Path: "/members", Doc: val(t, `[{"value":"a","type":"Group"},{"value":"b"}]`)},
				"/members/0/type", update.RuleImmutable},
			{"replace of the document drops a kept element's type",
				update.Request{Mode: update.Replace, Doc: doc(t, `{"name":"G","members":[{"value":"a"}]}`)},
				"/members/0/type", update.RuleImmutable},
			{"modify through a filter",
				update.Request{Mode: update.Modify, Mods: []update.Modification{{Op: "replace", Path: "/members",
					Where: &storage.Filter{Op: storage.Eq, Path: "/value", Value: "a"}, Sub: "type", Value: "Group"}}},
				"/members/0/type", update.RuleImmutable},
			{"modify of the key member through a filter",
				update.Request{Mode: update.Modify, Mods: []update.Modification{{Op: "replace", Path: "/members",
					Where: &storage.Filter{Op: storage.Eq, Path: "/value", Value: "a"}, Sub: "value", Value: "z"}}},
				"/members/0/value", update.RuleImmutable},
			{"modify replacing a filtered element whole",
				update.Request{Mode: update.Modify, Mods: []update.Modification{{Op: "replace", Path: "/members",
					Where: &storage.Filter{Op: storage.Eq, Path: "/value", Value: "a"}, Value: val(t, `{"value":"z","type":"User"}`)}}},
				"/members/0/value", update.RuleImmutable},
			{"patch of the element",
				update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "replace", Path: "/members/[value=a]", Value: val(t, `{"value":"a","type":"Group"}`)}}},
				"/members/0/type", update.RuleImmutable},
			{"patch of the member",
				update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "remove", Path: "/members/0/type"}}},
				"/members/0/type", update.RuleImmutable},
			{"merge of a key-less plural changing a server-owned member",
				update.Request{Mode: update.Merge, Doc: val(t, `{"badges":[{"serial":"s2","color":"blue"}]}`)},
				"/badges/0/serial", update.RuleReadOnly},
			{"merge of a key-less plural dropping a server-owned member",
				update.Request{Mode: update.Merge, Doc: val(t, `{"badges":[{"color":"blue"}]}`)},
				"/badges/0/serial", update.RuleReadOnly},
			{"a read-only member in a new element",
				update.Request{Mode: update.Merge, Doc: val(t, `{"members":[{"value":"c","origin":"x"}]}`)},
				"/members/*/origin", update.RuleReadOnly},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot()
				err := do(tc.req)
				require.Error(t, err)
				e := update.AsError(err)
				assert.Equal(t, update.Immutable, e.Code, "%v", err)
				require.Len(t, e.Fields, 1, "%v", e.Fields)
				assert.Equal(t, tc.rule, e.Fields[0].Rule)
				if tc.at != "/members/*/origin" && tc.rule != update.RuleReadOnly {
					assert.Equal(t, tc.at, e.Fields[0].Path)
				}
				assert.Equal(t, before, snapshot(), "a refused change changes nothing")
			})
		}

		allowed := []struct {
			name string
			req  update.Request
			want string
		}{
			{"an immutable member set where it was absent",
				update.Request{Mode: update.Modify, Mods: []update.Modification{{Op: "add", Path: "/members",
					Where: &storage.Filter{Op: storage.Eq, Path: "/value", Value: "b"}, Sub: "type", Value: "User"}}},
				`[{"value":"a","type":"User"},{"value":"b","type":"User"}]`},
			{"a read-write member of a kept element",
				update.Request{Mode: update.Replace, Path: "/members", Doc: val(t, `[{"value":"a","type":"User","label":"x"},{"value":"b","type":"User"}]`)},
				`[{"value":"a","type":"User","label":"x"},{"value":"b","type":"User"}]`},
			{"an element removed and another added in its place",
				update.Request{Mode: update.Replace, Path: "/members", Doc: val(t, `[{"value":"c","type":"Group"},{"value":"b","type":"User"}]`)},
				`[{"value":"c","type":"Group"},{"value":"b","type":"User"}]`},
			{"an element removed by filter",
				update.Request{Mode: update.Modify, Mods: []update.Modification{{Op: "remove", Path: "/members",
					Where: &storage.Filter{Op: storage.Eq, Path: "/value", Value: "c"}}}},
				`[{"value":"b","type":"User"}]`},
		}
		members := func() string {
			v, err := f.eng.Get(ctx, "group", update.ByID("g1"))
			require.NoError(t, err)
			return jsonOf(t, v.Doc["members"])
		}
		for _, tc := range allowed {
			require.NoError(t, do(tc.req), tc.name)
			assert.JSONEq(t, tc.want, members(), tc.name)
		}
		// The other members of an element with a server-owned one stay writable.
		require.NoError(t, do(update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "replace", Path: "/badges/0/color", Value: "blue"}}}))
	})
}

// TestElementMutabilityPolicy: mutability below more than one "*", on an
// element itself, or Keep below "*" is refused by New.
func TestElementMutabilityPolicy(t *testing.T) {
	for path, fld := range map[string]*update.Field{
		"/members/*/tags/*/x": {Mutability: update.SetOnce},
		"/members/*":          {Mutability: update.ReadOnly},
		"/members/*/label":    {Keep: true},
		"/badges/*/color":     {Mutability: update.SetOnce},
	} {
		pol := groupPolicy()
		pol.Types["group"].Fields[path] = fld
		if path == "/members/*/tags/*/x" {
			pol.Types["group"].Fields["/members/*/tags"] = &update.Field{Type: update.TypeArray}
		}
		_, err := update.New(nil, pol)
		assert.Error(t, err, path)
	}
}

// mustSet returns a copy of doc with member k set to v.
func mustSet(doc map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(doc)+1)
	for m, x := range doc {
		out[m] = x
	}
	out[k] = v
	return out
}
