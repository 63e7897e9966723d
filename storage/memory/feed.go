package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/idupdate/idupdate/storage"
)

var (
	_ storage.ConditionalDeleter = (*Store)(nil)
	_ storage.Feed               = (*Store)(nil)
	_ storage.Counters           = (*Store)(nil)
)

// feedEntry is one position of the feed. Its event is not copied: it is
// the one at index i of the history of rec, which is only ever appended
// to. The event of a delete is appended to the history of the entry it
// deletes, where no lookup finds it but the feed.
type feedEntry struct {
	pos uint64
	rec *entry
	i   int
}

// event is the entry's event.
func (f feedEntry) event() *storage.Event { return f.rec.history.ref(f.i) }

// appendFeedLocked adds the newest event in the history of e to the
// feed. s.mu must be held for writing, in the same critical section as
// the change it describes.
func (s *Store) appendFeedLocked(e *entry) {
	s.lastPos++
	s.feed.add(feedEntry{pos: s.lastPos, rec: e, i: e.history.len() - 1})
}

// DeleteIf implements storage.ConditionalDeleter. It waits for a running
// update of the record to finish and then checks want against the record
// as that update left it.
func (s *Store) DeleteIf(ctx context.Context, typ, id string, want storage.Expect, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := s.entry(typ, id)
	if err != nil {
		return err
	}
	e.lock.Lock()
	defer e.lock.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.deleted {
		return fmt.Errorf("storage/memory: delete %s %q: %w", typ, id, storage.ErrNotFound)
	}
	if !want.Holds(e.rec) {
		return fmt.Errorf("storage/memory: delete %s %q: record is at version %d: %w", typ, id, e.rec.Version, storage.ErrConflict)
	}
	s.indexLocked(typ, id, e.rec, nil)
	delete(s.records, recordID{typ, id})
	e.deleted = true
	e.history.add(deleteEvent(e.rec.Version, ev))
	s.appendFeedLocked(e)
	// The feed keeps e until its entries are trimmed; it needs only the
	// record's type and id, not the deleted document.
	e.rec = &storage.Record{Type: typ, ID: id}
	return nil
}

// deleteEvent is the feed event of deleting a record at version.
func deleteEvent(version uint64, ev storage.Event) storage.Event {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	return storage.Event{Version: version + 1, Time: ev.Time, Kind: storage.DeleteKind, Actor: ev.Actor, Client: ev.Client}
}

// Changes implements storage.Feed. Entries share memory with the store.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]storage.FeedEntry, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, after, err
	}
	n, err := storage.FeedLimit(limit)
	if err != nil {
		return nil, after, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, after, errClosed
	}
	// Positions increase but have gaps once the feed is trimmed.
	i := sort.Search(s.feed.len(), func(i int) bool { return s.feed.at(i).pos > after })
	if i == s.feed.len() {
		return nil, after, nil
	}
	out := make([]storage.FeedEntry, 0, min(s.feed.len()-i, n))
	for ; i < s.feed.len() && len(out) < n; i++ {
		f := s.feed.at(i)
		out = append(out, storage.FeedEntry{Position: f.pos, Type: f.rec.rec.Type, ID: f.rec.rec.ID, Event: *f.event()})
	}
	return out, out[len(out)-1].Position, nil
}

var _ storage.FeedTrimmer = (*Store)(nil)

// TrimChanges implements storage.FeedTrimmer.
func (s *Store) TrimChanges(ctx context.Context, t storage.Trim) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := storage.TrimLimit(t.Limit)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	lowest, has := uint64(0), false
	for _, pos := range s.bookmarks {
		if !has || pos < lowest {
			lowest, has = pos, true
		}
	}
	head := min(n, s.feed.len())
	var next chunks[feedEntry]
	for i := range head {
		if f := s.feed.at(i); !t.Allows(f.pos, f.event().Time, lowest, has, s.lastPos) {
			next.add(f)
		}
	}
	deleted := head - next.len()
	if deleted == 0 {
		return 0, nil
	}
	// The rest moves into new chunks: the memory store copies its feed
	// to trim it.
	for i := head; i < s.feed.len(); i++ {
		next.add(s.feed.at(i))
	}
	s.feed = next
	return deleted, nil
}

// NextValue implements storage.Counters.
func (s *Store) NextValue(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := storage.CheckCounterName(name); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	s.counters[name]++
	return s.counters[name], nil
}

var _ storage.Bookmarks = (*Store)(nil)

// Bookmark implements storage.Bookmarks.
func (s *Store) Bookmark(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, errClosed
	}
	return s.bookmarks[name], nil
}

// SetBookmark implements storage.Bookmarks.
func (s *Store) SetBookmark(ctx context.Context, name string, pos uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckCounterName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.bookmarks[name] = pos
	return nil
}
