// Package keyset compares a record's key or term sets, for the storage
// backends that keep them as rows.
package keyset

import (
	"slices"

	"github.com/idupdate/idupdate/storage"
)

// Diff returns the keys of next that old lacks and those of old that next
// lacks, each in the order of its slice. Equal slices (the usual update,
// which leaves a record's keys and terms as they were) cost no map.
func Diff(old, next []storage.Key) (added, removed []storage.Key) {
	if slices.Equal(old, next) {
		return nil, nil
	}
	keep := make(map[storage.Key]bool, len(old))
	for _, k := range old {
		keep[k] = false
	}
	for _, k := range next {
		if _, held := keep[k]; held {
			keep[k] = true
		} else {
			added = append(added, k)
		}
	}
	for _, k := range old {
		if !keep[k] {
			removed = append(removed, k)
		}
	}
	return added, removed
}
