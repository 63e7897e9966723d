package update_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// TestKeySelectors: a path names a plural element by its key, in every
// mode, and the element's rules and the grant apply to it as to any
// element.
func TestKeySelectors(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Mode: update.Patch, Ops: []merge.Operation{
			{Op: "add", Path: "/statuses/-", Value: map[string]any{"id": 7, "status": "new"}}}})
		require.NoError(t, err)
		statuses := func() string { return jsonOf(t, f.get(t, "u1").Doc["statuses"]) }

		_, err = apply(f, update.Request{Path: "/statuses/[id=5253]", Doc: map[string]any{"status": "active"}})
		require.NoError(t, err, "merge into a selected element")
		assert.JSONEq(t, `[{"id":5253,"status":"active"},{"id":7,"status":"new"}]`, statuses())

		_, err = apply(f, update.Request{Mode: update.Replace, Path: "/statuses/[id=5253]", Doc: map[string]any{"status": "inactive"}})
		require.NoError(t, err, "replace a selected element")
		assert.JSONEq(t, `[{"id":5253,"status":"inactive"},{"id":7,"status":"new"}]`, statuses(), "the element keeps its key")

		_, err = apply(f, update.Request{Mode: update.Replace, Path: "/statuses/[id=7]/status", Doc: "active"})
		require.NoError(t, err, "replace a member of a selected element")
		_, err = apply(f, update.Request{Mode: update.Patch, Ops: []merge.Operation{
			{Op: "remove", Path: "/statuses/[id=5253]"},
			{Op: "replace", Path: "/statuses/[id=7]/status", Value: "inactive"}}})
		require.NoError(t, err, "patch: each operation resolves against the document the earlier ones left")
		assert.JSONEq(t, `[{"id":7,"status":"inactive"}]`, statuses())
	})
}

func TestKeySelectorErrors(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		before := f.snapshot(t, "u1")
		for _, tc := range []struct {
			name string
			req  update.Request
			code update.Code
			path string
			text []string
		}{
			{"unknown key", update.Request{Path: "/statuses/[id=99]", Doc: map[string]any{"status": "new"}},
				update.NotFound, "/statuses", []string{"/statuses", "99"}},
			{"unknown key in a patch", update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "remove", Path: "/statuses/[id=99]"}}},
				update.NotFound, "/statuses", []string{"/statuses", "99"}},
			{"element rule applies", update.Request{Path: "/statuses/[id=5253]/status", Mode: update.Replace, Doc: "bogus"},
				update.Invalid, "/statuses/0/status", nil},
			{"not a plural", update.Request{Path: "/primaryAddress/[id=1]", Doc: map[string]any{"city": "x"}},
				update.Malformed, "/primaryAddress/[id=1]", []string{"/primaryAddress", "not a plural"}},
			{"plural without a key", update.Request{Path: "/tags/[id=1]", Doc: "x", Mode: update.Replace},
				update.Malformed, "/tags/[id=1]", []string{"/tags", "no key"}},
			{"wrong key member", update.Request{Path: "/statuses/[status=active]", Doc: map[string]any{"status": "new"}},
				update.Malformed, "/statuses/[status=active]", []string{`"id"`}},
			{"malformed selector", update.Request{Path: "/statuses/[id]", Doc: map[string]any{"status": "new"}},
				update.Malformed, "/statuses/[id]", nil},
			{"malformed selector in from", update.Request{Mode: update.Patch, Ops: []merge.Operation{{Op: "copy", From: "/statuses/[x=1]", Path: "/nickName"}}},
				update.Malformed, "/statuses/[x=1]", nil},
			{"key cannot change through its selector", update.Request{Path: "/statuses/[id=5253]", Doc: map[string]any{"id": 1}},
				update.Invalid, "/statuses/[id=5253]/id", nil},
			{"key cannot change by replace", update.Request{Mode: update.Replace, Path: "/statuses/[id=5253]/id", Doc: 2},
				update.Invalid, "/statuses/[id=5253]/id", nil},
			{"grant covers the element", update.Request{Client: "profiler", Path: "/statuses/[id=5253]/status", Mode: update.Replace, Doc: "active"},
				update.Forbidden, "/statuses/[id=5253]/status", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := apply(f, tc.req)
				var ee *update.Error
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, tc.code, ee.Code, ee.Error())
				require.NotEmpty(t, ee.Fields, ee.Error())
				assert.Equal(t, tc.path, ee.Fields[0].Path)
				for _, s := range tc.text {
					assert.Contains(t, ee.Message, s)
				}
				assert.Equal(t, before, f.snapshot(t, "u1"), "a refused request changes nothing")
			})
		}
	})
}

