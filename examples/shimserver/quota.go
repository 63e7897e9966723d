package main

import (
	"fmt"
	"time"

	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// quotaFile is a quota in the -config file:
//
//	{"limit": 6000, "window": "1m"}
//
// at most limit calls in any sliding window of that length, counted in
// the store, so across every server process on it.
type quotaFile struct {
	Limit  int             `json:"limit"`
	Window update.Duration `json:"window"`
}

// quota returns q as a storage.Quota.
func (q quotaFile) quota() storage.Quota {
	return storage.Quota{Limit: q.Limit, Window: time.Duration(q.Window)}
}

// checkQuota reports a quota the store would refuse, at its place in the
// file.
func checkQuota(file string, data []byte, path []any, q *quotaFile) error {
	if q == nil {
		return nil
	}
	if err := storage.CheckQuota("quota", q.quota()); err != nil {
		return jsonfile.At(file, data, path, &jsonfile.ValueError{
			Problem:  fmt.Sprintf("limit %d per %s cannot be used", q.Limit, time.Duration(q.Window)),
			Expected: fmt.Sprintf("a limit of %d to %d and a window of %s to %s", storage.MinQuotaLimit, storage.MaxQuotaLimit, storage.MinWindow, storage.MaxWindow),
		})
	}
	return nil
}
