package merge_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func TestPatchOperations(t *testing.T) {
	const doc = `{"a":{"b":1},"arr":[1,2,3],"s":"x"}`
	tests := []struct {
		name string
		ops  []merge.Operation
		want string
		kind error
	}{
		{name: "AddMember", ops: []merge.Operation{{Op: "add", Path: "/a/c", Value: "n"}},
			want: `{"a":{"b":1,"c":"n"},"arr":[1,2,3],"s":"x"}`},
		{name: "AddReplacesExistingMember", ops: []merge.Operation{{Op: "add", Path: "/s", Value: nil}},
			want: `{"a":{"b":1},"arr":[1,2,3],"s":null}`},
		{name: "AddInsertsIntoArray", ops: []merge.Operation{{Op: "add", Path: "/arr/1", Value: "i"}},
			want: `{"a":{"b":1},"arr":[1,"i",2,3],"s":"x"}`},
		{name: "AddAppendsWithDash", ops: []merge.Operation{{Op: "add", Path: "/arr/-", Value: 4}},
			want: `{"a":{"b":1},"arr":[1,2,3,4],"s":"x"}`},
		{name: "AddAtEndIndex", ops: []merge.Operation{{Op: "add", Path: "/arr/3", Value: 4}},
			want: `{"a":{"b":1},"arr":[1,2,3,4],"s":"x"}`},
		{name: "AddRootReplacesDocument", ops: []merge.Operation{{Op: "add", Path: "", Value: map[string]any{"z": true}}},
			want: `{"z":true}`},
		{name: "RemoveMember", ops: []merge.Operation{{Op: "remove", Path: "/a/b"}},
			want: `{"a":{},"arr":[1,2,3],"s":"x"}`},
		{name: "RemoveElement", ops: []merge.Operation{{Op: "remove", Path: "/arr/0"}},
			want: `{"a":{"b":1},"arr":[2,3],"s":"x"}`},
		{name: "ReplaceElement", ops: []merge.Operation{{Op: "replace", Path: "/arr/2", Value: "r"}},
			want: `{"a":{"b":1},"arr":[1,2,"r"],"s":"x"}`},
		{name: "MoveMember", ops: []merge.Operation{{Op: "move", From: "/s", Path: "/a/s"}},
			want: `{"a":{"b":1,"s":"x"},"arr":[1,2,3]}`},
		{name: "MoveElement", ops: []merge.Operation{{Op: "move", From: "/arr/0", Path: "/arr/-"}},
			want: `{"a":{"b":1},"arr":[2,3,1],"s":"x"}`},
		{name: "CopySubtree", ops: []merge.Operation{{Op: "copy", From: "/a", Path: "/c"}},
			want: `{"a":{"b":1},"arr":[1,2,3],"c":{"b":1},"s":"x"}`},
		{name: "TestPassesOnNumericEquality", ops: []merge.Operation{{Op: "test", Path: "/a/b", Value: json.Number("1.0")}},
			want: doc},
		{name: "SequenceAppliesInOrder", ops: []merge.Operation{
			{Op: "test", Path: "/s", Value: "x"}, {Op: "replace", Path: "/s", Value: "y"}, {Op: "test", Path: "/s", Value: "y"}},
			want: `{"a":{"b":1},"arr":[1,2,3],"s":"y"}`},
		{name: "FailingTestIsErrTestFailed", ops: []merge.Operation{{Op: "replace", Path: "/s", Value: "y"}, {Op: "test", Path: "/s", Value: "x"}},
			kind: merge.ErrTestFailed},
		{name: "TestOfMissingMemberIsErrTestFailed", ops: []merge.Operation{{Op: "test", Path: "/zz", Value: nil}}, kind: merge.ErrTestFailed},
		{name: "TestUnderMissingParentIsErrPathNotFound", ops: []merge.Operation{{Op: "test", Path: "/zz/y", Value: 1}}, kind: merge.ErrPathNotFound},
		{name: "RemoveMissingIsErrPathNotFound", ops: []merge.Operation{{Op: "remove", Path: "/zz"}}, kind: merge.ErrPathNotFound},
		{name: "ReplaceMissingIsErrPathNotFound", ops: []merge.Operation{{Op: "replace", Path: "/a/zz", Value: 1}}, kind: merge.ErrPathNotFound},
		{name: "AddUnderMissingParentIsErrPathNotFound", ops: []merge.Operation{{Op: "add", Path: "/q/r", Value: 1}}, kind: merge.ErrPathNotFound},
		{name: "AddPastArrayEndIsErrPathNotFound", ops: []merge.Operation{{Op: "add", Path: "/arr/5", Value: 1}}, kind: merge.ErrPathNotFound},
		{name: "LeadingZeroIndexIsErrPathNotFound", ops: []merge.Operation{{Op: "replace", Path: "/arr/01", Value: 1}}, kind: merge.ErrPathNotFound},
		{name: "MoveFromMissingIsErrPathNotFound", ops: []merge.Operation{{Op: "move", From: "/zz", Path: "/y"}}, kind: merge.ErrPathNotFound},
		{name: "MoveIntoOwnChildIsErrInvalid", ops: []merge.Operation{{Op: "move", From: "/a", Path: "/a/b/c"}}, kind: merge.ErrInvalid},
		{name: "UnknownOpIsErrInvalid", ops: []merge.Operation{{Op: "merge", Path: "/a"}}, kind: merge.ErrInvalid},
		{name: "BadPointerIsErrInvalid", ops: []merge.Operation{{Op: "remove", Path: "a"}}, kind: merge.ErrInvalid},
		{name: "BadEscapeIsErrInvalid", ops: []merge.Operation{{Op: "copy", From: "/~2", Path: "/a"}}, kind: merge.ErrInvalid},
		{name: "RemoveRootIsErrInvalid", ops: []merge.Operation{{Op: "remove", Path: ""}}, kind: merge.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, doc)
			snap := merge.Clone(d)
			got, changes, err := merge.Patch(d, tt.ops)
			assert.True(t, identical(snap, d), "document modified")
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
				assert.Nil(t, got, "all or nothing")
				assert.Nil(t, changes)
				return
			}
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, tt.want), got), "got %s", encode(t, got))
			assert.Equal(t, merge.Diff("", d, got), changes)
		})
	}
}