// contentionPolicy has an append-only plural and an upserted one, roomy
// enough for the contention test.
func contentionPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {
			Fields: map[string]*update.Field{
				"/profiles":        {Type: update.TypeArray, Plural: &update.Plural{Mode: update.PluralAppend, Key: "id", KeyGen: update.KeyGenInt}},
				"/profiles/*/name": {Type: update.TypeString, Required: true},
				"/counters":        {Type: update.TypeArray, Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id"}},
				"/counters/*/n":    {Type: update.TypeInteger},
			},
			Limits: update.Limits{MaxPlural: 4000},
		}},
		Grants: map[string]update.Grant{"app": {Write: true, Create: true}},
	}
}

// TestKeySelectorContention: many clients appending through a subtree path
// and updating distinct elements through selectors on one record — every
// request succeeds and every acknowledged write is there, on every
// backend. Paths are resolved inside the store transaction, so there is
// nothing to retry.
func TestKeySelectorContention(t *testing.T) {
	clients, each50 := 32, 50
	if testing.Short() {
		clients, each50 = 8, 10
	}
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), contentionPolicy())
		counters := make([]any, clients)
		for g := range counters {
			counters[g] = map[string]any{"id": g + 1, "n": 0}
		}
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "app",
			Doc: map[string]any{"counters": counters}})
		require.NoError(t, err)

		var wg sync.WaitGroup
		var mu sync.Mutex
		var refused []error
		appended := map[string]bool{}
		for g := 0; g < clients; g++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := 0; i < each50; i++ {
					name := fmt.Sprintf("p%d-%d", g, i)
					_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app",
						Path: "/profiles", Doc: []any{map[string]any{"name": name}}})
					mu.Lock()
					if err != nil {
						refused = append(refused, err)
					} else {
						appended[name] = true
					}
					mu.Unlock()
				}
			}()
			go func() {
				defer wg.Done()
				for i := 1; i <= each50; i++ {
					_, err := f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "app",
						Path: "/counters/[id=" + strconv.Itoa(g+1) + "]/n", Mode: update.Replace, Doc: i})
					if err != nil {
						mu.Lock()
						refused = append(refused, err)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		require.Empty(t, refused, "no request is refused")

		v := f.get(t, "u1")
		profiles, _ := v.Doc["profiles"].([]any)
		require.Len(t, profiles, clients*each50, "every append is there")
		ids := map[string]bool{}
		for _, p := range profiles {
			m := p.(map[string]any)
			name, _ := m["name"].(string)
			assert.True(t, appended[name], "an acknowledged append: %s", name)
			delete(appended, name)
			ids[fmt.Sprint(m["id"])] = true
		}
		assert.Empty(t, appended, "no acknowledged append is lost")
		assert.Len(t, ids, clients*each50, "every appended element got its own key")
		got := v.Doc["counters"].([]any)
		for g, c := range got {
			assert.Equal(t, strconv.Itoa(each50), fmt.Sprint(c.(map[string]any)["n"]), "counter %d holds its last write", g+1)
		}
		assert.Equal(t, uint64(1+2*clients*each50), v.Version, "one version per acknowledged write")
	})
}
