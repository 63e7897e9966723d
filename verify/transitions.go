package verify

import (
	"encoding/json"
	"time"
)

// DefaultMaxAttempts is the attempt limit Check uses when given zero or less.
const DefaultMaxAttempts = 5

// New returns a Pending challenge with no code yet: Rekey issues the first
// one (and records its send). value is copied.
func New(id, path string, ch Channel, value json.RawMessage, held bool, now time.Time) Challenge {
	return Challenge{
		ID:      id,
		Path:    path,
		Channel: ch,
		Value:   append(json.RawMessage(nil), value...),
		Created: now,
		State:   Pending,
		Held:    held,
	}
}

// Check tries code against c at time now and moves c along its state
// machine. The caller must persist c after every call, whatever the
// result: wrong attempts count toward the lock.
//
//   - c not Pending: ErrUsed (Confirmed), ErrLocked (Locked), ErrExpired
//     (Expired), ErrClosed (Superseded, Cancelled, anything else); c is
//     unchanged.
//   - Pending without a code hash: ErrNoCode; c is unchanged.
//   - now at or after c.Expires: c becomes Expired, ErrExpired.
//   - wrong code: Attempts+1; at maxAttempts (DefaultMaxAttempts when
//     maxAttempts <= 0) c becomes Locked and ErrLocked is returned,
//     otherwise ErrMismatch.
//   - right code: c becomes Confirmed, nil.
//
// Every move to a final state clears CodeHash. h must not be nil.
func (c *Challenge) Check(h *Hasher, code string, now time.Time, maxAttempts int) error {
	switch c.State {
	case Pending:
	case Confirmed:
		return ErrUsed
	case Locked:
		return ErrLocked
	case Expired:
		return ErrExpired
	default:
		return ErrClosed
	}
	if len(c.CodeHash) == 0 {
		return ErrNoCode
	}
	if !now.Before(c.Expires) {
		c.finish(Expired)
		return ErrExpired
	}
	if !h.Match(c, code) {
		if maxAttempts <= 0 {
			maxAttempts = DefaultMaxAttempts
		}
		c.Attempts++
		if c.Attempts >= maxAttempts {
			c.finish(Locked)
			return ErrLocked
		}
		return ErrMismatch
	}
	c.finish(Confirmed)
	return nil
}

// Rekey gives an open challenge a new code: it stores a copy of hash
// (from Hasher.Hash with c.ID), sets Expires to now+ttl (ttl <= 0 means
// DefaultCodeSpec.TTL), resets Attempts and appends now to Sends. It does
// nothing to a closed challenge, whose state is final; callers check
// c.State.Open before sending a code. Limiter.Prune keeps Sends short.
func (c *Challenge) Rekey(hash []byte, now time.Time, ttl time.Duration) {
	if !c.State.Open() {
		return
	}
	if ttl <= 0 {
		ttl = DefaultCodeSpec.TTL
	}
	c.CodeHash = append([]byte(nil), hash...)
	c.Expires = now.Add(ttl)
	c.Attempts = 0
	c.Sends = append(c.Sends, now)
}

// Close moves an open challenge to the final state s (Superseded,
// Cancelled, Expired or Locked) and clears its code hash. Confirmed is
// reached only through Check, with the right code. Close does nothing when
// c is already closed (its first final state stands) or s is not one of
// those states, so a sweep that closes challenges can safely run twice.
func (c *Challenge) Close(s State) {
	if !c.State.Open() {
		return
	}
	switch s {
	case Superseded, Cancelled, Expired, Locked:
		c.finish(s)
	}
}

func (c *Challenge) finish(s State) {
	c.State = s
	c.CodeHash = nil
}
