package update_test

import (
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// FuzzApplyOpen feeds arbitrary JSON as document and patch to an engine
// without rules: no panic; the result equals jsonpatch.MergePatch whenever
// both inputs are objects it accepts; a failed Apply leaves the record
// exactly as it was.
func FuzzApplyOpen(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":1}`, `{"a":null}`},
		{`{"a":{"b":[1,2]}}`, `{"a":{"b":{"c":1}}}`},
		{`{}`, `{"x":{"y":{"z":null}}}`},
		{`{"n":12345678901234567890}`, `{"n":0.1}`},
		{`{"a":"é"}`, `[1,2]`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, docBytes, patchBytes []byte) {
		lim := merge.DecodeLimits{MaxBytes: 1 << 16, MaxDepth: 20}
		d, err := merge.Decode(docBytes, lim)
		if err != nil {
			return
		}
		dm, ok := d.(map[string]any)
		if !ok {
			return
		}
		p, err := merge.Decode(patchBytes, lim)
		if err != nil {
			return
		}
		store := memory.New()
		eng, err := update.New(store, openPolicy())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Create(ctx, update.CreateRequest{Type: "doc", ID: "x", Doc: dm}); err != nil {
			return // over a limit
		}
		before, _ := store.Get(ctx, "doc", "x")
		beforeJSON := jsonOf(t, before)
		_, err = eng.Apply(ctx, update.Request{Type: "doc", Locator: update.ByID("x"), Doc: p})
		after, _ := store.Get(ctx, "doc", "x")
		if err != nil {
			if jsonOf(t, after) != beforeJSON {
				t.Fatalf("failed Apply (%v) changed the record", err)
			}
			return
		}
		if _, isObj := p.(map[string]any); !isObj {
			t.Fatalf("a non-object patch at the root was accepted")
		}
		if nullInArray(p, false) {
			return // the library strips these nulls; RFC 7386 keeps them
		}
		want, err := jsonpatch.MergePatch(docBytes, patchBytes)
		if err != nil {
			return
		}
		wv, err := merge.Decode(want, merge.DecodeLimits{})
		if err != nil {
			return
		}
		if !merge.Equal(wv, after.Doc) {
			t.Fatalf("engine %s, MergePatch %s", jsonOf(t, after.Doc), want)
		}
	})
}

// FuzzApplyPolicy feeds arbitrary JSON patches to the representative
// policy: whatever the input, no panic, and a failed request changes
// nothing.
func FuzzApplyPolicy(f *testing.F) {
	for _, s := range []string{
		`{"givenName":"A"}`, `{"statuses":[{"id":5253,"status":"active"},{"status":"new"}]}`,
		`{"email":"x@example.com","phone":"0791234567"}`, `{"id":"z"}`, `{"password":"Abcdefgh1"}`,
		`{"primaryAddress":{"city":null}}`, `{"tags":[1,2,3]}`, `{"statuses":[{"id":"5253"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, patchBytes []byte) {
		p, err := merge.Decode(patchBytes, merge.DecodeLimits{MaxBytes: 1 << 16, MaxDepth: 20})
		if err != nil {
			return
		}
		fx := newFixture(t, nil, nil)
		fx.seed(t)
		snap := fx.snapshot(t, "u1")
		res, err := apply(fx, update.Request{Doc: p})
		if err != nil {
			if fx.snapshot(t, "u1") != snap {
				t.Fatalf("failed Apply (%v) changed the record", err)
			}
			if update.ErrorCode(err) == update.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if res.Unchanged && fx.snapshot(t, "u1") != snap {
			t.Fatalf("an unchanged result wrote something")
		}
	})
}

// nullInArray reports a null member of an object that lies inside an array.
func nullInArray(v any, inArray bool) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, mv := range x {
			if (mv == nil && inArray) || nullInArray(mv, inArray) {
				return true
			}
		}
	case []any:
		for _, ev := range x {
			if nullInArray(ev, true) {
				return true
			}
		}
	}
	return false
}
