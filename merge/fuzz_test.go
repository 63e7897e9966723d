package merge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/idupdate/idupdate/merge"
)

var fuzzLimits = merge.DecodeLimits{MaxBytes: 1 << 16, MaxDepth: 64}

// nullMemberInArray reports whether v holds an object with a null member
// somewhere inside an array, where jsonpatch.MergePatch departs from
// RFC 7386 (see TestMergeMatchesLibrary).
func nullMemberInArray(v any, inArray bool) bool {
	switch c := v.(type) {
	case map[string]any:
		for _, e := range c {
			if (e == nil && inArray) || nullMemberInArray(e, inArray) {
				return true
			}
		}
	case []any:
		for _, e := range c {
			if nullMemberInArray(e, true) {
				return true
			}
		}
	}
	return false
}

// FuzzMerge merges any two inputs that decode. It must not panic, must not
// modify either input, must report changes that replay to its result, and
// whenever both are objects (the library's domain;
// it refuses a null document and prunes root arrays) must agree with
// jsonpatch.MergePatch.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a":"b"}`), []byte(`{"a":null,"c":{"d":1}}`))
	f.Add([]byte(`{"a":{"b":[1,2]}}`), []byte(`{"a":{"b":[3]}}`))
	f.Add([]byte(`[1,2]`), []byte(`{"a":"b","c":null}`))
	f.Fuzz(func(t *testing.T, docBytes, patchBytes []byte) {
		doc, err1 := merge.Decode(docBytes, fuzzLimits)
		patch, err2 := merge.Decode(patchBytes, fuzzLimits)
		if err1 != nil || err2 != nil {
			return
		}
		docSnap, patchSnap := merge.Clone(doc), merge.Clone(patch)
		got, changes, err := merge.Merge(doc, patch, merge.Options{})
		if err != nil {
			t.Fatalf("Merge with default options failed: %v", err)
		}
		if !identical(docSnap, doc) || !identical(patchSnap, patch) {
			t.Fatal("an input was modified")
		}
		if (len(changes) == 0) != merge.Equal(doc, got) {
			t.Fatalf("%d changes for a result that is equal=%v", len(changes), merge.Equal(doc, got))
		}
		if replayed, _, err := merge.Patch(doc, opsFromChanges(changes)); err != nil || !merge.Equal(got, replayed) {
			t.Fatalf("the change list does not reproduce the result (%v)", err)
		}
		_, docObj := doc.(map[string]any)
		_, patchObj := patch.(map[string]any)
		if !docObj || !patchObj || nullMemberInArray(patch, false) {
			return
		}
		want, err := jsonpatch.MergePatch(docBytes, patchBytes)
		if err != nil {
			t.Fatalf("library failed on input that decodes: %v", err)
		}
		wantDoc, err := merge.Decode(want, merge.DecodeLimits{})
		if err != nil {
			t.Fatalf("library output does not decode: %v", err)
		}
		if !merge.Equal(wantDoc, got) {
			gb, _ := json.Marshal(got)
			t.Fatalf("library %s, Merge %s", want, gb)
		}
	})
}

// FuzzDecode checks Decode against encoding/json: whatever Decode accepts,
// encoding/json accepts with the same value, within the limits, and holds
// no repeated member name; whatever Decode refuses is too large, too deep,
// rejected by encoding/json or holds a repeated member name.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"x",null,true]}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Add([]byte(`"\ud800" `))
	f.Fuzz(func(t *testing.T, data []byte) {
		input := bytes.Clone(data)
		v, err := merge.Decode(data, fuzzLimits)
		if !bytes.Equal(input, data) {
			t.Fatal("input modified")
		}
		if verr := merge.Validate(data, fuzzLimits); !reflect.DeepEqual(verr, err) {
			t.Fatalf("Validate says %v where Decode says %v", verr, err)
		}
		if q, ok := merge.DecodeQuick(data, fuzzLimits); ok != (err == nil) || !identical(q, v) {
			t.Fatalf("DecodeQuick gives %#v, %v where Decode gives %#v, %v", q, ok, v, err)
		}
		if err != nil {
			explainRefusal(t, data, err)
			return
		}
		if hasDuplicateName(t, data) {
			t.Fatalf("Decode accepted a repeated member name: %q", data)
		}
		if !json.Valid(data) {
			t.Fatalf("Decode accepted what encoding/json rejects: %q", data)
		}
		if d := merge.Depth(v); d > fuzzLimits.MaxDepth {
			t.Fatalf("depth %d passed the limit", d)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if !identical(want, v) {
			t.Fatalf("Decode %#v, encoding/json %#v", v, want)
		}
	})
}

// explainRefusal fails unless Decode had a reason to refuse data.
func explainRefusal(t *testing.T, data []byte, err error) {
	t.Helper()
	switch {
	case len(data) > fuzzLimits.MaxBytes:
		if !errors.Is(err, merge.ErrTooLarge) {
			t.Fatalf("over the size limit but %v", err)
		}
		return
	case !utf8.Valid(data):
		if !errors.Is(err, merge.ErrMalformed) {
			t.Fatalf("invalid UTF-8 but %v", err)
		}
		return
	case !json.Valid(data):
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if derr := dec.Decode(&v); derr != nil {
		t.Fatalf("json.Valid but Decode fails: %v", derr)
	}
	if merge.Depth(v) > fuzzLimits.MaxDepth {
		if !errors.Is(err, merge.ErrTooDeep) {
			t.Fatalf("too deep but %v", err)
		}
		return
	}
	if !errors.Is(err, merge.ErrMalformed) || !hasDuplicateName(t, data) {
		t.Fatalf("valid JSON without a repeated name refused: %v: %q", err, data)
	}
}

// hasDuplicateName is a slow, independent check for a repeated member name,
// reading the token stream of encoding/json. It assumes data parses.
func hasDuplicateName(t *testing.T, data []byte) bool {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		obj     bool
		wantKey bool
		names   map[string]bool
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if n := len(stack); n > 0 && stack[n-1].obj {
					stack[n-1].wantKey = true
				}
				stack = append(stack, &level{obj: d == '{', wantKey: true, names: map[string]bool{}})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		n := len(stack)
		if n == 0 || !stack[n-1].obj {
			continue
		}
		top := stack[n-1]
		if !top.wantKey {
			top.wantKey = true
			continue
		}
		name := tok.(string)
		if top.names[name] {
			return true
		}
		top.names[name] = true
		top.wantKey = false
	}
}
