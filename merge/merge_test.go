package merge_test

import (
	"encoding/json"
	"errors"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func TestMergeRFC7386AppendixA(t *testing.T) {
	var cases []struct {
		Name   string          `json:"name"`
		Target json.RawMessage `json:"target"`
		Patch  json.RawMessage `json:"patch"`
		Result json.RawMessage `json:"result"`
	}
	readFixture(t, "rfc7386_appendix_a.json", &cases)
	require.Len(t, cases, 15, "Appendix A has fifteen examples")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			doc, patch := decode(t, string(c.Target)), decode(t, string(c.Patch))
			got, _, err := merge.Merge(doc, patch, merge.Options{})
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, string(c.Result)), got), "got %s", encode(t, got))
		})
	}
}

// opsFromChanges turns a change list into RFC 6902 operations.
func opsFromChanges(changes []merge.Change) []merge.Operation {
	ops := make([]merge.Operation, len(changes))
	for i, c := range changes {
		ops[i] = merge.Operation{Op: c.Op, Path: c.Path, Value: c.New}
	}
	return ops
}

// TestMergeMatchesLibrary compares Merge with jsonpatch.MergePatch on
// random documents and patches from a seeded source. Roots are objects, as in every update.
// Patches carry no null members inside objects inside arrays: RFC 7386
// takes an array as a whole value, but the library strips such nulls when
// the stored member is absent or not an object (and keeps them otherwise);
// Merge follows the RFC, which TestMergeKeepsNullsInsideArrays pins.
func TestMergeMatchesLibrary(t *testing.T) {
	const pairs = 10000
	g := newGen(7386)
	for i := range pairs {
		g.noNullMembersInArrays = false
		doc := g.object(4, false)
		g.noNullMembersInArrays = true
		patch := g.object(4, false)
		docSnap, patchSnap := merge.Clone(doc), merge.Clone(patch)

		got, changes, err := merge.Merge(doc, patch, merge.Options{})
		require.NoError(t, err)

		want, err := jsonpatch.MergePatch(encode(t, doc), encode(t, patch))
		require.NoError(t, err)
		if !assert.True(t, merge.Equal(decode(t, string(want)), got),
			"pair %d: doc %s patch %s: library %s, Merge %s", i, encode(t, doc), encode(t, patch), want, encode(t, got)) {
			return
		}
		require.True(t, identical(docSnap, doc), "pair %d: document modified", i)
		require.True(t, identical(patchSnap, patch), "pair %d: patch modified", i)

		assert.Equal(t, merge.Equal(doc, got), len(changes) == 0, "pair %d: empty change list iff unchanged", i)
		replayed, _, err := merge.Patch(doc, opsFromChanges(changes))
		require.NoError(t, err, "pair %d: replaying changes", i)
		assert.True(t, merge.Equal(got, replayed), "pair %d: the change list does not reproduce the result", i)

		diffed, _, err := merge.Patch(doc, opsFromChanges(merge.Diff("", doc, got)))
		require.NoError(t, err, "pair %d: applying Diff", i)
		assert.True(t, merge.Equal(got, diffed), "pair %d: Diff does not reproduce the result", i)
	}
}

func TestMergeKeepsNullsInsideArrays(t *testing.T) {
	doc := decode(t, `{"a":"x"}`)
	got, _, err := merge.Merge(doc, decode(t, `{"a":[{"b":null}],"c":[{"d":null}]}`), merge.Options{})
	require.NoError(t, err)
	assert.True(t, merge.Equal(decode(t, `{"a":[{"b":null}],"c":[{"d":null}]}`), got), "got %s", encode(t, got))
}

