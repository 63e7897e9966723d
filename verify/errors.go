package verify

import "errors"

// The outcomes of Check other than success. They are sentinels: compare
// with errors.Is.
var (
	// ErrMismatch: the code is wrong; the attempt was counted.
	ErrMismatch = errors.New("verify: code does not match")
	// ErrExpired: the code's TTL has passed; the challenge is Expired.
	ErrExpired = errors.New("verify: code expired")
	// ErrLocked: the attempt limit was reached; the challenge is Locked.
	ErrLocked = errors.New("verify: too many wrong codes")
	// ErrUsed: the challenge was already confirmed.
	ErrUsed = errors.New("verify: code already used")
	// ErrClosed: the challenge was superseded or cancelled.
	ErrClosed = errors.New("verify: challenge is closed")
	// ErrNoCode: the challenge is pending but no code was issued for it
	// yet (see Challenge.Rekey). Nothing is counted or changed.
	ErrNoCode = errors.New("verify: no code issued")
)

// ErrInvalidSpec is wrapped by every error CodeSpec.Validate returns.
var ErrInvalidSpec = errors.New("verify: invalid code spec")
