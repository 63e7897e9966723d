package storage

import (
	"context"
	"fmt"
	"time"
)

// Expect is what a record must look like for a conditional write to go
// ahead. Zero fields are not checked; times compare as instants to the
// nanosecond.
type Expect struct {
	Version uint64
	Created time.Time
	Updated time.Time
}

// Holds reports whether rec meets e.
func (e Expect) Holds(rec *Record) bool {
	return (e.Version == 0 || rec.Version == e.Version) &&
		(e.Created.IsZero() || rec.Created.Equal(e.Created)) &&
		(e.Updated.IsZero() || rec.Updated.Equal(e.Updated))
}

// DeleteKind is the Kind of the feed entry a deletion adds.
const DeleteKind = "delete"

// ConditionalDeleter is implemented by stores that delete a record only if
// it still looks as the caller last read it. Every backend of this module
// implements it; detect it with a type assertion.
type ConditionalDeleter interface {
	// DeleteIf removes the record, its keys and its history if it meets
	// want, checking and deleting atomically: a write that lands between
	// the caller's read and DeleteIf makes DeleteIf fail. It adds a feed
	// entry of Kind DeleteKind whose Version is one past the record's
	// last, with ev's Time (the store's clock when zero), Actor and Client;
	// ev's Kind, Version and Changes are ignored.
	// Returns ErrNotFound, or an error matching ErrConflict when the record
	// does not meet want.
	DeleteIf(ctx context.Context, typ, id string, want Expect, ev Event) error
}

// FeedEntry is one committed event in a store's change feed.
type FeedEntry struct {
	// Position orders the feed: entries appear in the order their
	// transactions committed, positions strictly increase, and no entry
	// of a rolled-back transaction ever has one.
	Position uint64 `json:"position"`
	Type     string `json:"type"`
	ID       string `json:"id"`
	// Event is the event as appended to the record's history (secret
	// values already redacted), or for a deletion an event of Kind
	// DeleteKind.
	Event
}

// Bounds of Feed.Changes.
const (
	DefaultFeedLimit = 100
	MaxFeedLimit     = 1000
)

// Feed is implemented by stores that keep one change feed. Every backend
// of this module implements it; detect it with a type assertion.
//
// A reader that calls Changes with the next position it was last given
// sees every committed event exactly once, in commit order — so the events
// of one record in version order — and never one of a transaction that
// rolled back, however writers interleave. Entries are kept for good:
// deleting a record does not remove its entries.
type Feed interface {
	// Changes returns up to limit entries with positions greater than
	// after (0: from the start), in position order, and the position to
	// pass next time: the last entry's, or after itself when there is
	// none. limit 0 means DefaultFeedLimit; it may be at most
	// MaxFeedLimit. A negative or larger limit is an error matching
	// ErrBadQuery.
	Changes(ctx context.Context, after uint64, limit int) ([]FeedEntry, uint64, error)
}

// FeedLimit checks a Changes limit and applies the default.
func FeedLimit(limit int) (int, error) {
	if limit < 0 || limit > MaxFeedLimit {
		return 0, &QueryError{Field: "limit", Reason: fmt.Sprintf("must be 0 (default %d) to %d", DefaultFeedLimit, MaxFeedLimit)}
	}
	if limit == 0 {
		return DefaultFeedLimit, nil
	}
	return limit, nil
}

// Counters is implemented by stores that hand out sequential numbers.
// Every backend of this module implements it; detect it with a type
// assertion.
type Counters interface {
	// NextValue returns the next value of the named counter: 1 the first
	// time, then one more on each call, durably and never the same value
	// twice, even across processes sharing the store. name is 1 to 255
	// bytes; another name is an error matching ErrInvalid.
	NextValue(ctx context.Context, name string) (uint64, error)
}

// CheckCounterName reports whether name can name a counter or a bookmark:
// 1 to 255 bytes. The error matches ErrInvalid.
func CheckCounterName(name string) error { return checkName("name", name) }

// Bookmarks is implemented by stores that keep named feed positions, so a
// consumer of the feed can resume where it left off after a restart. Every
// backend of this module implements it; detect it with a type assertion.
type Bookmarks interface {
	// Bookmark returns the position saved under name, or 0 when none is.
	Bookmark(ctx context.Context, name string) (uint64, error)
	// SetBookmark saves pos under name, durably. name is 1 to 255 bytes;
	// another name is an error matching ErrInvalid.
	SetBookmark(ctx context.Context, name string, pos uint64) error
}
