package merge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func readDecodeFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "decode", name))
	require.NoError(tb, err)
	return b
}

func TestDecodeValid(t *testing.T) {
	got, err := merge.Decode(readDecodeFixture(t, "valid.json"), merge.DecodeLimits{MaxBytes: 1 << 10, MaxDepth: 2})
	require.NoError(t, err)
	quick, ok := merge.DecodeQuick(readDecodeFixture(t, "valid.json"), merge.DecodeLimits{MaxBytes: 1 << 10, MaxDepth: 2})
	require.True(t, ok)
	assert.Equal(t, got, quick, "DecodeQuick gives Decode's document")
	want := map[string]any{
		"id": "u1", "age": json.Number("30"), "score": json.Number("1.50"),
		"big":  json.Number("12345678901234567890123"),
		"tags": []any{"a", nil, true},
		"name": map[string]any{"given": `Ann "A" [x]`},
	}
	assert.Equal(t, want, got, "numbers keep their exact text")
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		lim     merge.DecodeLimits
		kind    error
		path    string
	}{
		{"OverSizeIsErrTooLarge", "valid.json", merge.DecodeLimits{MaxBytes: 10}, merge.ErrTooLarge, ""},
		{"OverDepthIsErrTooDeep", "valid.json", merge.DecodeLimits{MaxDepth: 1}, merge.ErrTooDeep, ""},
		{"InvalidUTF8IsErrMalformed", "invalid_utf8.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
		{"DuplicateMemberIsErrMalformed", "duplicate_nested.json", merge.DecodeLimits{}, merge.ErrMalformed, "/b/c"},
		{"SecondValueIsErrMalformed", "trailing_value.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
		{"TrailingGarbageIsErrMalformed", "trailing_garbage.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
		{"TrailingCommaIsErrMalformed", "trailing_comma.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
		{"TruncatedIsErrMalformed", "truncated.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
		{"EmptyIsErrMalformed", "empty.json", merge.DecodeLimits{}, merge.ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := merge.Decode(readDecodeFixture(t, tt.fixture), tt.lim)
			assert.Nil(t, got)
			require.ErrorIs(t, err, tt.kind)
			q, ok := merge.DecodeQuick(readDecodeFixture(t, tt.fixture), tt.lim)
			assert.False(t, ok, "DecodeQuick refuses it too")
			assert.Nil(t, q)
			var me *merge.Error
			require.True(t, errors.As(err, &me))
			assert.Equal(t, tt.path, me.Path)
		})
	}
}

func TestDecodeSizeIsCheckedFirst(t *testing.T) {
	// Invalid UTF-8 and too deep as well, but size is the cheapest check.
	data := append(bytes.Repeat([]byte("["), 100), 0xff)
	_, err := merge.Decode(data, merge.DecodeLimits{MaxBytes: 50, MaxDepth: 5})
	assert.ErrorIs(t, err, merge.ErrTooLarge)
}

func TestDecodeBracketsInStringsDoNotCount(t *testing.T) {
	got, err := merge.Decode(readDecodeFixture(t, "brackets_in_strings.json"), merge.DecodeLimits{MaxDepth: 3})
	require.NoError(t, err)
	assert.Equal(t, `[[[[{{{{"[[[[`, got.(map[string]any)["a"])
	_, err = merge.Decode(readDecodeFixture(t, "brackets_in_strings.json"), merge.DecodeLimits{MaxDepth: 2})
	assert.ErrorIs(t, err, merge.ErrTooDeep, "the real nesting is 3")
}

// TestDecodeMillionDeepFailsBeforeParsing feeds a million "[": the depth
// scan must refuse it. Were it parsed, encoding/json would report its own
// nesting error, which Decode turns into ErrMalformed, not ErrTooDeep.
func TestDecodeMillionDeepFailsBeforeParsing(t *testing.T) {
	data := bytes.Repeat([]byte("["), 1_000_000)
	_, err := merge.Decode(data, merge.DecodeLimits{MaxBytes: 2_000_000, MaxDepth: 64})
	require.ErrorIs(t, err, merge.ErrTooDeep)
	assert.Contains(t, err.Error(), "byte 64", "it stops at the first bracket past the limit")
}

func TestDecodeDefaultDepthIsTheParsers(t *testing.T) {
	deep := func(n int) []byte {
		return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...)
	}
	_, err := merge.Decode(deep(10000), merge.DecodeLimits{})
	require.NoError(t, err)
	_, err = merge.Decode(deep(10001), merge.DecodeLimits{})
	assert.ErrorIs(t, err, merge.ErrTooDeep)
	_, err = merge.Decode(deep(10001), merge.DecodeLimits{MaxDepth: 1 << 30})
	assert.ErrorIs(t, err, merge.ErrTooDeep)
}

func TestDecodeDuplicates(t *testing.T) {
	tests := []struct {
		name, doc, path string
	}{
		{"EscapedSpellingIsTheSameName", `{"A":1,"\u0041":2}`, "/A"},
		{"AfterNestedValue", `{"a":{"a":1,"b":[{"a":1}]},"a":2}`, "/a"},
		{"InsideArrayElement", `[1,{"x":[]},{"k":1,"k":2}]`, "/2/k"},
		{"ManyMembers", `{"m0":0,"m1":1,"m2":2,"m3":3,"m4":4,"m5":5,"m6":6,"m7":7,"m8":8,"m9":9,"m3":3}`, "/m3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := merge.Decode([]byte(tt.doc), merge.DecodeLimits{})
			require.ErrorIs(t, err, merge.ErrMalformed)
			var me *merge.Error
			require.True(t, errors.As(err, &me))
			assert.Equal(t, tt.path, me.Path)
		})
	}
	t.Run("SameNameInSiblingsIsFine", func(t *testing.T) {
		_, err := merge.Decode([]byte(`{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}],"k":"\"k\":"}`), merge.DecodeLimits{})
		assert.NoError(t, err)
	})
}

func TestDecodeDepthMatchesDepth(t *testing.T) {
	g := newGen(1)
	for range 500 {
		v := g.value(5, false)
		b := encode(t, v)
		d := merge.Depth(v)
		got, err := merge.Decode(b, merge.DecodeLimits{MaxDepth: d})
		require.NoError(t, err, "%s at its own depth %d", b, d)
		assert.True(t, identical(v, got), "%s round trip", b)
		if d > 1 { // MaxDepth 0 means no limit
			_, err = merge.Decode(b, merge.DecodeLimits{MaxDepth: d - 1})
			assert.ErrorIs(t, err, merge.ErrTooDeep, "%s below its depth %d", b, d)
		}
	}
}
