package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idupdate/idupdate/verify"
)

// Meta is an optional capability of a Store: a few named values about the
// store itself, kept beside its records, such as the fingerprint of the key
// its verification codes were hashed with. Detect it with a type
// assertion. The memory store does not have it, since nothing of it
// outlives the process.
//
// Names are at most 64 bytes of printable ASCII and values at most 4096
// bytes of valid UTF-8 without NUL; anything else is refused with an error
// matching ErrInvalid and nothing is written.
type Meta interface {
	// GetMeta returns the value stored under name. Returns ErrNotFound.
	GetMeta(ctx context.Context, name string) (string, error)

	// InitMeta stores value under name unless a value is already there, and
	// returns the value stored after the call: value when it was absent,
	// else the one found. Two processes initializing the same name at once
	// both get the winner's value.
	InitMeta(ctx context.Context, name, value string) (string, error)

	// SetMeta stores value under name, replacing any value there.
	SetMeta(ctx context.Context, name, value string) error
}

// PendingCounter is an optional capability of a Store: counting the open
// verification challenges across all records, for an operator's startup
// checks. It may read every record with challenges; it is not meant for a
// request path.
type PendingCounter interface {
	// CountPending returns how many challenges are open (verify.Pending)
	// and not expired at now, over all records of all types.
	CountPending(ctx context.Context, now time.Time) (int, error)
}

// OpenChallenges counts the challenges of cs still waiting for a code at
// now: open and not expired. Backends implement CountPending with it.
func OpenChallenges(cs []verify.Challenge, now time.Time) int {
	n := 0
	for _, c := range cs {
		if c.State.Open() && now.Before(c.Expires) {
			n++
		}
	}
	return n
}

// Limits of Meta names and values.
const (
	MaxMetaName  = 64
	MaxMetaValue = 4096
)

// CheckMeta reports whether name and value are acceptable to Meta, with an
// error matching ErrInvalid if not. Backends call it before writing.
func CheckMeta(name, value string) error {
	if name == "" || len(name) > MaxMetaName {
		return fmt.Errorf("%w: meta name must be 1 to %d bytes, is %d", ErrInvalid, MaxMetaName, len(name))
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x21 || name[i] > 0x7e {
			return fmt.Errorf("%w: meta name %q must be printable ASCII without spaces", ErrInvalid, name)
		}
	}
	if len(value) > MaxMetaValue {
		return fmt.Errorf("%w: meta value of %q is %d bytes, at most %d", ErrInvalid, name, len(value), MaxMetaValue)
	}
	if !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return fmt.Errorf("%w: meta value of %q is not valid UTF-8 without NUL", ErrInvalid, name)
	}
	return nil
}

// Schema is an optional capability of a Store whose tables are migrated:
// it reports the schema version the store is at and the one this code
// expects, so a readiness check can tell a store that is reachable but
// not migrated (or migrated by newer code).
type Schema interface {
	// SchemaVersion returns the newest migration applied to the store and
	// the newest this code knows.
	SchemaVersion(ctx context.Context) (have, want int, err error)
}
