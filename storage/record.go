package storage

import (
	"errors"
	"fmt"
	"slices"
)

// ErrInvalid is matched (errors.Is) by the errors of Record.Validate and
// Event.Validate, which every backend calls before it writes.
var ErrInvalid = errors.New("storage: invalid record")

// Bounds on the identifiers a store indexes, in bytes.
const (
	maxNameLen  = 255  // Type, ID and Key.Name
	maxValueLen = 1024 // Key.Value
)

// Validate reports whether r can be stored: Type and ID are non-empty and at
// most 255 bytes, State is Active or Inactive, and Keys holds no empty or
// oversized name or value (names up to 255 bytes, values up to 1024) and no
// (Name, Value) pair twice, and neither does Terms. The error matches
// ErrInvalid. Validate does not
// look at Version, Created or Updated, which the store sets.
func (r *Record) Validate() error {
	if r == nil {
		return fmt.Errorf("%w: nil record", ErrInvalid)
	}
	if err := checkName("type", r.Type); err != nil {
		return err
	}
	if err := checkName("id", r.ID); err != nil {
		return err
	}
	if r.State != Active && r.State != Inactive {
		return fmt.Errorf("%w: state %q is neither %q nor %q", ErrInvalid, r.State, Active, Inactive)
	}
	if err := checkKeys("key", r.Keys); err != nil {
		return err
	}
	return checkKeys("term", r.Terms)
}

// mapKeysAbove is the list length above which checkKeys finds duplicates
// with a map. Up to it, comparing each key with the ones before it is
// cheaper than hashing every key into a map built for one call.
const mapKeysAbove = 8

func checkKeys(what string, keys []Key) error {
	return checkKeysMapAbove(what, keys, mapKeysAbove)
}

// checkKeysMapAbove is checkKeys with the map used for lists longer than
// mapAbove; its tests run both ways on the same lists.
func checkKeysMapAbove(what string, keys []Key, mapAbove int) error {
	var seen map[Key]struct{}
	if len(keys) > mapAbove {
		seen = make(map[Key]struct{}, len(keys))
	}
	for i, k := range keys {
		// checkName's test, written out so that the name of the field is
		// built only for an error.
		if k.Name == "" || len(k.Name) > maxNameLen {
			return fmt.Errorf("%w: %s name must be 1 to %d bytes", ErrInvalid, what, maxNameLen)
		}
		if k.Value == "" || len(k.Value) > maxValueLen {
			return fmt.Errorf("%w: %s %s: value must be 1 to %d bytes", ErrInvalid, what, k.Name, maxValueLen)
		}
		if seen != nil {
			if _, dup := seen[k]; dup {
				return fmt.Errorf("%w: %s %s listed twice", ErrInvalid, what, k)
			}
			seen[k] = struct{}{}
		} else if slices.Contains(keys[:i], k) {
			return fmt.Errorf("%w: %s %s listed twice", ErrInvalid, what, k)
		}
	}
	return nil
}

// Validate reports whether e can be appended to a history: its Time must be
// set, because it becomes the record's Updated time. The error matches
// ErrInvalid.
func (e *Event) Validate() error {
	if e == nil || e.Time.IsZero() {
		return fmt.Errorf("%w: event has no time", ErrInvalid)
	}
	return nil
}

func checkName(what, s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("%w: %s must be 1 to %d bytes", ErrInvalid, what, maxNameLen)
	}
	return nil
}