func TestPatchSharesUntouchedSubtrees(t *testing.T) {
	d := decode(t, `{"a":{"b":1},"c":{"d":2}}`)
	got, _, err := merge.Patch(d, []merge.Operation{{Op: "add", Path: "/a/x", Value: true}})
	require.NoError(t, err)
	assert.True(t, sameMap(d.(map[string]any)["c"], got.(map[string]any)["c"]))
	assert.False(t, sameMap(d.(map[string]any)["a"], got.(map[string]any)["a"]))
}

func TestPatchErrorNamesOperation(t *testing.T) {
	_, _, err := merge.Patch(decode(t, `{}`), []merge.Operation{{Op: "add", Path: "/a", Value: 1}, {Op: "remove", Path: "/b"}})
	var me *merge.Error
	require.True(t, errors.As(err, &me))
	assert.Equal(t, "/b", me.Path)
	assert.Contains(t, err.Error(), "operation 1 (remove)")
}

// pointers lists every pointer in v except the root.
func pointers(v any, prefix string, out []string) []string {
	switch c := v.(type) {
	case map[string]any:
		for k, e := range c {
			p := prefix + "/" + merge.FormatPointer([]string{k})[1:]
			out = pointers(e, p, append(out, p))
		}
	case []any:
		for i, e := range c {
			p := prefix + "/" + strconv.Itoa(i)
			out = pointers(e, p, append(out, p))
		}
	}
	return out
}

// op returns a random operation against doc: mostly valid, sometimes not.
func (g *gen) op(doc any) merge.Operation {
	ptrs := pointers(doc, "", nil)
	existing := func() string {
		if len(ptrs) == 0 || g.r.IntN(10) == 0 {
			return "/missing" + strconv.Itoa(g.r.IntN(2)) + "/x"[:g.r.IntN(2)*2]
		}
		return ptrs[g.r.IntN(len(ptrs))]
	}
	target := func() string {
		parent := ""
		if len(ptrs) > 0 && g.r.IntN(2) == 0 {
			// Mostly a container; a scalar parent makes the op fail.
			for range 3 {
				parent = ptrs[g.r.IntN(len(ptrs))]
				if v, _, _ := merge.Get(doc, parent); merge.Depth(v) > 0 {
					break
				}
			}
		}
		v, _, _ := merge.Get(doc, parent)
		if arr, ok := v.([]any); ok {
			switch g.r.IntN(4) {
			case 0:
				return parent + "/-"
			case 1:
				return parent + "/" + strconv.Itoa(len(arr)+g.r.IntN(2))
			default:
				return parent + "/" + strconv.Itoa(g.r.IntN(len(arr)+1))
			}
		}
		return parent + "/" + merge.FormatPointer([]string{g.name()})[1:]
	}
	switch g.r.IntN(6) {
	case 0:
		return merge.Operation{Op: "add", Path: target(), Value: g.value(2, false)}
	case 1:
		return merge.Operation{Op: "remove", Path: existing()}
	case 2:
		return merge.Operation{Op: "replace", Path: existing(), Value: g.value(2, false)}
	case 3:
		from, to := existing(), target()
		if strings.HasPrefix(to, from+"/") {
			// RFC 6902 forbids it and Patch refuses it (see
			// TestPatchOperations), but the library carries it out.
			to = "/" + merge.FormatPointer([]string{g.name()})[1:]
		}
		return merge.Operation{Op: "move", From: from, Path: to}
	case 4:
		return merge.Operation{Op: "copy", From: existing(), Path: target()}
	default:
		p := existing()
		v, ok, _ := merge.Get(doc, p)
		if !ok || g.r.IntN(8) == 0 || hasNull(v) {
			v = "no value is this string"
		}
		return merge.Operation{Op: "test", Path: p, Value: v}
	}
}

