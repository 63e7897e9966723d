package merge

import (
	"hash/maphash"
	"sync/atomic"
)

// interned keeps one copy of recently seen short strings: member names
// as Decode reads them and the pointers Merge builds for the members it
// changes. Documents of one kind repeat the same few names, so most of
// these strings need no allocation. It is a fixed-size, lossy cache,
// safe for concurrent use: a string may sit in one of two slots chosen by
// its hash, the first when that is free, so two names sharing a slot do
// not keep evicting each other. Its memory is bounded by internSlots
// strings of at most internMax bytes.
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
	h := maphash.Bytes(interned.seed, b)
	first, second := &interned.slots[h%internSlots], &interned.slots[(h>>32)%internSlots]
	if p := first.Load(); p != nil && *p == string(b) {
		return *p
	}
	if p := second.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	if first.Load() == nil {
		first.Store(&s)
	} else {
		second.Store(&s)
	}
	return s
}
