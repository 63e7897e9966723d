package storage

import (
	"context"
	"fmt"
	"math"
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
// rolled back, however writers interleave. Entries are kept until the
// feed is trimmed (FeedTrimmer): deleting a record does not remove its
// entries.
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

// Bounds of FeedTrimmer.TrimChanges.
const (
	DefaultTrimBatch = 1000
	MaxTrimBatch     = 10_000
)

// Trim says which feed entries TrimChanges may delete: the oldest, in
// position order, that meet every condition set.
type Trim struct {
	// Before keeps entries whose event time is not before it; zero keeps
	// none for their age.
	Before time.Time
	// UpTo keeps entries with a higher position; zero sets no bound.
	UpTo uint64
	// Unacknowledged also deletes entries some bookmark has not reached.
	// By default TrimChanges keeps every entry after the lowest position
	// saved with SetBookmark, so that no consumer that saved a position
	// misses an entry it has not handled.
	Unacknowledged bool
	// Limit is how many of the oldest entries one call looks at, and so
	// the most it deletes: 0 means DefaultTrimBatch; at most MaxTrimBatch.
	Limit int
}

// FeedTrimmer is implemented by stores whose feed can be trimmed, so that
// it does not grow for ever. Every backend of this module implements it;
// detect it with a type assertion.
//
// Trimming breaks the Feed promise only for readers that keep no
// bookmark: one that resumes from a position below the entries still
// kept gets the first kept entry next, without a sign of the gap. The
// newest entry is never deleted, so positions are never handed out
// twice.
type FeedTrimmer interface {
	// TrimChanges looks at up to t.Limit of the oldest entries and deletes,
	// in one transaction, those t allows (see Trim), returning how many.
	// Fewer than t.Limit deleted may still leave entries to trim further
	// on (an entry not old enough among the oldest); a caller trims until
	// a call deletes nothing. A t.Limit out of range is an error matching
	// ErrBadQuery.
	TrimChanges(ctx context.Context, t Trim) (int, error)
}

// TrimLimit checks a Trim's Limit and applies the default.
func TrimLimit(limit int) (int, error) {
	if limit < 0 || limit > MaxTrimBatch {
		return 0, &QueryError{Field: "limit", Reason: fmt.Sprintf("must be 0 (default %d) to %d", DefaultTrimBatch, MaxTrimBatch)}
	}
	if limit == 0 {
		return DefaultTrimBatch, nil
	}
	return limit, nil
}

// SQLBounds returns t's Limit with the default applied (or an error as
// TrimLimit's) and its UpTo as the SQL backends compare positions: a
// signed 64-bit bound, the largest for none.
func (t Trim) SQLBounds() (limit int, upTo int64, err error) {
	if limit, err = TrimLimit(t.Limit); err != nil {
		return 0, 0, err
	}
	upTo = math.MaxInt64
	if t.UpTo != 0 && t.UpTo < math.MaxInt64 {
		upTo = int64(t.UpTo)
	}
	return limit, upTo, nil
}

// Allows reports whether t lets an entry at pos with event time at go,
// given the lowest bookmark (ok false: there is none) and the newest
// position in the feed. Backends without SQL use it; the SQL backends
// compute the same in the database.
func (t Trim) Allows(pos uint64, at time.Time, lowestBookmark uint64, hasBookmark bool, newest uint64) bool {
	return pos < newest &&
		(t.UpTo == 0 || pos <= t.UpTo) &&
		(t.Unacknowledged || !hasBookmark || pos <= lowestBookmark) &&
		(t.Before.IsZero() || at.Before(t.Before))
}
