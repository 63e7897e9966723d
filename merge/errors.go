package merge

import (
	"errors"
	"fmt"
)

// The kinds of failure. Every error returned by this package is an *Error
// whose Kind is one of these, so callers test with errors.Is.
var (
	// ErrKeyNotFound: an upserted array element names a key that no stored
	// element carries.
	ErrKeyNotFound = errors.New("key not found")
	// ErrPathNotFound: a pointer (or a parent it needs) does not exist.
	ErrPathNotFound = errors.New("path not found")
	// ErrTestFailed: an RFC 6902 "test" operation did not hold.
	ErrTestFailed = errors.New("test failed")
	// ErrInvalid: a malformed pointer, operation, option or argument.
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge: Decode input is over DecodeLimits.MaxBytes.
	ErrTooLarge = errors.New("too large")
	// ErrTooDeep: Decode input nests deeper than DecodeLimits.MaxDepth.
	ErrTooDeep = errors.New("too deep")
	// ErrMalformed: Decode input is not exactly one well-formed JSON value.
	ErrMalformed = errors.New("malformed")
)

// Error describes one failure: its Kind (one of the Err* values above), the
// JSON Pointer it concerns, the array key when the failure is about one, and
// a message for humans.
type Error struct {
	Kind error
	Path string
	Key  any
	Msg  string
}

// Error names the kind, the path and, when set, the key.
func (e *Error) Error() string {
	path := e.Path
	if path == "" {
		path = "(root)"
	}
	s := fmt.Sprintf("merge: %v at %s", e.Kind, path)
	if e.Key != nil {
		s += fmt.Sprintf(" (key %v)", e.Key)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns Kind so errors.Is(err, ErrPathNotFound) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

func newErr(kind error, path, format string, args ...any) *Error {
	return &Error{Kind: kind, Path: path, Msg: fmt.Sprintf(format, args...)}
}
