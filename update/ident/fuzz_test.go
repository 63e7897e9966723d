package ident_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update/ident"
)

var specs = []ident.Spec{caseMapped, casePreserved, email, text, caseMappedSkel, casePresSkel, emailSkel, textSkel}

// FuzzSpecs checks every profile, with and without skeletons, on any
// string: no panic; Prepare and Key accept the same strings; both are
// idempotent; and a key is always one the store accepts.
func FuzzSpecs(f *testing.F) {
	for _, p := range pairs {
		f.Add(p.a)
		f.Add(p.b)
	}
	for _, s := range []string{"", "\x00", "\xed\xa0\x80", "a@b@c", "x@xn--", "x@xn--a.com", "İ@İ.tr", "ﾞ@ﾞ", "ｶﾞ", "a\u0345\u0345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, spec := range specs {
			prepared, perr := spec.Prepare(s)
			key, kerr := spec.Key(s)
			if (perr == nil) != (kerr == nil) {
				t.Fatalf("%v %+q: Prepare error %v but Key error %v", spec, s, perr, kerr)
			}
			if perr != nil {
				continue
			}
			if again, err := spec.Prepare(prepared); err != nil || again != prepared {
				t.Fatalf("%v %+q: Prepare not idempotent: %+q then %+q, %v", spec, s, prepared, again, err)
			}
			if k2, err := spec.Key(prepared); err != nil || k2 != key {
				t.Fatalf("%v %+q: Key(Prepare(s)) = %+q, %v; Key(s) = %+q", spec, s, k2, err, key)
			}
			if !spec.Skeleton {
				if k2, err := spec.Key(key); err != nil || k2 != key {
					t.Fatalf("%v %+q: Key not idempotent: %+q then %+q, %v", spec, s, key, k2, err)
				}
			}
			if !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
				t.Fatalf("%v %+q: key %+q is not UTF-8 without NUL", spec, s, key)
			}
			rec := storage.Record{Type: "user", ID: "1", State: storage.Active, Keys: []storage.Key{{Name: "/userName", Value: key}}}
			if err := rec.Validate(); err != nil {
				t.Fatalf("%v %+q: key %+q fails the store: %v", spec, s, key, err)
			}
		}
	})
}
