// Package memory provides an in-process storage.Store that keeps decoded
// records in maps.
package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Store = (*Store)(nil)

// errClosed is returned by every method after Close.
var errClosed = errors.New("storage/memory: store is closed")

// Store is an in-process storage.Store. The zero value is not usable; call
// New. A Store is safe for concurrent use.
//
// Updates of one record are serialized by that record's own lock, so the
// updater runs without blocking readers or updates of other records; the
// store-wide lock is held only for the short commit step that checks keys,
// swaps the record and re-indexes it.
//
// The store keeps the maps and slices it is given and hands out records that
// share memory with what it keeps: records passed to Create or returned from
// an updater must not be modified afterwards, and records returned by Get,
// Find and Update are read-only. Nothing survives the process.
type Store struct {
	mu      sync.RWMutex // guards records, index, terms, closed and every entry's rec and history
	records map[recordID]*entry
	index   map[keyID]string              // unique value → id of the record holding it
	terms   map[keyID]map[string]struct{} // index term → ids of the records holding it
	closed  bool
	// feed holds the committed events not trimmed, in position order;
	// lastPos is the position of the newest ever appended.
	feed      chunks[feedEntry]
	lastPos   uint64
	counters  map[string]uint64
	bookmarks map[string]uint64
	eph       ephemeral // tokens and quotas, under a lock of their own
}

type recordID struct{ typ, id string }

type keyID struct{ typ, name, value string }

// entry is one stored record. lock serializes updaters of the record; the
// fields below it change only under both lock and Store.mu.
type entry struct {
	lock    sync.Mutex
	rec     *storage.Record
	history chunks[storage.Event]
	deleted bool
}

// New returns an empty Store.
func New() *Store {
	return &Store{records: map[recordID]*entry{}, index: map[keyID]string{},
		terms: map[keyID]map[string]struct{}{}, counters: map[string]uint64{},
		bookmarks: map[string]uint64{}}
}

// Create implements storage.Store. It stores Version 1 and sets Updated to
// ev.Time; Created keeps rec.Created if set and is ev.Time otherwise.
func (s *Store) Create(ctx context.Context, rec *storage.Record, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	stored := *rec
	stored.Version = 1
	stored.Updated = ev.Time
	if stored.Created.IsZero() {
		stored.Created = ev.Time
	}
	ev.Version = 1

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	rid := recordID{rec.Type, rec.ID}
	if _, ok := s.records[rid]; ok {
		return fmt.Errorf("storage/memory: create %s %q: %w", rec.Type, rec.ID, storage.ErrExists)
	}
	if err := s.checkKeysLocked(rec.Type, rec.ID, stored.Keys); err != nil {
		return err
	}
	e := &entry{rec: &stored}
	e.history.add(ev)
	s.records[rid] = e
	s.indexLocked(rec.Type, rec.ID, nil, &stored)
	s.appendFeedLocked(e)
	return nil
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, typ, id string) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	e, ok := s.records[recordID{typ, id}]
	if !ok {
		return nil, fmt.Errorf("storage/memory: get %s %q: %w", typ, id, storage.ErrNotFound)
	}
	return view(e.rec), nil
}

// Find implements storage.Store.
func (s *Store) Find(ctx context.Context, typ string, key storage.Key) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	id, ok := s.index[keyID{typ, key.Name, key.Value}]
	if !ok {
		return nil, fmt.Errorf("storage/memory: find %s %s: %w", typ, key, storage.ErrNotFound)
	}
	return view(s.records[recordID{typ, id}].rec), nil
}

