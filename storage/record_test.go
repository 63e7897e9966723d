package storage

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCheckKeysScanMatchesMap checks that the pairwise scan short lists take
// gives the same answer, error text included, as the map long lists take,
// on random lists drawn from a small alphabet so that duplicates, empty and
// oversized names and values are common.
func TestCheckKeysScanMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 4))
	names := []string{"", "email", "phone", "uid", strings.Repeat("n", maxNameLen), strings.Repeat("n", maxNameLen+1)}
	values := []string{"", "a", "b", "a@example.com", strings.Repeat("v", maxValueLen), strings.Repeat("v", maxValueLen+1)}
	var dups, errs, oks int
	for range 20000 {
		keys := make([]Key, r.IntN(2*mapKeysAbove+2))
		for i := range keys {
			// Mostly valid parts, so that lists get far enough to repeat a key.
			n, v := names[1+r.IntN(3)], values[1+r.IntN(3)]
			if r.IntN(20) == 0 {
				n = names[r.IntN(len(names))]
			}
			if r.IntN(20) == 0 {
				v = values[r.IntN(len(values))]
			}
			keys[i] = Key{Name: n, Value: v}
		}
		scan := checkKeysMapAbove("key", keys, len(keys))
		mapped := checkKeysMapAbove("key", keys, -1)
		def := checkKeys("key", keys)
		if errString(scan) != errString(mapped) || errString(def) != errString(mapped) {
			t.Fatalf("keys %q: scan %v, map %v, checkKeys %v", keys, scan, mapped, def)
		}
		switch {
		case mapped == nil:
			oks++
		case strings.HasSuffix(mapped.Error(), "listed twice"):
			dups++
		default:
			errs++
		}
	}
	// The comparison means little unless every outcome was seen often.
	if oks < 1000 || dups < 1000 || errs < 1000 {
		t.Fatalf("outcomes: %d valid, %d duplicate, %d other errors; want at least 1000 each", oks, dups, errs)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
