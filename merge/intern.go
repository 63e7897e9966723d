package merge

import (
	"hash/maphash"
	"sync/atomic"
)

// interned keeps one copy of recently seen short strings: member names
// as Decode reads them and the pointers Merge builds for the members it
// changes. Documents of one kind repeat the same few names, so most of
// these strings need no allocation. It is a fixed-size, lossy cache
// (a slot holds the last string hashed to it), safe for concurrent use;
// its memory is bounded by internSlots strings of at most internMax bytes.
var interned = struct {
	seed  maphash.Seed
	slots [internSlots]atomic.Pointer[string]
}{seed: maphash.MakeSeed()}

const (
	internSlots = 1024
	internMax   = 40
)

// intern returns b as a string, the cached copy when there is one.
func intern(b []byte) string {
	if len(b) > internMax {
		return string(b)
	}
	slot := &interned.slots[maphash.Bytes(interned.seed, b)%internSlots]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
