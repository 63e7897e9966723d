package shimconfig

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

// quotasFile is the "quotas" section of the -config file: limits on
// confirmation attempts and resends per client and per subject, for every
// vendor. A member left out keeps its default (defaultQuotas).
type quotasFile struct {
	ConfirmPerClient  *quotaFile `json:"confirmPerClient,omitempty"`
	ConfirmPerSubject *quotaFile `json:"confirmPerSubject,omitempty"`
	ResendPerClient   *quotaFile `json:"resendPerClient,omitempty"`
	ResendPerSubject  *quotaFile `json:"resendPerSubject,omitempty"`
}

// defaultQuotas are generous enough for any honest client and bound a
// noisy one: 600 confirmations and 600 resends a minute per client, 30
// confirmations per user in 10 minutes (on top of each code's attempt
// limit) and 20 resends per user an hour.
func defaultQuotas() update.Quotas {
	return update.Quotas{
		ConfirmPerClient:  storage.Quota{Limit: 600, Window: time.Minute},
		ConfirmPerSubject: storage.Quota{Limit: 30, Window: 10 * time.Minute},
		ResendPerClient:   storage.Quota{Limit: 600, Window: time.Minute},
		ResendPerSubject:  storage.Quota{Limit: 20, Window: time.Hour},
	}
}

// members pairs each quota of the file with its JSON name and its place
// in q.
func (f *quotasFile) members(q *update.Quotas) []struct {
	name string
	file *quotaFile
	dst  *storage.Quota
} {
	return []struct {
		name string
		file *quotaFile
		dst  *storage.Quota
	}{
		{"confirmPerClient", f.ConfirmPerClient, &q.ConfirmPerClient},
		{"confirmPerSubject", f.ConfirmPerSubject, &q.ConfirmPerSubject},
		{"resendPerClient", f.ResendPerClient, &q.ResendPerClient},
		{"resendPerSubject", f.ResendPerSubject, &q.ResendPerSubject},
	}
}

// check reports the first quota the store would refuse.
func (f *quotasFile) check(file string, data []byte) error {
	if f == nil {
		return nil
	}
	for _, m := range f.members(&update.Quotas{}) {
		if err := checkQuota(file, data, []any{"quotas", m.name}, m.file); err != nil {
			return err
		}
	}
	return nil
}

// apply overlays the file's quotas on q.
func (f *quotasFile) apply(q *update.Quotas) {
	if f == nil {
		return
	}
	for _, m := range f.members(q) {
		if m.file != nil {
			*m.dst = m.file.quota()
		}
	}
}
