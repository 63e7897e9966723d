package verify

import (
	"encoding/json"
	"time"
)

// State is where a challenge stands in its life.
//
//	Pending ──▶ Confirmed   the right code arrived in time
//	        ──▶ Expired     the TTL passed
//	        ──▶ Superseded  a newer change to the same path replaced it
//	        ──▶ Cancelled   the owner or an operator withdrew it
//	        ──▶ Locked      the attempt limit was reached
//
// Only Pending is open: every other state refuses codes. Expired is final
// for its code, not for its value: update.Engine.Resend gives an expired
// challenge a new code and reopens it (Rekey here does not, by design, so
// that reopening stays a decision of the caller's).
type State string

// The states of a challenge.
const (
	Pending    State = "pending"
	Confirmed  State = "confirmed"
	Expired    State = "expired"
	Superseded State = "superseded"
	Cancelled  State = "cancelled"
	Locked     State = "locked"
)

// Open reports whether a challenge in state s can still be confirmed.
func (s State) Open() bool { return s == Pending }

// Channel is how a code reaches its owner.
type Channel string

// The channels a confirmable field can use.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Challenge is one pending verification of one value at one path of one
// record. It is what a store persists; it never holds the code itself, only
// its keyed hash (see Hasher).
type Challenge struct {
	// ID identifies the challenge; it is also mixed into the code hash, so a
	// hash copied from one challenge does not verify another.
	ID string `json:"id"`
	// Path is the JSON Pointer of the confirmable field, e.g. "/email".
	Path string `json:"path"`
	// Channel is how the code is delivered.
	Channel Channel `json:"channel"`
	// Value is the value being verified: the held value under Hold, the
	// value already written under ApplyUnverified.
	Value json.RawMessage `json:"value"`
	// CodeHash is the keyed hash of the current code; empty once the
	// challenge is closed.
	CodeHash []byte `json:"codeHash,omitempty"`
	// Created is when the challenge was opened; Expires when its current
	// code stops being accepted.
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Attempts counts wrong codes entered against this challenge.
	Attempts int `json:"attempts"`
	// Sends lists when a code was handed to a dispatcher (or to the caller),
	// oldest first. The limiter reads it.
	Sends []time.Time `json:"sends,omitempty"`
	// State is the challenge's state; see State.
	State State `json:"state"`
	// Held reports whether the value waits outside the document (Hold) or
	// is already written to it (ApplyUnverified).
	Held bool `json:"held"`
}

// Clone returns a copy of c that shares no mutable memory with it.
func (c Challenge) Clone() Challenge {
	c.Value = append(json.RawMessage(nil), c.Value...)
	c.CodeHash = append([]byte(nil), c.CodeHash...)
	c.Sends = append([]time.Time(nil), c.Sends...)
	return c
}