func TestMergeChangeList(t *testing.T) {
	tests := []struct {
		name, doc, patch string
		want             []merge.Change
	}{
		{"NoChangeWhenValueEqual", `{"a":1,"b":{"c":"x"}}`, `{"a":1.0,"b":{"c":"x"}}`, nil},
		{"NoChangeWhenRemovingAbsent", `{"a":1,"b":{}}`, `{"z":null,"b":{"q":null}}`, nil},
		{"NoChangeForEmptyPatch", `{"a":1}`, `{}`, nil},
		{"MemberLevelChanges", `{"a":1,"b":{"c":"x","d":true}}`, `{"a":2,"b":{"c":null,"e":"y"}}`, []merge.Change{
			{Path: "/a", Op: merge.OpReplace, Old: json.Number("1"), New: json.Number("2")},
			{Path: "/b/c", Op: merge.OpRemove, Old: "x"},
			{Path: "/b/e", Op: merge.OpAdd, New: "y"},
		}},
		{"NewSubtreeIsOneChange", `{"a":"s"}`, `{"a":{"b":{"c":1,"d":null}}}`, []merge.Change{
			{Path: "/a", Op: merge.OpReplace, Old: "s", New: map[string]any{"b": map[string]any{"c": json.Number("1")}}},
		}},
		{"EscapedMemberNames", `{}`, `{"a/b":1,"c~d":2}`, []merge.Change{
			{Path: "/a~1b", Op: merge.OpAdd, New: json.Number("1")},
			{Path: "/c~0d", Op: merge.OpAdd, New: json.Number("2")},
		}},
		{"RootReplaced", `{"a":1}`, `"x"`, []merge.Change{{Path: "", Op: merge.OpReplace, Old: map[string]any{"a": json.Number("1")}, New: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, tt.doc)
			got, changes, err := merge.Merge(doc, decode(t, tt.patch), merge.Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, changes)
			if tt.want == nil {
				assert.True(t, sameMap(doc, got), "an unchanged merge returns the document itself")
			}
		})
	}
}

func TestMergeCopyOnWrite(t *testing.T) {
	doc := decode(t, `{"profile":{"name":{"given":"Ann"},"tags":["a"]},"emails":[{"id":1,"v":"a@x"}],"other":{"deep":{"x":1}}}`)
	patch := decode(t, `{"profile":{"name":{"given":"Bo"}},"emails":[{"id":1,"v":"b@x"}]}`)
	docSnap, patchSnap := merge.Clone(doc), merge.Clone(patch)
	opt := merge.Options{Array: func(string) merge.ArrayRule {
		return merge.ArrayRule{Mode: merge.ArrayUpsert, Key: "id", MergeElements: true}
	}}

	got, changes, err := merge.Merge(doc, patch, opt)
	require.NoError(t, err)
	require.NotEmpty(t, changes)

	assert.True(t, identical(docSnap, doc), "document modified")
	assert.True(t, identical(patchSnap, patch), "patch modified")
	d, g := doc.(map[string]any), got.(map[string]any)
	assert.True(t, sameMap(d["other"], g["other"]), "untouched sibling is shared")
	assert.True(t, sameSlice(d["profile"].(map[string]any)["tags"], g["profile"].(map[string]any)["tags"]),
		"untouched array inside a touched object is shared")
	assert.False(t, sameMap(d["profile"], g["profile"]), "touched object is a copy")
	assert.Equal(t, "Bo", g["profile"].(map[string]any)["name"].(map[string]any)["given"])
}

func TestMergeArrayAppend(t *testing.T) {
	opt := merge.Options{Array: func(p string) merge.ArrayRule {
		if p == "/tags" {
			return merge.ArrayRule{Mode: merge.ArrayAppend}
		}
		return merge.ArrayRule{}
	}}
	tests := []struct {
		name, doc, patch, want string
		changes                []merge.Change
	}{
		{"AppendsToStored", `{"tags":["a"]}`, `{"tags":["b","c"]}`, `{"tags":["a","b","c"]}`, []merge.Change{
			{Path: "/tags/1", Op: merge.OpAdd, New: "b"}, {Path: "/tags/2", Op: merge.OpAdd, New: "c"}}},
		{"SentArrayWhenAbsent", `{}`, `{"tags":["b"]}`, `{"tags":["b"]}`, []merge.Change{
			{Path: "/tags", Op: merge.OpAdd, New: []any{"b"}}}},
		{"SentArrayWhenNotArray", `{"tags":"x"}`, `{"tags":["b"]}`, `{"tags":["b"]}`, []merge.Change{
			{Path: "/tags", Op: merge.OpReplace, Old: "x", New: []any{"b"}}}},
		{"EmptyAppendIsNoChange", `{"tags":["a"]}`, `{"tags":[]}`, `{"tags":["a"]}`, nil},
		{"OtherPathsReplace", `{"tags":["a"],"x":[1]}`, `{"x":[2]}`, `{"tags":["a"],"x":[2]}`, []merge.Change{
			{Path: "/x", Op: merge.OpReplace, Old: []any{json.Number("1")}, New: []any{json.Number("2")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, tt.doc)
			snap := merge.Clone(doc)
			got, changes, err := merge.Merge(doc, decode(t, tt.patch), opt)
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, tt.want), got), "got %s", encode(t, got))
			assert.Equal(t, tt.changes, changes)
			assert.True(t, identical(snap, doc), "document modified")
		})
	}
}

