package ident_test

import (
	"strings"
	"testing"

	"github.com/idupdate/idupdate/update/ident"
)

// BenchmarkKey measures the unique key of one value: "bytes" is the key as
// the engine computed it before profiles (the value itself, an email with
// its domain lower-cased), beside each profile with and without skeletons.
func BenchmarkKey(b *testing.B) {
	bytesKey := func(s string) (string, error) { return s, nil }
	bytesEmail := func(s string) (string, error) {
		s = strings.TrimSpace(s)
		at := strings.LastIndexByte(s, '@')
		return s[:at+1] + strings.ToLower(s[at+1:]), nil
	}
	for _, c := range []struct {
		name  string
		in    string
		bytes func(string) (string, error)
		spec  ident.Spec
	}{
		{"username/ascii", "Minnie.Mouse_42", bytesKey, caseMapped},
		{"username/unicode", "Ｍіnnie.Mäuse_42", bytesKey, caseMapped},
		{"email/ascii", "Minnie.Mouse@Example.com", bytesEmail, email},
		{"email/unicode", "Minnie.Mäuse@Bücher.example", bytesEmail, email},
	} {
		b.Run(c.name+"/bytes", func(b *testing.B) { benchKey(b, c.in, c.bytes) })
		b.Run(c.name+"/profile", func(b *testing.B) { benchKey(b, c.in, c.spec.Key) })
		skel := c.spec
		skel.Skeleton = true
		b.Run(c.name+"/skeleton", func(b *testing.B) { benchKey(b, c.in, skel.Key) })
	}
}

func benchKey(b *testing.B, in string, key func(string) (string, error)) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key(in); err != nil {
			b.Fatal(err)
		}
	}
}
