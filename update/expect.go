package update

import (
	"time"

	"github.com/idupdate/idupdate/storage"
)

// Mismatch is what a failed Expect precondition compared: set on a
// Conflict with Reason ReasonVersion, ReasonCreated or ReasonUpdated, for
// callers that answer with the stored value in their own format. It is
// never part of the Error's Message.
type Mismatch struct {
	// ExpectedVersion and ActualVersion are set for ReasonVersion.
	ExpectedVersion, ActualVersion uint64
	// Expected and Actual are set for ReasonCreated and ReasonUpdated.
	Expected, Actual time.Time
}

// checkExpect compares the request's preconditions with the record.
func checkExpect(x Expect, rec *storage.Record) error {
	if x.Version != nil && *x.Version != rec.Version {
		return &Error{Code: Conflict, Message: "the record changed since it was read", Reason: ReasonVersion,
			Mismatch: &Mismatch{ExpectedVersion: *x.Version, ActualVersion: rec.Version}}
	}
	if x.Created != nil && !SameInstant(*x.Created, rec.Created) {
		return &Error{Code: Conflict, Message: "the created time does not match the record's", Reason: ReasonCreated,
			Mismatch: &Mismatch{Expected: *x.Created, Actual: rec.Created}}
	}
	if x.Updated != nil && !SameInstant(*x.Updated, rec.Updated) {
		return &Error{Code: Conflict, Message: "the record changed since it was read: the updated time does not match", Reason: ReasonUpdated,
			Mismatch: &Mismatch{Expected: *x.Updated, Actual: rec.Updated}}
	}
	return nil
}

// SameInstant reports whether a and b are the same instant to the
// microsecond, the finest precision vendors and PostgreSQL carry: both are
// truncated (not rounded) to whole microseconds, and their locations do
// not matter. Expect.Created and Expect.Updated compare by this rule, so a
// time formatted with microseconds (Janrain's "2006-01-02 15:04:05.000000
// -0700") and parsed back matches the record it came from.
func SameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
