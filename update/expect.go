package update

import (
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// checkExpect compares the request's preconditions with the record.
func checkExpect(x Expect, rec *storage.Record) error {
	if x.Version != nil && *x.Version != rec.Version {
		return &Error{Code: Conflict, Message: fmt.Sprintf("version is %d, not %d", rec.Version, *x.Version), Reason: ReasonVersion}
	}
	if x.Created != nil && !sameInstant(*x.Created, rec.Created) {
		return &Error{Code: Conflict, Message: "created does not match the record", Reason: ReasonCreated}
	}
	if x.Updated != nil && !sameInstant(*x.Updated, rec.Updated) {
		return &Error{Code: Conflict, Message: "updated does not match the record", Reason: ReasonUpdated}
	}
	return nil
}

// sameInstant compares to the microsecond, the finest precision vendors
// (and PostgreSQL) carry.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
