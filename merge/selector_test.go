package merge_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		tok    string
		member string
		key    string
		ok     bool
	}{
		{"[id=5253]", "id", "5253", true},
		{"[id=a=b]", "id", "a=b", true},     // the key runs from the first "="
		{"[id=x]y]", "id", "x]y", true},     // and to the last "]"
		{"[id=a/b~c]", "id", "a/b~c", true}, // tokens are unescaped before
		{"[id=]", "id", "", true},
		{"[=5]", "", "", false},
		{"[id5]", "", "", false},
		{"id=5", "", "", false},
		{"[id=5", "", "", false},
		{"5", "", "", false},
	} {
		sel, ok := merge.ParseSelector(tc.tok)
		assert.Equal(t, tc.ok, ok, tc.tok)
		if ok {
			assert.Equal(t, merge.Selector{Member: tc.member, Key: tc.key}, sel, tc.tok)
			assert.Equal(t, tc.tok, sel.String())
		}
	}
}

func TestResolvePointer(t *testing.T) {
	doc := decode(t, `{"statuses":[{"id":7,"status":"a"},{"id":5253,"status":"b"},{"id":"x/y","status":"c"}],
		"nested":{"list":[{"k":"a","inner":[{"k":1}]}]},"obj":{"id":1},"none":null,"s":"x"}`)
	for _, tc := range []struct {
		ptr, want string
		kind      error
	}{
		{ptr: "/statuses/[id=5253]", want: "/statuses/1"},
		{ptr: "/statuses/[id=5253]/status", want: "/statuses/1/status"},
		{ptr: "/statuses/[id=5253.0]", want: "/statuses/1"}, // key form: one number
		{ptr: "/statuses/[id=5.253e3]", want: "/statuses/1"},
		{ptr: "/statuses/[id=x~1y]", want: "/statuses/2"}, // "/" in a key is "~1"
		{ptr: "/nested/list/[k=a]/inner/[k=1]", want: "/nested/list/0/inner/0"},
		{ptr: "/statuses/0/status", want: "/statuses/0/status"},
		{ptr: "/statuses/[id=5253]/missing/deeper", want: "/statuses/1/missing/deeper"},
		{ptr: "/statuses/[id=05253]", kind: merge.ErrKeyNotFound}, // not a JSON number: a string key
		{ptr: "/statuses/[id=9]", kind: merge.ErrKeyNotFound},
		{ptr: "/absent/[id=1]", kind: merge.ErrKeyNotFound},
		{ptr: "/none/[id=1]", kind: merge.ErrKeyNotFound},
		{ptr: "/gone/deeper/[id=1]", kind: merge.ErrPathNotFound},
		{ptr: "/obj/[id=1]", kind: merge.ErrInvalid},
		{ptr: "/s/[id=1]", kind: merge.ErrInvalid},
		{ptr: "/statuses/[id]", kind: merge.ErrInvalid},
	} {
		got, err := merge.ResolvePointer(doc, tc.ptr)
		if tc.kind != nil {
			require.Error(t, err, tc.ptr)
			assert.True(t, errors.Is(err, tc.kind), "%s: %v", tc.ptr, err)
			continue
		}
		require.NoError(t, err, tc.ptr)
		assert.Equal(t, tc.want, got, tc.ptr)
	}
	_, err := merge.ResolvePointer(doc, "/statuses/[id=9]")
	var me *merge.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "/statuses", me.Path, "the error names the array")
	assert.Equal(t, "9", me.Key, "and the key")
}

func TestPatchKeyed(t *testing.T) {
	doc := decode(t, `{"a":[{"id":1,"v":"x"},{"id":2,"v":"y"},{"id":3,"v":"z"}]}`)
	before := string(encode(t, doc))
	out, changes, err := merge.PatchKeyed(doc, []merge.Operation{
		{Op: "remove", Path: "/a/[id=1]"},
		{Op: "replace", Path: "/a/[id=3]/v", Value: "Z"}, // index 1 now
		{Op: "test", Path: "/a/[id=2]/v", Value: "y"},
		{Op: "copy", From: "/a/[id=2]/v", Path: "/a/[id=3]/w"},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[{"id":2,"v":"y"},{"id":3,"v":"Z","w":"y"}]}`, string(encode(t, out)))
	assert.NotEmpty(t, changes)
	assert.Equal(t, before, string(encode(t, doc)), "the document is not modified")

	_, _, err = merge.PatchKeyed(doc, []merge.Operation{{Op: "remove", Path: "/a/[id=1]"}, {Op: "remove", Path: "/a/[id=1]"}})
	assert.True(t, errors.Is(err, merge.ErrKeyNotFound), "the second remove finds no element: %v", err)
	assert.Contains(t, err.Error(), "operation 1")

	_, _, err = merge.Patch(doc, []merge.Operation{{Op: "remove", Path: "/a/[id=1]"}})
	assert.True(t, errors.Is(err, merge.ErrPathNotFound), "plain Patch does not resolve selectors")
}
