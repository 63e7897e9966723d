// Package storage defines the contract between the update engine and the
// places records are kept: the Record, its history Event, the Store
// interface and the sentinel errors every backend returns.
//
// Backends live in sub-packages (memory, sqlite, postgres) and all pass the
// conformance suite in storage/storagetest.
package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/idupdate/idupdate/verify"
)

// RecordState says whether a record is in use. Uniqueness errors name the
// state of the record that holds a clashing value, because vendors answer
// differently for an active and an inactive holder (Rubiq 400.4 / 400.5).
type RecordState string

// The states of a record.
const (
	Active   RecordState = "active"
	Inactive RecordState = "inactive"
)

// Key is one unique value a record holds: a normalized attribute value
// (Name "/email") or an external key (Name "ext:crm"). Within one record
// type a (Name, Value) pair belongs to at most one record.
type Key struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (k Key) String() string { return k.Name + "=" + k.Value }

// SortedKeys returns a sorted copy of keys, by Name and then Value, the
// order in which the SQL stores read a record's keys and terms back; nil
// when there are none.
func SortedKeys(keys []Key) []Key {
	if len(keys) == 0 {
		return nil
	}
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Value, b.Value))
	})
	return out
}

// Record is one identity of one entity type.
type Record struct {
	Type    string      `json:"type"`
	ID      string      `json:"id"`
	Version uint64      `json:"version"`
	Created time.Time   `json:"created"`
	Updated time.Time   `json:"updated"`
	State   RecordState `json:"state"`
	// Doc is the decoded JSON object: map[string]any, []any, string,
	// json.Number, bool and nil only. Numbers keep full precision.
	Doc map[string]any `json:"doc"`
	// Secrets maps a JSON Pointer to a password hash. Secrets never appear
	// in Doc, and nothing read from the engine carries them.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Pending holds at most one challenge per path, open or last closed.
	Pending []verify.Challenge `json:"pending,omitempty"`
	// Keys is the complete set of unique values the record holds; the store
	// indexes exactly these for Find and for uniqueness.
	Keys []Key `json:"keys,omitempty"`
	// Terms is the complete set of index terms the record holds: (Name,
	// Value) pairs that, unlike Keys, many records may share. The store
	// indexes exactly these, so that a Filter's Term hint is a lookup
	// instead of a scan; Value is made with IndexTerm. Reads return them
	// like Keys.
	Terms []Key `json:"terms,omitempty"`
}

// Change is one entry of a change list: what happened at one path.
type Change struct {
	Path string `json:"path"`          // JSON Pointer
	Op   string `json:"op"`            // "add", "replace" or "remove"
	Old  any    `json:"old,omitempty"` // absent for "add"
	New  any    `json:"new,omitempty"` // absent for "remove"
}

// Event is one committed change to a record, appended to its history in
// the same transaction as the change itself. Secret values are redacted
// before an event is built.
type Event struct {
	Version uint64    `json:"version"`
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // "create", "update", "confirm", "resend", "cancel", ...
	Actor   string    `json:"actor,omitempty"`
	Client  string    `json:"client,omitempty"`
	Changes []Change  `json:"changes,omitempty"`
}

// Updater changes a record inside a store transaction.
//
// It receives a private copy of the record and returns the event that
// describes its change, or a nil event to say "nothing to write": the store
// then commits nothing and Update returns the record as it was.
//
// The copy is shallow where that is safe: Doc, Secrets, Pending and Keys
// may share memory with the stored record, so an updater replaces them and
// never modifies them in place (package merge builds documents that way).
//
// An updater may run more than once (a backend retries on serialization
// failures) and must have no side effects outside the record it returns.
// An error it returns aborts the update and is returned unchanged.
//
// The store copies the Event an updater returns before Update returns,
// and keeps no pointer to it or to the updater: the caller may reuse
// both once Update has returned. The event's Changes, and the values in
// them, may be kept as they are.
type Updater func(rec *Record) (*Event, error)

// Store keeps records. Implementations are safe for concurrent use.
//
// Returned records may share memory with the store; treat them as read-only.
// Records handed to Create and returned from an Updater must not be modified
// afterwards either. Every method returns ctx.Err() (matching
// context.Canceled or context.DeadlineExceeded) when ctx is done before the
// store commits, and then writes nothing.
type Store interface {
	// Create stores a new record with Version 1 and appends ev (its
	// Version set to 1) to the record's history.
	// Updated is set to ev.Time; Created keeps rec.Created, or takes ev.Time
	// when zero.
	// Returns ErrExists if the type already has a record with rec.ID, an
	// error matching ErrNotUnique if one of rec.Keys is held, and one
	// matching ErrInvalid if rec or ev fails Validate.
	Create(ctx context.Context, rec *Record, ev Event) error

	// Get returns the record. Returns ErrNotFound.
	Get(ctx context.Context, typ, id string) (*Record, error)

	// Find returns the record of the type that holds key. Returns ErrNotFound.
	Find(ctx context.Context, typ string, key Key) (*Record, error)

	// Update runs fn on a copy of the record and, unless fn returns a nil
	// event, atomically stores the changed record with Version one higher,
	// Updated set to the event's time, its keys re-indexed, and the event
	// (its Version set to the new version) appended to the history.
	// It returns the record as stored after the call.
	// Type, ID and Created cannot be changed by fn.
	// Returns ErrNotFound, an error matching ErrNotUnique, one matching
	// ErrInvalid if the changed record or the event fails Validate, or fn's
	// error.
	Update(ctx context.Context, typ, id string, fn Updater) (*Record, error)

	// Delete removes the record, its keys and its history.
	// Returns ErrNotFound.
	Delete(ctx context.Context, typ, id string) error

	// History returns the record's events, oldest first. Returns ErrNotFound.
	History(ctx context.Context, typ, id string) ([]Event, error)

	// Close releases the store's resources.
	Close() error
}

// Sentinel errors. Compare with errors.Is.
var (
	ErrNotFound  = errors.New("storage: record not found")
	ErrExists    = errors.New("storage: record already exists")
	ErrNotUnique = errors.New("storage: unique value already held")
	ErrConflict  = errors.New("storage: concurrent modification")
)

// NotUniqueError says which key clashed and who holds it.
// It matches ErrNotUnique with errors.Is.
type NotUniqueError struct {
	Key         Key
	HolderID    string
	HolderState RecordState
}

func (e *NotUniqueError) Error() string {
	return fmt.Sprintf("storage: %s already held by %s record %q", e.Key, e.HolderState, e.HolderID)
}

// Is makes errors.Is(err, ErrNotUnique) true.
func (e *NotUniqueError) Is(target error) bool { return target == ErrNotUnique }