// Update implements storage.Store. fn runs exactly once, under the record's
// lock. The store owns Type, ID, Version, Created and Updated: whatever fn
// sets there is replaced.
func (s *Store) Update(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := s.entry(typ, id)
	if err != nil {
		return nil, err
	}
	e.lock.Lock()
	defer e.lock.Unlock()
	// The wait for the lock may have outlasted the caller or the record.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.deleted {
		return nil, fmt.Errorf("storage/memory: update %s %q: %w", typ, id, storage.ErrNotFound)
	}

	// Only this goroutine writes e.rec while it holds e.lock, so reading it
	// without s.mu is safe here.
	old := e.rec
	work := view(old)
	ev, err := fn(work)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return old, nil
	}
	// The updater's copy becomes the stored record: the contract forbids
	// modifying it once fn has returned.
	next := work
	next.Type, next.ID, next.Created = old.Type, old.ID, old.Created
	next.Version = old.Version + 1
	next.Updated = ev.Time
	if err := next.Validate(); err != nil {
		return nil, fmt.Errorf("storage/memory: update %s %q: %w", typ, id, err)
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("storage/memory: update %s %q: %w", typ, id, err)
	}
	event := *ev
	event.Version = next.Version

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// An update that left keys and terms as they were (the updater kept
	// the stored slices) has nothing to check or re-index.
	if !sameKeys(old.Keys, next.Keys) || !sameKeys(old.Terms, next.Terms) {
		if err := s.checkKeysLocked(typ, id, next.Keys); err != nil {
			return nil, err
		}
		s.indexLocked(typ, id, old, next)
	}
	e.rec = next
	e.history.add(event)
	s.appendFeedLocked(e)
	// The record is returned as stored, without a copy of its struct:
	// Update's result is read-only.
	return next, nil
}

// Delete implements storage.Store. It waits for a running update of the
// record to finish, and adds a feed entry of Kind storage.DeleteKind.
func (s *Store) Delete(ctx context.Context, typ, id string) error {
	return s.DeleteIf(ctx, typ, id, storage.Expect{}, storage.Event{})
}

// History implements storage.Store. The returned slice is the caller's; the
// events in it share memory with the store.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	e, ok := s.records[recordID{typ, id}]
	if !ok {
		return nil, fmt.Errorf("storage/memory: history %s %q: %w", typ, id, storage.ErrNotFound)
	}
	return e.history.appendRange(make([]storage.Event, 0, e.history.len()), 0, e.history.len()), nil
}

// Close drops every record. Calls after Close return an error; Close itself
// may be called more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.records, s.index, s.terms, s.feed, s.counters, s.bookmarks = nil, nil, nil, chunks[feedEntry]{}, nil, nil
	return nil
}

func (s *Store) entry(typ, id string) (*entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	e, ok := s.records[recordID{typ, id}]
	if !ok {
		return nil, fmt.Errorf("storage/memory: %s %q: %w", typ, id, storage.ErrNotFound)
	}
	return e, nil
}

// checkKeysLocked returns a *storage.NotUniqueError for the first key held
// by a record other than id. s.mu must be held.
func (s *Store) checkKeysLocked(typ, id string, keys []storage.Key) error {
	for _, k := range keys {
		holder, ok := s.index[keyID{typ, k.Name, k.Value}]
		if !ok || holder == id {
			continue
		}
		return &storage.NotUniqueError{
			Key:         k,
			HolderID:    holder,
			HolderState: s.records[recordID{typ, holder}].rec.State,
		}
	}
	return nil
}

// indexLocked moves the record's key and term index entries from old to
// next; either may be nil (no record). s.mu must be held and next must have
// passed checkKeysLocked.
func (s *Store) indexLocked(typ, id string, old, next *storage.Record) {
	if old != nil {
		for _, k := range old.Keys {
			delete(s.index, keyID{typ, k.Name, k.Value})
		}
		for _, k := range old.Terms {
			t := keyID{typ, k.Name, k.Value}
			delete(s.terms[t], id)
			if len(s.terms[t]) == 0 {
				delete(s.terms, t)
			}
		}
	}
	if next != nil {
		for _, k := range next.Keys {
			s.index[keyID{typ, k.Name, k.Value}] = id
		}
		for _, k := range next.Terms {
			t := keyID{typ, k.Name, k.Value}
			if s.terms[t] == nil {
				s.terms[t] = map[string]struct{}{}
			}
			s.terms[t][id] = struct{}{}
		}
	}
}

// sameKeys reports whether a and b are the same slice: the same length and
// elements at the same address. The store's slices are never modified in
// place, so such a slice holds what it held.
func sameKeys(a, b []storage.Key) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// view returns a new Record struct sharing rec's maps and slices, so a caller
// who sets a field does not change the stored record.
func view(rec *storage.Record) *storage.Record {
	v := *rec
	return &v
}