func upsertOptions(mergeElements bool, newKey func(map[string]bool) any) merge.Options {
	return merge.Options{Array: func(p string) merge.ArrayRule {
		if p != "/statuses" {
			return merge.ArrayRule{}
		}
		return merge.ArrayRule{Mode: merge.ArrayUpsert, Key: "id", MergeElements: mergeElements, NewKey: newKey}
	}}
}

func TestMergeUpsert(t *testing.T) {
	const stored = `{"statuses":[{"id":5253,"text":"a","lang":"en"},{"id":"s2","text":"b"}]}`
	seq := func(existing map[string]bool) any {
		for i := 1; ; i++ {
			k := json.Number(string(rune('0' + i)))
			if !existing[string(k)] {
				return k
			}
		}
	}
	tests := []struct {
		name          string
		mergeElements bool
		newKey        func(map[string]bool) any
		doc, patch    string
		want          string
		changes       []merge.Change
	}{
		{name: "ReplacesByKey", doc: stored, patch: `{"statuses":[{"id":5253,"text":"z"}]}`,
			want: `{"statuses":[{"id":5253,"text":"z"},{"id":"s2","text":"b"}]}`,
			changes: []merge.Change{{Path: "/statuses/0", Op: merge.OpReplace,
				Old: map[string]any{"id": json.Number("5253"), "text": "a", "lang": "en"},
				New: map[string]any{"id": json.Number("5253"), "text": "z"}}}},
		{name: "MergesElements", mergeElements: true, doc: stored, patch: `{"statuses":[{"id":"s2","text":"c","lang":null,"x":1}]}`,
			want: `{"statuses":[{"id":5253,"text":"a","lang":"en"},{"id":"s2","text":"c","x":1}]}`,
			changes: []merge.Change{
				{Path: "/statuses/1/text", Op: merge.OpReplace, Old: "b", New: "c"},
				{Path: "/statuses/1/x", Op: merge.OpAdd, New: json.Number("1")}}},
		{name: "NumberMatchesString", mergeElements: true, doc: stored, patch: `{"statuses":[{"id":"5253","text":"q"}]}`,
			want:    `{"statuses":[{"id":5253,"text":"q","lang":"en"},{"id":"s2","text":"b"}]}`,
			changes: []merge.Change{{Path: "/statuses/0/text", Op: merge.OpReplace, Old: "a", New: "q"}}},
		{name: "StringMatchesNumber", doc: `{"statuses":[{"id":"7"}]}`, patch: `{"statuses":[{"id":7.0,"v":1}]}`,
			want: `{"statuses":[{"id":"7","v":1}]}`,
			changes: []merge.Change{{Path: "/statuses/0", Op: merge.OpReplace,
				Old: map[string]any{"id": "7"}, New: map[string]any{"id": "7", "v": json.Number("1")}}}},
		{name: "AppendsWithNewKey", newKey: seq, doc: `{"statuses":[{"id":1}]}`, patch: `{"statuses":[{"v":"x"},{"id":null,"v":"y"}]}`,
			want: `{"statuses":[{"id":1},{"id":2,"v":"x"},{"id":3,"v":"y"}]}`,
			changes: []merge.Change{
				{Path: "/statuses/1", Op: merge.OpAdd, New: map[string]any{"id": json.Number("2"), "v": "x"}},
				{Path: "/statuses/2", Op: merge.OpAdd, New: map[string]any{"id": json.Number("3"), "v": "y"}}}},
		{name: "AppendsKeylessWithoutNewKey", doc: `{"statuses":[{"id":1}]}`, patch: `{"statuses":[{"v":"x"},"plain"]}`,
			want: `{"statuses":[{"id":1},{"v":"x"},"plain"]}`,
			changes: []merge.Change{
				{Path: "/statuses/1", Op: merge.OpAdd, New: map[string]any{"v": "x"}},
				{Path: "/statuses/2", Op: merge.OpAdd, New: "plain"}}},
		{name: "ReplacingWithEqualIsNoChange", doc: stored, patch: `{"statuses":[{"id":5253,"text":"a","lang":"en"}]}`, want: stored},
		{name: "AbsentArrayIsOneChange", newKey: seq, doc: `{}`, patch: `{"statuses":[{"v":"x"}]}`,
			want:    `{"statuses":[{"id":1,"v":"x"}]}`,
			changes: []merge.Change{{Path: "/statuses", Op: merge.OpAdd, New: []any{map[string]any{"id": json.Number("1"), "v": "x"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, patch := decode(t, tt.doc), decode(t, tt.patch)
			docSnap, patchSnap := merge.Clone(doc), merge.Clone(patch)
			got, changes, err := merge.Merge(doc, patch, upsertOptions(tt.mergeElements, tt.newKey))
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, tt.want), got), "got %s", encode(t, got))
			assert.Equal(t, tt.changes, changes)
			assert.True(t, identical(docSnap, doc), "document modified")
			assert.True(t, identical(patchSnap, patch), "patch modified")
		})
	}
}

