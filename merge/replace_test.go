package merge_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

func TestReplace(t *testing.T) {
	const doc = `{"id":"u1","created":"2020","profile":{"name":"Ann","age":30},"emails":[{"v":"a@x","verified":true}],"pw":{"hash":"h"}}`
	tests := []struct {
		name, at, value string
		keep            []string
		want            string
		changes         []merge.Change
		kind            error
	}{
		{name: "RootWithKeep", at: "", value: `{"profile":{"name":"Bo"}}`, keep: []string{"/id", "/created", "/pw/hash", "/absent"},
			want: `{"id":"u1","created":"2020","profile":{"name":"Bo"},"pw":{"hash":"h"}}`,
			changes: []merge.Change{
				{Path: "/emails", Op: merge.OpRemove, Old: []any{map[string]any{"v": "a@x", "verified": true}}},
				{Path: "/profile/age", Op: merge.OpRemove, Old: json.Number("30")},
				{Path: "/profile/name", Op: merge.OpReplace, Old: "Ann", New: "Bo"},
			}},
		{name: "KeepCreatesIntermediateObjects", at: "", value: `{"id":"u1","created":"2020"}`, keep: []string{"/profile/name"},
			want: `{"id":"u1","created":"2020","profile":{"name":"Ann"}}`,
			changes: []merge.Change{
				{Path: "/emails", Op: merge.OpRemove, Old: []any{map[string]any{"v": "a@x", "verified": true}}},
				{Path: "/profile/age", Op: merge.OpRemove, Old: json.Number("30")},
				{Path: "/pw", Op: merge.OpRemove, Old: map[string]any{"hash": "h"}},
			}},
		{name: "KeepReplacesNullOnTheWay", at: "/profile", value: `null`, keep: []string{"/profile/name"},
			want:    `{"id":"u1","created":"2020","profile":{"name":"Ann"},"emails":[{"v":"a@x","verified":true}],"pw":{"hash":"h"}}`,
			changes: []merge.Change{{Path: "/profile/age", Op: merge.OpRemove, Old: json.Number("30")}}},
		{name: "KeepDoesNotOverrideSentValue", at: "/profile", value: `{"name":"Cy"}`, keep: []string{"/profile/name"},
			want: `{"id":"u1","created":"2020","profile":{"name":"Cy"},"emails":[{"v":"a@x","verified":true}],"pw":{"hash":"h"}}`,
			changes: []merge.Change{
				{Path: "/profile/age", Op: merge.OpRemove, Old: json.Number("30")},
				{Path: "/profile/name", Op: merge.OpReplace, Old: "Ann", New: "Cy"}}},
		{name: "KeepIntoExistingElement", at: "/emails", value: `[{"v":"b@x"}]`, keep: []string{"/emails/0/verified"},
			want: `{"id":"u1","created":"2020","profile":{"name":"Ann","age":30},"emails":[{"v":"b@x","verified":true}],"pw":{"hash":"h"}}`,
			changes: []merge.Change{{Path: "/emails", Op: merge.OpReplace,
				Old: []any{map[string]any{"v": "a@x", "verified": true}},
				New: []any{map[string]any{"v": "b@x", "verified": true}}}}},
		{name: "KeepSkippedWhenElementGone", at: "/emails", value: `[]`, keep: []string{"/emails/0/verified"},
			want: `{"id":"u1","created":"2020","profile":{"name":"Ann","age":30},"emails":[],"pw":{"hash":"h"}}`,
			changes: []merge.Change{{Path: "/emails", Op: merge.OpReplace,
				Old: []any{map[string]any{"v": "a@x", "verified": true}}, New: []any{}}}},
		{name: "AddsAbsentMember", at: "/nick", value: `"n"`,
			want:    `{"id":"u1","created":"2020","profile":{"name":"Ann","age":30},"emails":[{"v":"a@x","verified":true}],"pw":{"hash":"h"},"nick":"n"}`,
			changes: []merge.Change{{Path: "/nick", Op: merge.OpAdd, New: "n"}}},
		{name: "SameValueIsNoChange", at: "/profile", value: `{"age":30.0,"name":"Ann"}`, want: doc},
		{name: "ScalarRootIsErrInvalid", at: "", value: `[1]`, kind: merge.ErrInvalid},
		{name: "MissingParentIsErrPathNotFound", at: "/nope/x", value: `1`, kind: merge.ErrPathNotFound},
		{name: "MissingElementIsErrPathNotFound", at: "/emails/1", value: `1`, kind: merge.ErrPathNotFound},
		{name: "KeepThroughScalarIsErrInvalid", at: "/profile", value: `"flat"`, keep: []string{"/profile/name"}, kind: merge.ErrInvalid},
		{name: "BadKeepPointerIsErrInvalid", at: "/profile", value: `{}`, keep: []string{"profile"}, kind: merge.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, v := decode(t, doc), decode(t, tt.value)
			docSnap, valueSnap := merge.Clone(d), merge.Clone(v)
			got, changes, err := merge.Replace(d, tt.at, v, tt.keep)
			assert.True(t, identical(docSnap, d), "document modified")
			assert.True(t, identical(valueSnap, v), "value modified")
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
				assert.Nil(t, got)
				assert.Nil(t, changes)
				return
			}
			require.NoError(t, err)
			assert.True(t, merge.Equal(decode(t, tt.want), got), "got %s", encode(t, got))
			assert.Equal(t, tt.changes, changes)
		})
	}
}

func TestReplaceSharesUntouchedSubtrees(t *testing.T) {
	d := decode(t, `{"a":{"x":1},"b":{"y":2}}`)
	got, _, err := merge.Replace(d, "/a", decode(t, `{"x":3}`), nil)
	require.NoError(t, err)
	assert.True(t, sameMap(d.(map[string]any)["b"], got.(map[string]any)["b"]))
}
