package ident

import (
	"fmt"

	"go.mau.fi/util/confusable"
)

// ConfusablesVersion is the Unicode version of the confusables data that
// Skeleton uses (confusables.txt as shipped by go.mau.fi/util/confusable).
const ConfusablesVersion = "17.0.0"

// Skeleton returns the UTS #39 skeleton of s: NFD, each code point
// replaced by its confusable prototype, NFD again, with default-ignorable
// code points left out. Two strings that look alike, such as "paypal" in
// Latin and "раураl" mostly in Cyrillic, have the same skeleton. A
// skeleton is for comparing only: it is a mix of scripts, never shown.
func Skeleton(s string) string { return confusable.Skeleton(s) }

// Spec is the identifier policy of one field: the profile its values go
// through and whether uniqueness compares their skeletons. The zero Spec
// is invalid; a field without identifier policy has no Spec at all.
type Spec struct {
	// Profile prepares and compares the value.
	Profile Profile `json:"profile"`
	// Skeleton makes the unique key the UTS #39 skeleton of the profile's
	// key, so that confusable values clash. Off by default.
	Skeleton bool `json:"skeleton,omitempty"`
}

// Valid reports an error unless s names a known profile.
func (s Spec) Valid() error { return s.Profile.Valid() }

// Prepare returns the form of v to store, s.Profile.Prepare(v), and
// refuses v when Key would: a value whose skeleton is empty (free text of
// nothing but invisible code points) is refused here too.
func (s Spec) Prepare(v string) (string, error) {
	stored, _, err := s.Apply(v)
	return stored, err
}

// Apply returns both the form of v to store and its unique key.
func (s Spec) Apply(v string) (stored, key string, err error) {
	if stored, err = s.Profile.Prepare(v); err != nil {
		return "", "", err
	}
	if key, err = s.Key(v); err != nil {
		return "", "", err
	}
	return stored, key, nil
}

// Key returns the unique key of v: the profile's key or, with Skeleton,
// its skeleton. For Email the skeleton is taken of the local part and of
// the domain in U-label form (an A-label hides the look-alike), joined by
// "@". Errors and guarantees are those of Profile.Key. Key(Prepare(v)) ==
// Key(v).
func (s Spec) Key(v string) (string, error) {
	if !s.Skeleton {
		return s.Profile.Key(v)
	}
	if s.Profile != Email {
		pk, err := s.Profile.Key(v)
		if err != nil {
			return "", err
		}
		return checkKey(s.Profile, Skeleton(pk))
	}
	e, err := parseEmail(v)
	if err != nil {
		return "", err
	}
	return checkKey(s.Profile, Skeleton(e.keyLocal)+"@"+Skeleton(e.uDomain))
}

// String returns the profile name, with "+skeleton" when Skeleton is set.
func (s Spec) String() string {
	if s.Skeleton {
		return fmt.Sprintf("%s+skeleton", s.Profile)
	}
	return string(s.Profile)
}