func TestMergeUpsertErrors(t *testing.T) {
	doc := decode(t, `{"statuses":[{"id":1}]}`)
	tests := []struct {
		name, patch string
		opt         merge.Options
		kind        error
		key         any
	}{
		{"UnknownKeyIsErrKeyNotFound", `{"statuses":[{"v":"x"},{"id":5253}]}`,
			upsertOptions(false, nil), merge.ErrKeyNotFound, json.Number("5253")},
		{"ObjectKeyIsErrInvalid", `{"statuses":[{"id":{"x":1}}]}`, upsertOptions(false, nil), merge.ErrInvalid, map[string]any{"x": json.Number("1")}},
		{"ReusedNewKeyIsErrInvalid", `{"statuses":[{"v":1}]}`,
			upsertOptions(false, func(map[string]bool) any { return 1 }), merge.ErrInvalid, 1},
		{"MissingRuleKeyIsErrInvalid", `{"statuses":[{"v":1}]}`, merge.Options{Array: func(string) merge.ArrayRule {
			return merge.ArrayRule{Mode: merge.ArrayUpsert}
		}}, merge.ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := merge.Clone(doc)
			got, changes, err := merge.Merge(doc, decode(t, tt.patch), tt.opt)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.kind)
			var me *merge.Error
			require.True(t, errors.As(err, &me))
			assert.Equal(t, "/statuses", me.Path)
			assert.Equal(t, tt.key, me.Key)
			assert.Contains(t, err.Error(), "/statuses")
			assert.Nil(t, got)
			assert.Nil(t, changes)
			assert.True(t, identical(snap, doc), "document modified")
		})
	}
}

func TestMergeAt(t *testing.T) {
	const doc = `{"a":{"b":1},"statuses":[{"id":1,"v":"x","tags":["t"]},{"id":2}]}`
	tagsAppend := merge.Options{Array: func(p string) merge.ArrayRule {
		if p == "/statuses/0/tags" {
			return merge.ArrayRule{Mode: merge.ArrayAppend}
		}
		return merge.ArrayRule{}
	}}
	tests := []struct {
		name, at, patch string
		opt             merge.Options
		want            string
		changes         []merge.Change
		kind            error
	}{
		{name: "RootIsMerge", at: "", patch: `{"a":null}`, want: `{"statuses":[{"id":1,"v":"x","tags":["t"]},{"id":2}]}`,
			changes: []merge.Change{{Path: "/a", Op: merge.OpRemove, Old: map[string]any{"b": json.Number("1")}}}},
		{name: "MergesIntoMember", at: "/a", patch: `{"c":2}`, want: `{"a":{"b":1,"c":2},"statuses":[{"id":1,"v":"x","tags":["t"]},{"id":2}]}`,
			changes: []merge.Change{{Path: "/a/c", Op: merge.OpAdd, New: json.Number("2")}}},
		{name: "MergesIntoAbsentTarget", at: "/n", patch: `{"c":2,"d":null}`, want: `{"a":{"b":1},"n":{"c":2},"statuses":[{"id":1,"v":"x","tags":["t"]},{"id":2}]}`,
			changes: []merge.Change{{Path: "/n", Op: merge.OpAdd, New: map[string]any{"c": json.Number("2")}}}},
		{name: "MergesIntoElementWithAbsoluteRulePaths", at: "/statuses/0", patch: `{"v":"y","tags":["u"]}`, opt: tagsAppend,
			want: `{"a":{"b":1},"statuses":[{"id":1,"v":"y","tags":["t","u"]},{"id":2}]}`,
			changes: []merge.Change{
				{Path: "/statuses/0/tags/1", Op: merge.OpAdd, New: "u"},
				{Path: "/statuses/0/v", Op: merge.OpReplace, Old: "x", New: "y"}}},
		{name: "NullRemovesTarget", at: "/a/b", patch: `null`, want: `{"a":{},"statuses":[{"id":1,"v":"x","tags":["t"]},{"id":2}]}`,
			changes: []merge.Change{{Path: "/a/b", Op: merge.OpRemove, Old: json.Number("1")}}},
		{name: "MissingParentIsErrPathNotFound", at: "/x/y", patch: `{}`, kind: merge.ErrPathNotFound},
		{name: "ScalarParentIsErrPathNotFound", at: "/a/b/c", patch: `{}`, kind: merge.ErrPathNotFound},
		{name: "MissingElementIsErrPathNotFound", at: "/statuses/2", patch: `{}`, kind: merge.ErrPathNotFound},
		{name: "NullElementIsErrInvalid", at: "/statuses/1", patch: `null`, kind: merge.ErrInvalid},
		{name: "BadPointerIsErrInvalid", at: "a", patch: `{}`, kind: merge.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, doc)
			snap := merge.Clone(d)
			got, changes, err := merge.MergeAt(d, tt.at, decode(t, tt.patch), tt.opt)
			assert.True(t, identical(snap, d), "document modified")
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, tt.want), got), "got %s", encode(t, got))
			assert.Equal(t, tt.changes, changes)
		})
	}
}

