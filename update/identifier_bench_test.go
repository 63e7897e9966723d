package update_test

import (
	"testing"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/storagetest"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
	"github.com/idupdate/idupdate/update/updatetest"
)

// BenchmarkApplyIdentifier is one Merge on the memory store that changes
// the unique email, so its key is computed on every update: "bytes" with
// the email compared as written (the benchmark policy), "profile" with the
// Email profile and skeletons the vendor profiles use.
func BenchmarkApplyIdentifier(b *testing.B) {
	patches := [2][]byte{
		[]byte(`{"givenName":"Augusta","email":"Ada.Lovelace@Example.org"}`),
		[]byte(`{"givenName":"Ada","email":"ada.byron@example.org"}`),
	}
	for _, c := range []struct {
		name string
		spec *ident.Spec
	}{
		{"bytes", nil},
		{"profile", &ident.Spec{Profile: ident.Email, Skeleton: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			pol := updatetest.BenchPolicy()
			pol.Types["user"].Fields["/email"].Identifier = c.spec
			eng, err := update.New(memory.New(), pol)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: storagetest.UserDoc2K()}); err != nil {
				b.Fatal(err)
			}
			lim := merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				patch, err := merge.Decode(patches[i%2], lim)
				if err != nil {
					b.Fatal(err)
				}
				i++
				res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
				if err != nil || !res.Modified {
					b.Fatalf("apply: %v", err)
				}
			}
		})
	}
}
