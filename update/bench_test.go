package update_test

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
)

// benchPolicy declares the fields the benchmark patch touches, with rules,
// so Apply pays for validation; the rest of the document is allowed as is.
func benchPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {
			Unknown: update.Allow,
			Fields: map[string]*update.Field{
				"/givenName":   {Type: update.TypeString, Rules: "max=100"},
				"/displayName": {Type: update.TypeString, Rules: "max=100"},
				"/loginCount":  {Type: update.TypeInteger, Rules: "gte=0"},
				"/email":       {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail},
				"/statuses": {Type: update.TypeArray,
					Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id", KeyGen: update.KeyGenInt}},
			},
		}},
		DefaultGrant: &update.Grant{Write: true, Create: true},
	}
}

// The two patches alternate so every Apply really changes the record.
var benchPatches = [2][]byte{
	[]byte(`{"givenName":"Augusta","displayName":"A. Lovelace","loginCount":1730}`),
	[]byte(`{"givenName":"Ada","displayName":"Ada Lovelace","loginCount":1729}`),
}

// BenchmarkApplyMerge is the engine's whole update path on the memory
// store: bounded decoding of the patch bytes, checks, copy-on-write merge,
// validation of the touched fields, commit with its history event. Judge
// it against BenchmarkBaselineMergePatch, which only merges the same bytes.
func BenchmarkApplyMerge(b *testing.B) {
	eng, err := update.New(memory.New(), benchPolicy())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
		b.Fatal(err)
	}
	lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		patch, err := merge.Decode(benchPatches[i%2], lim)
		if err != nil {
			b.Fatal(err)
		}
		res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
		if err != nil || !res.Modified {
			b.Fatalf("apply: %v", err)
		}
	}
}

// BenchmarkBaselineMergePatch is jsonpatch.MergePatch on the same document
// and patch bytes: parse both, merge, serialize.
func BenchmarkBaselineMergePatch(b *testing.B) {
	docBytes, err := json.Marshal(storagetest.UserDoc2K())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := jsonpatch.MergePatch(docBytes, benchPatches[i%2])
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}