func TestMergeUpsertKeyForms(t *testing.T) {
	tests := []struct {
		name, stored, sent string
		match              bool
	}{
		{"IntegerMatchesItsString", `5253`, `"5253"`, true},
		{"StringMatchesItsInteger", `"5253"`, `5253`, true},
		{"NumberSpellingsMatch", `5253`, `5.253e3`, true},
		{"DecimalMatchesItsString", `1.50`, `"1.5"`, true},
		{"NegativeMatches", `-7`, `"-7.0"`, true},
		{"TrailingZerosMatch", `5000`, `"5e3"`, true},
		{"ZeroMatchesNegativeZero", `0`, `-0.0`, true},
		{"HugeExponentsMatch", `1e999999999999999999999`, `"10e999999999999999999998"`, true},
		{"LeadingZeroStringIsNotTheNumber", `5253`, `"05253"`, false},
		{"OtherNumberDoesNotMatch", `5253`, `5254`, false},
		{"StringsMatchExactly", `"Ab"`, `"Ab"`, true},
		{"StringsAreCaseSensitive", `"Ab"`, `"ab"`, false},
		{"BoolMatchesItsString", `true`, `"true"`, true},
		{"DecimalMatchesItself", `0.25`, `0.25`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, `{"statuses":[{"id":`+tt.stored+`,"v":1}]}`)
			patch := decode(t, `{"statuses":[{"id":`+tt.sent+`,"v":2}]}`)
			got, _, err := merge.Merge(doc, patch, upsertOptions(true, nil))
			if !tt.match {
				assert.ErrorIs(t, err, merge.ErrKeyNotFound)
				return
			}
			require.NoError(t, err)
			want := decode(t, `{"statuses":[{"id":`+tt.stored+`,"v":2}]}`)
			assert.True(t, identical(want, got), "the stored key keeps its spelling: got %s", encode(t, got))
		})
	}
	t.Run("GoNumbersMatchDecodedNumbers", func(t *testing.T) {
		doc := map[string]any{"statuses": []any{map[string]any{"id": 3, "v": 1}, map[string]any{"id": 0.5, "v": 1}}}
		patch := map[string]any{"statuses": []any{map[string]any{"id": json.Number("3.0"), "v": 2}, map[string]any{"id": "0.5", "v": 2}}}
		got, changes, err := merge.Merge(doc, patch, upsertOptions(true, nil))
		require.NoError(t, err)
		assert.Len(t, changes, 2)
		assert.True(t, merge.Equal(map[string]any{"statuses": []any{map[string]any{"id": 3, "v": 2}, map[string]any{"id": 0.5, "v": 2}}}, got))
	})
}

// TestConcurrentUseOfSharedDocument runs every operation on one shared
// document from many goroutines; with -race it proves none of them writes
// to its input.
func TestConcurrentUseOfSharedDocument(t *testing.T) {
	doc := decode(t, `{"a":{"b":1},"statuses":[{"id":1,"v":"x"},{"id":2,"v":"y"}],"c":[1,2]}`)
	snap := merge.Clone(doc)
	patch := decode(t, `{"a":{"b":2,"n":null},"statuses":[{"id":2,"v":"z"},{"v":"new"}]}`)
	opt := upsertOptions(true, func(existing map[string]bool) any { return json.Number("3") })
	done := make(chan error)
	const workers = 8
	for range workers {
		go func() {
			var err error
			for range 200 {
				if _, _, err = merge.Merge(doc, patch, opt); err != nil {
					break
				}
				if _, _, err = merge.Replace(doc, "/a", patch, []string{"/a/b"}); err != nil {
					break
				}
				if _, _, err = merge.Patch(doc, []merge.Operation{{Op: "move", From: "/c/0", Path: "/c/-"}}); err != nil {
					break
				}
				_ = merge.Diff("", doc, patch)
			}
			done <- err
		}()
	}
	for range workers {
		require.NoError(t, <-done)
	}
	assert.True(t, identical(snap, doc), "document modified")
}