// hasNull reports whether v is or holds a null anywhere.
func hasNull(v any) bool {
	switch c := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range c {
			if hasNull(e) {
				return true
			}
		}
	case []any:
		for _, e := range c {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}

func libraryOps(tb testing.TB, ops []merge.Operation) []byte {
	tb.Helper()
	out := make([]map[string]any, len(ops))
	for i, o := range ops {
		m := map[string]any{"op": o.Op, "path": o.Path}
		switch o.Op {
		case "move", "copy":
			m["from"] = o.From
		case "add", "replace", "test":
			m["value"] = o.Value
		}
		out[i] = m
	}
	return encode(tb, out)
}

// TestPatchMatchesLibrary applies random operation lists with Patch and
// with jsonpatch (negative indices off, as RFC 6901 has none) and requires
// the same outcome: both fail, with a failed test reported as such by both,
// or both succeed with Equal documents. Test values are either the exact
// value at the path or a string found nowhere, because the library compares
// numbers by their text while Patch compares them by value. Test values
// hold no null anywhere: the library's "test" panics on an array holding
// null, and reports equal objects with a null member as different. Member names
// are never empty: the library silently ignores an "add" at "//c" (a member
// of the member named ""), which Patch carries out as RFC 6901 says.
func TestPatchMatchesLibrary(t *testing.T) {
	const runs = 4000
	g := newGen(6902)
	g.names = []string{"a", "b", "c", "x~y", "p/q"}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	var succeeded, failed int
	for i := range runs {
		doc := g.object(3, false)
		var ops []merge.Operation
		state := any(doc)
		for range 1 + g.r.IntN(4) {
			op := g.op(state)
			ops = append(ops, op)
			// The state the next operation is generated against is the
			// library's, as text: Patch keeps a value that is Equal to the
			// one written (1e0 over 10e-1), but the library's "test"
			// compares the text written.
			lp, err := jsonpatch.DecodePatch(libraryOps(t, []merge.Operation{op}))
			require.NoError(t, err)
			next, err := lp.ApplyWithOptions(encode(t, state), opts)
			if err != nil {
				break
			}
			state = decode(t, string(next))
		}
		snap := merge.Clone(doc)
		got, _, err := merge.Patch(doc, ops)
		require.True(t, identical(snap, doc), "run %d: document modified", i)

		lp, lerr := jsonpatch.DecodePatch(libraryOps(t, ops))
		require.NoError(t, lerr)
		want, lerr := lp.ApplyWithOptions(encode(t, doc), opts)
		ctx := func() string { return string(encode(t, doc)) + " " + string(libraryOps(t, ops)) }
		if lerr != nil {
			failed++
			require.Error(t, err, "run %d: library failed (%v), Patch did not: %s", i, lerr, ctx())
			assert.Nil(t, got)
			assert.Equal(t, errors.Is(lerr, jsonpatch.ErrTestFailed), errors.Is(err, merge.ErrTestFailed),
				"run %d: %v vs %v: %s", i, lerr, err, ctx())
			continue
		}
		succeeded++
		require.NoError(t, err, "run %d: Patch failed, library did not: %s", i, ctx())
		assert.True(t, merge.Equal(decode(t, string(want)), got), "run %d: library %s, Patch %s: %s", i, want, encode(t, got), ctx())
	}
	t.Logf("%d runs succeeded, %d failed in both", succeeded, failed)
	assert.Greater(t, succeeded, runs/4, "most random patches should apply")
	assert.Greater(t, failed, runs/20, "failures should be exercised too")
}
