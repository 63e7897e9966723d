package merge_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func TestEqual(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"IntegerSpellings", n("1"), n("1.0"), true},
		{"ExponentSpelling", n("1"), n("1e0"), true},
		{"ScaledExponent", n("1500"), n("1.5E+3"), true},
		{"NegativeExponent", n("0.001"), n("1e-3"), true},
		{"ZeroSigns", n("0"), n("-0.0e5"), true},
		{"Float64", n("2.5"), 2.5, true},
		{"Int", n("42"), 42, true},
		{"Int64VsFloat", int64(3), float64(3), true},
		{"BeyondFloat64PrecisionDiffers", n("12345678901234567890123"), n("12345678901234567890124"), false},
		{"BeyondFloat64PrecisionEqual", n("12345678901234567890123"), n("1.2345678901234567890123e22"), true},
		{"HugeExponentsDiffer", n("1e999999999999999999999"), n("1e999999999999999999998"), false},
		{"HugeExponentsEqual", n("10e999999999999999999998"), n("1e999999999999999999999"), true},
		{"SignMatters", n("-1"), n("1"), false},
		{"IntegersDiffer", n("1729"), n("1730"), false},
		{"LeadingZeroSpelling", n("010"), n("10"), true},
		{"MinusZeroInteger", n("-0"), n("0"), true},
		{"NegativeIntegers", n("-12"), n("-12.0"), true},
		{"NaNEqualsNothing", math.NaN(), math.NaN(), false},
		{"NumberIsNotString", n("1"), "1", false},
		{"NullIsNotFalse", nil, false, false},
		{"NullIsNull", nil, nil, true},
		{"Objects", map[string]any{"a": n("1"), "b": []any{"x"}}, map[string]any{"b": []any{"x"}, "a": 1.0}, true},
		{"ObjectMissingMember", map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{"ArrayOrderMatters", []any{"a", "b"}, []any{"b", "a"}, false},
		{"EmptyArrayIsNotEmptyObject", []any{}, map[string]any{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, merge.Equal(tt.a, tt.b))
			assert.Equal(t, tt.want, merge.Equal(tt.b, tt.a), "symmetric")
		})
	}
}

func TestCloneIsDeep(t *testing.T) {
	v := decode(t, `{"a":{"b":[1,{"c":2}]}}`)
	c := merge.Clone(v)
	require.True(t, identical(v, c))
	c.(map[string]any)["a"].(map[string]any)["b"].([]any)[1].(map[string]any)["c"] = "changed"
	assert.True(t, identical(decode(t, `{"a":{"b":[1,{"c":2}]}}`), v), "the original is untouched")
}

func TestDepth(t *testing.T) {
	tests := []struct {
		doc  string
		want int
	}{{`1`, 0}, {`[]`, 1}, {`{"a":1}`, 1}, {`[[]]`, 2}, {`{"a":[{"b":{}}],"c":1}`, 4}}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) { assert.Equal(t, tt.want, merge.Depth(decode(t, tt.doc))) })
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           []merge.Change
	}{
		{"EqualGivesNothing", `{"a":[1,{"b":2}]}`, `{"a":[1.0,{"b":2e0}]}`, nil},
		{"MembersInSortedOrder", `{"b":1,"c":2,"z":{"y":1}}`, `{"a":0,"b":1,"c":3,"z":{}}`, []merge.Change{
			{Path: "/a", Op: merge.OpAdd, New: json.Number("0")},
			{Path: "/c", Op: merge.OpReplace, Old: json.Number("2"), New: json.Number("3")},
			{Path: "/z/y", Op: merge.OpRemove, Old: json.Number("1")},
		}},
		{"ArraysCompareWhole", `{"a":[1,2]}`, `{"a":[1,3]}`, []merge.Change{
			{Path: "/a", Op: merge.OpReplace, Old: []any{json.Number("1"), json.Number("2")}, New: []any{json.Number("1"), json.Number("3")}},
		}},
		{"TypeChangeIsReplace", `{"a":{"b":1}}`, `{"a":"s"}`, []merge.Change{
			{Path: "/a", Op: merge.OpReplace, Old: map[string]any{"b": json.Number("1")}, New: "s"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, nw := decode(t, tt.old), decode(t, tt.new)
			got := merge.Diff("", old, nw)
			assert.Equal(t, tt.want, got)
			applied, _, err := merge.Patch(old, opsFromChanges(got))
			require.NoError(t, err)
			assert.True(t, merge.Equal(nw, applied))
		})
	}
	t.Run("PrefixesPath", func(t *testing.T) {
		got := merge.Diff("/p", decode(t, `{"a":1}`), decode(t, `{}`))
		assert.Equal(t, []merge.Change{{Path: "/p/a", Op: merge.OpRemove, Old: json.Number("1")}}, got)
	})
}

func TestParsePointer(t *testing.T) {
	tests := []struct {
		ptr  string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"/", []string{""}, true},
		{"/a/b", []string{"a", "b"}, true},
		{"/a~1b/c~0d/~01", []string{"a/b", "c~d", "~1"}, true},
		{"/a//b", []string{"a", "", "b"}, true},
		{"a", nil, false},
		{"/a~", nil, false},
		{"/a~2", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			got, err := merge.ParsePointer(tt.ptr)
			if !tt.ok {
				assert.ErrorIs(t, err, merge.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.ptr, merge.FormatPointer(got), "round trip")
		})
		t.Run("Append"+tt.ptr, func(t *testing.T) {
			// AppendPointer gives ParsePointer's answer after what dst holds,
			// and leaves dst as it was on error.
			dst := []string{"kept"}
			got, err := merge.AppendPointer(dst, tt.ptr)
			want, wantErr := merge.ParsePointer(tt.ptr)
			assert.Equal(t, wantErr, err)
			if !tt.ok {
				assert.Equal(t, []string{"kept"}, got)
				return
			}
			assert.Equal(t, append([]string{"kept"}, want...), got)
		})
	}
}

func TestAppendPointerAllocs(t *testing.T) {
	buf := make([]string, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = merge.AppendPointer(buf[:0], "/a/b/c")
	})
	assert.Zero(t, allocs, "unescaped tokens share the pointer's memory and fit the buffer")
}

func TestGet(t *testing.T) {
	doc := decode(t, `{"a":{"b/c":[10,{"d":null}]},"":1}`)
	tests := []struct {
		ptr    string
		want   any
		exists bool
	}{
		{"", doc, true},
		{"/", json.Number("1"), true},
		{"/a/b~1c/0", json.Number("10"), true},
		{"/a/b~1c/1/d", nil, true},
		{"/a/b~1c/2", nil, false},
		{"/a/b~1c/01", nil, false},
		{"/a/b~1c/-", nil, false},
		{"/a/b~1c/0/x", nil, false},
		{"/zz", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			got, ok, err := merge.Get(doc, tt.ptr)
			require.NoError(t, err)
			assert.Equal(t, tt.exists, ok)
			assert.True(t, merge.Equal(tt.want, got))
		})
	}
	t.Run("MalformedIsErrInvalid", func(t *testing.T) {
		_, _, err := merge.Get(doc, "a")
		assert.ErrorIs(t, err, merge.ErrInvalid)
	})
}
