package merge

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestIntern checks that intern always returns its input's text, from the
// cache without allocating once it has seen it, and that concurrent
// callers whose strings share slots never see another's string.
func TestIntern(t *testing.T) {
	for _, s := range []string{"", "a", "givenName", "/primaryAddress/city", strings.Repeat("x", internMax), strings.Repeat("y", internMax+1)} {
		if got := intern([]byte(s)); got != s {
			t.Fatalf("intern(%q) = %q", s, got)
		}
	}
	b := []byte("displayName")
	intern(b)
	if n := testing.AllocsPerRun(100, func() { _ = intern(b) }); n != 0 {
		t.Fatalf("a cached name allocated %v times", n)
	}
	// A working set far smaller than the cache stays in it, but for the
	// rare name whose two slots both hold others (64 allocations a round
	// without the cache).
	names := make([][]byte, 32)
	for i := range names {
		names[i] = []byte(fmt.Sprintf("field%d", i))
		intern(names[i])
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, name := range names {
			_ = intern(name)
		}
	}); n >= 8 {
		t.Fatalf("32 cached names allocated %v times a round", n)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				// More names than slots, so slots are overwritten while read.
				s := fmt.Sprintf("m%d", (i*7+g)%(3*internSlots))
				if got := intern([]byte(s)); got != s {
					t.Errorf("intern(%q) = %q", s, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestChildPointers checks child against building the pointer by hand,
// for names that are cached, escaped and too long to cache.
func TestChildPointers(t *testing.T) {
	for _, tc := range []struct{ p, name, want string }{
		{"", "a", "/a"}, {"/a", "b", "/a/b"}, {"", "a/b", "/a~1b"}, {"/x", "m~n", "/x/m~0n"},
		{"", "", "/"}, {"/" + strings.Repeat("p", internMax), "q", "/" + strings.Repeat("p", internMax) + "/q"},
	} {
		for range 2 { // the second time from the cache
			if got := child(tc.p, tc.name); got != tc.want {
				t.Fatalf("child(%q, %q) = %q, want %q", tc.p, tc.name, got, tc.want)
			}
		}
	}
}
