package update

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/go-playground/validator/v10"
)

// shownReference is what a read shows, decided path by path from the
// root: a member whose path is hidden is left out, a hidden element is
// Redacted. It is slow and plain, to hold shown to.
func shownReference(s *schema, segs []string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, mv := range x {
			child := appendSeg(segs, k)
			if s.hidden(child) {
				continue
			}
			out[k] = shownReference(s, child, mv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, ev := range x {
			child := appendSeg(segs, strconv.Itoa(i))
			if s.hidden(child) && ev != nil {
				out[i] = Redacted
				continue
			}
			out[i] = shownReference(s, child, ev)
		}
		return out
	}
	return v
}

// TestShownMatchesPathByPath builds random documents over a policy with
// write-only and secret fields at several depths, in plurals and under
// wildcards, and checks that shown hides exactly what the path-by-path
// reference hides and shares no container with the stored document.
func TestShownMatchesPathByPath(t *testing.T) {
	p := &Policy{Types: map[string]*Schema{"user": {Unknown: Allow, Fields: map[string]*Field{
		"/password":        {Type: TypeString, Secret: &Secret{}},
		"/note":            {Type: TypeString, Mutability: WriteOnly},
		"/profile":         {Type: TypeObject},
		"/profile/pin":     {Type: TypeString, Mutability: WriteOnly},
		"/profile/name":    {Type: TypeString},
		"/tokens":          {Type: TypeArray},
		"/tokens/*":        {Type: TypeString, Mutability: WriteOnly},
		"/devices":         {Type: TypeArray, Plural: &Plural{Key: "id"}},
		"/devices/*/id":    {Type: TypeString},
		"/devices/*/token": {Type: TypeString, Mutability: WriteOnly},
	}}}}
	cp, err := compilePolicy(p, validator.New())
	if err != nil {
		t.Fatal(err)
	}
	s := cp.types["user"]
	names := []string{"password", "note", "profile", "pin", "name", "tokens", "devices", "id", "token", "other", "0", "1"}
	rng := rand.New(rand.NewPCG(3, 4))
	var gen func(depth int) any
	gen = func(depth int) any {
		switch k := rng.IntN(6); {
		case depth > 3 || k == 0:
			return "v" + strconv.Itoa(rng.IntN(9))
		case k == 1:
			return nil
		case k == 2:
			return json.Number("7")
		case k == 3:
			arr := make([]any, rng.IntN(4))
			for i := range arr {
				arr[i] = gen(depth + 1)
			}
			return arr
		default:
			m := map[string]any{}
			for range rng.IntN(5) {
				m[names[rng.IntN(len(names))]] = gen(depth + 1)
			}
			return m
		}
	}
	for i := range 3000 {
		doc := map[string]any{}
		for range 1 + rng.IntN(6) {
			doc[names[rng.IntN(len(names))]] = gen(1)
		}
		got := shown(s.root, doc)
		want := shownReference(s, nil, doc)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("doc %d %v: shown %v, reference %v", i, doc, got, want)
		}
		if sharesContainer(got, doc) {
			t.Fatalf("doc %d: shown shares a container with the stored document", i)
		}
	}
}

// sharesContainer reports whether some map or slice of a is one of b's.
func sharesContainer(a, b any) bool {
	seen := map[uintptr]bool{}
	var mark func(v any, record bool) bool
	mark = func(v any, record bool) bool {
		var children []any
		switch x := v.(type) {
		case map[string]any:
			ptr := reflect.ValueOf(x).Pointer()
			if !record && seen[ptr] {
				return true
			}
			seen[ptr] = record || seen[ptr]
			for _, c := range x {
				children = append(children, c)
			}
		case []any:
			if len(x) > 0 {
				ptr := reflect.ValueOf(x).Pointer()
				if !record && seen[ptr] {
					return true
				}
				seen[ptr] = record || seen[ptr]
			}
			children = x
		}
		for _, c := range children {
			if mark(c, record) {
				return true
			}
		}
		return false
	}
	mark(b, true)
	return mark(a, false)
}
