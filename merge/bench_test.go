package merge_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

// pluralDoc holds n keyed elements under "statuses".
func pluralDoc(n int) map[string]any {
	arr := make([]any, n)
	for i := range arr {
		arr[i] = map[string]any{
			"id":      json.Number(strconv.Itoa(i + 1)),
			"status":  "active",
			"created": "2025-01-01T00:00:00Z",
		}
	}
	return map[string]any{"id": "u1", "statuses": arr}
}

// upsertPatch updates ten existing elements spread over the array and
// appends one without a key.
func upsertPatch(n int) map[string]any {
	sent := make([]any, 0, 11)
	for i := range 10 {
		sent = append(sent, map[string]any{"id": json.Number(strconv.Itoa(1 + i*n/10)), "status": "inactive"})
	}
	sent = append(sent, map[string]any{"status": "new"})
	return map[string]any{"statuses": sent}
}

func nextKey(n int) func(map[string]bool) any {
	return func(existing map[string]bool) any {
		k := n + 1
		for existing[strconv.Itoa(k)] {
			k++
		}
		return json.Number(strconv.Itoa(k))
	}
}

func BenchmarkUpsertByKey(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			doc, patch := pluralDoc(n), upsertPatch(n)
			opt := merge.Options{Array: func(p string) merge.ArrayRule {
				return merge.ArrayRule{Mode: merge.ArrayUpsert, Key: "id", MergeElements: true, NewKey: nextKey(n)}
			}}
			_, changes, err := merge.Merge(doc, patch, opt)
			require.NoError(b, err)
			require.Len(b, changes, 11, "ten status changes and one append")
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = merge.Merge(doc, patch, opt)
			}
		})
	}
}

func benchBytes(b *testing.B) (doc, patch []byte) {
	b.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "bench_user.json"))
	require.NoError(b, err)
	patch, err = os.ReadFile(filepath.Join("testdata", "bench_patch.json"))
	require.NoError(b, err)
	return doc, patch
}

// BenchmarkMerge is the engine's path: the stored document is already
// decoded, the patch is decoded, and the result stays in memory.
func BenchmarkMerge(b *testing.B) {
	docBytes, patchBytes := benchBytes(b)
	doc := decode(b, string(docBytes))
	patch := decode(b, string(patchBytes))
	b.SetBytes(int64(len(docBytes)))
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = merge.Merge(doc, patch, merge.Options{})
	}
}

// BenchmarkMergeFromBytes does what the baseline does, bytes in and bytes
// out: decode both, merge, encode the result.
func BenchmarkMergeFromBytes(b *testing.B) {
	docBytes, patchBytes := benchBytes(b)
	lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 64}
	b.SetBytes(int64(len(docBytes)))
	b.ReportAllocs()
	for b.Loop() {
		doc, _ := merge.Decode(docBytes, lim)
		patch, _ := merge.Decode(patchBytes, lim)
		out, _, _ := merge.Merge(doc, patch, merge.Options{})
		_, _ = json.Marshal(out)
	}
}

func BenchmarkBaselineMergePatch(b *testing.B) {
	docBytes, patchBytes := benchBytes(b)
	b.SetBytes(int64(len(docBytes)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = jsonpatch.MergePatch(docBytes, patchBytes)
	}
}
