// Package storagetest provides the conformance suite every storage.Store
// backend runs.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// NewStore returns an empty store for one subtest. It registers its own
// cleanup (closing the store, removing files) with tb.
type NewStore func(tb testing.TB) storage.Store

// Run runs the conformance suite against the stores newStore returns, one
// fresh store per subtest. It covers records, keys, uniqueness, history,
// round-trips of every field, context cancellation and concurrency.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Records", func(t *testing.T) { runRecords(t, newStore) })
	t.Run("Keys", func(t *testing.T) { runKeys(t, newStore) })
	t.Run("Update", func(t *testing.T) { runUpdate(t, newStore) })
	t.Run("RoundTrip", func(t *testing.T) { runRoundTrip(t, newStore) })
	t.Run("Invalid", func(t *testing.T) { runInvalid(t, newStore) })
	t.Run("Context", func(t *testing.T) { runContext(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { runConcurrency(t, newStore) })
	t.Run("Meta", func(t *testing.T) { runMeta(t, newStore) })
	t.Run("Ephemeral", func(t *testing.T) { runEphemeral(t, newStore) })
	t.Run("Spend", func(t *testing.T) { runSpend(t, newStore) })
}

const userType = "user"

// t0 has a nanosecond part so that a store which rounds times fails.
var t0 = time.Date(2026, 11, 22, 9, 30, 0, 123456789, time.UTC)

// at returns t0 plus n seconds and n nanoseconds.
func at(n int) time.Time { return t0.Add(time.Duration(n)*time.Second + time.Duration(n)) }

func newRecord(id string, keys ...storage.Key) *storage.Record {
	return &storage.Record{
		Type:    userType,
		ID:      id,
		Created: t0,
		State:   storage.Active,
		Doc:     map[string]any{"name": "user " + id},
		Keys:    keys,
	}
}

func createEvent() storage.Event {
	return storage.Event{Time: t0, Kind: "create", Actor: "tester", Client: "suite"}
}

func mustCreate(tb testing.TB, s storage.Store, rec *storage.Record) {
	tb.Helper()
	require.NoError(tb, s.Create(context.Background(), rec, createEvent()))
}

func mustGet(tb testing.TB, s storage.Store, id string) *storage.Record {
	tb.Helper()
	rec, err := s.Get(context.Background(), userType, id)
	require.NoError(tb, err)
	return rec
}

// setDoc returns an updater that replaces the document with doc and
// describes the change with an event at time when.
func setDoc(doc map[string]any, when time.Time) storage.Updater {
	return func(rec *storage.Record) (*storage.Event, error) {
		rec.Doc = doc
		return &storage.Event{Time: when, Kind: "update", Changes: []storage.Change{{Path: "", Op: "replace"}}}, nil
	}
}

// setKeys returns an updater that replaces the record's keys.
func setKeys(when time.Time, keys ...storage.Key) storage.Updater {
	return func(rec *storage.Record) (*storage.Event, error) {
		rec.Keys = keys
		return &storage.Event{Time: when, Kind: "update"}, nil
	}
}

// withDoc returns a copy of doc with name set to value, leaving doc alone as
// the Updater contract asks.
func withDoc(doc map[string]any, name string, value any) map[string]any {
	next := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		next[k] = v
	}
	next[name] = value
	return next
}

// assertSameRecord compares two records field by field. Times must denote
// the same instant to the nanosecond (any location); keys and terms compare
// as sets;
// nil and empty maps and slices are the same.
func assertSameRecord(tb testing.TB, want, got *storage.Record) {
	tb.Helper()
	require.NotNil(tb, got)
	assert.Equal(tb, canonical(want), canonical(got))
}

func canonical(r *storage.Record) storage.Record {
	c := *r
	c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
	if len(c.Secrets) == 0 {
		c.Secrets = nil
	}
	if len(c.Doc) == 0 {
		c.Doc = nil
	}
	c.Keys, c.Terms = storage.SortedKeys(r.Keys), storage.SortedKeys(r.Terms)
	c.Pending = nil
	for _, ch := range r.Pending {
		ch = ch.Clone()
		ch.Created, ch.Expires = ch.Created.UTC(), ch.Expires.UTC()
		for i := range ch.Sends {
			ch.Sends[i] = ch.Sends[i].UTC()
		}
		c.Pending = append(c.Pending, ch)
	}
	return c
}

func canonicalEvents(evs []storage.Event) []storage.Event {
	out := make([]storage.Event, len(evs))
	for i, ev := range evs {
		ev.Time = ev.Time.UTC()
		if len(ev.Changes) == 0 {
			ev.Changes = nil
		}
		out[i] = ev
	}
	return out
}

// errBoom is an updater's own error, which Update must return unchanged.
var errBoom = errors.New("updater refused")

func versions(evs []storage.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Version
	}
	return out
}

func seq(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

func key(name, value string) storage.Key { return storage.Key{Name: name, Value: value} }

func id(i int) string { return fmt.Sprintf("u%02d", i) }
