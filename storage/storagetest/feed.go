package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// RunFeed runs the suite of conditional deletes, the change feed and
// counters. The store must implement storage.ConditionalDeleter,
// storage.Feed and storage.Counters.
func RunFeed(t *testing.T, newStore NewStore) {
	t.Run("DeleteIf", func(t *testing.T) { runDeleteIf(t, newStore) })
	t.Run("DeleteRace", func(t *testing.T) { runDeleteRace(t, newStore) })
	t.Run("Feed", func(t *testing.T) { runFeedBasics(t, newStore) })
	t.Run("FeedUnderConcurrentWriters", func(t *testing.T) { runFeedConcurrent(t, newStore) })
	t.Run("Counters", func(t *testing.T) { runCounters(t, newStore) })
	t.Run("Bookmarks", func(t *testing.T) { runBookmarks(t, newStore) })
	t.Run("Trim", func(t *testing.T) { runTrim(t, newStore) })
}

func capabilities(tb testing.TB, s storage.Store) (storage.ConditionalDeleter, storage.Feed, storage.Counters) {
	tb.Helper()
	d, ok1 := s.(storage.ConditionalDeleter)
	f, ok2 := s.(storage.Feed)
	c, ok3 := s.(storage.Counters)
	require.True(tb, ok1 && ok2 && ok3, "%T lacks ConditionalDeleter, Feed or Counters", s)
	return d, f, c
}

// readFeed returns every entry after pos, in pages of limit.
func readFeed(tb testing.TB, f storage.Feed, after uint64, limit int) []storage.FeedEntry {
	tb.Helper()
	var out []storage.FeedEntry
	for {
		es, next, err := f.Changes(context.Background(), after, limit)
		require.NoError(tb, err)
		if len(es) == 0 {
			require.Equal(tb, after, next)
			return out
		}
		out = append(out, es...)
		after = next
	}
}

func runDeleteIf(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	d, feed, _ := capabilities(t, s)
	mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
	_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"name": "two"}, at(2)))
	require.NoError(t, err)
	rec := mustGet(t, s, "u1")

	for name, want := range map[string]storage.Expect{
		"StaleVersion": {Version: 1},
		"OtherCreated": {Version: 2, Created: t0.Add(time.Nanosecond)},
		"OtherUpdated": {Updated: at(1)},
	} {
		err := d.DeleteIf(ctx, userType, "u1", want, storage.Event{})
		assert.ErrorIs(t, err, storage.ErrConflict, name)
	}
	assertSameRecord(t, rec, mustGet(t, s, "u1"))
	assert.ErrorIs(t, d.DeleteIf(ctx, userType, "nobody", storage.Expect{}, storage.Event{}), storage.ErrNotFound)

	when := at(3)
	require.NoError(t, d.DeleteIf(ctx, userType, "u1",
		storage.Expect{Version: 2, Created: rec.Created, Updated: rec.Updated}, storage.Event{Time: when, Actor: "admin", Client: "console", Kind: "ignored"}))
	_, err = s.Get(ctx, userType, "u1")
	assert.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.Find(ctx, userType, key("/email", "a@example.com"))
	assert.ErrorIs(t, err, storage.ErrNotFound)
	assert.ErrorIs(t, d.DeleteIf(ctx, userType, "u1", storage.Expect{}, storage.Event{}), storage.ErrNotFound)

	entries := readFeed(t, feed, 0, 0)
	require.Len(t, entries, 3)
	last := entries[2]
	assert.Equal(t, storage.DeleteKind, last.Kind)
	assert.Equal(t, uint64(3), last.Version)
	assert.True(t, when.Equal(last.Time), "delete time %v, want %v", last.Time, when)
	assert.Equal(t, "admin", last.Actor)
	assert.Equal(t, "console", last.Client)
	assert.Empty(t, last.Changes)
}

// runDeleteRace races 16 deleters, each deleting the version it read,
// against 16 updaters: every delete either wins cleanly — no update
// committed between the deleter's read and its delete — or is a Conflict
// (or NotFound once another deleter has won).
func runDeleteRace(t *testing.T, newStore NewStore) {
	const records, deleters, updaters = 8, 16, 16
	ctx := context.Background()
	s := newStore(t)
	d, feed, _ := capabilities(t, s)
	for i := range records {
		mustCreate(t, s, newRecord(id(i)))
	}
	var wins, conflicts atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range deleters {
		wg.Go(func() {
			<-start
			for i := w % records; i < records; i += 2 {
				for {
					rec, err := s.Get(ctx, userType, id(i))
					if errors.Is(err, storage.ErrNotFound) {
						break
					}
					if !assert.NoError(t, err) {
						return
					}
					err = d.DeleteIf(ctx, userType, id(i), storage.Expect{Version: rec.Version}, storage.Event{Actor: fmt.Sprint(rec.Version)})
					if err == nil {
						wins.Add(1)
						break
					}
					if errors.Is(err, storage.ErrNotFound) {
						break
					}
					if !assert.ErrorIs(t, err, storage.ErrConflict) {
						return
					}
					conflicts.Add(1)
				}
			}
		})
	}
	for w := range updaters {
		wg.Go(func() {
			<-start
			for n := 0; n < 200; n++ {
				_, err := s.Update(ctx, userType, id((w+n)%records), setDoc(map[string]any{"n": n}, at(n)))
				if err != nil && !assert.ErrorIs(t, err, storage.ErrNotFound) {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int64(records), wins.Load(), "every record deleted exactly once")
	t.Logf("%d conflicts", conflicts.Load())

	// Each delete entry directly follows, for its record, the version its
	// deleter read (carried in Actor): nothing committed in between.
	last := map[string]uint64{}
	for _, e := range readFeed(t, feed, 0, 100) {
		if e.Kind == storage.DeleteKind {
			assert.Equal(t, fmt.Sprint(last[e.ID]), e.Actor, "record %s deleted at the version read", e.ID)
			assert.Equal(t, last[e.ID]+1, e.Version)
			last[e.ID] = 1 << 62
			continue
		}
		assert.Equal(t, last[e.ID]+1, e.Version, "record %s: no version skipped", e.ID)
		last[e.ID] = e.Version
	}
	for i := range records {
		_, err := s.Get(ctx, userType, id(i))
		assert.ErrorIs(t, err, storage.ErrNotFound)
	}
}

func runFeedBasics(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	_, feed, _ := capabilities(t, s)

	es, next, err := feed.Changes(ctx, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, es)
	assert.Zero(t, next)

	mustCreate(t, s, newRecord("u1", key("/email", "a@example.com")))
	mustCreate(t, s, newRecord("u2"))
	_, err = s.Update(ctx, userType, "u1", setDoc(map[string]any{"name": "x"}, at(1)))
	require.NoError(t, err)
	// Writes that fail leave no entry.
	_, err = s.Update(ctx, userType, "u2", setKeys(at(2), key("/email", "a@example.com")))
	require.ErrorIs(t, err, storage.ErrNotUnique)
	_, err = s.Update(ctx, userType, "u2", func(*storage.Record) (*storage.Event, error) { return nil, errBoom })
	require.ErrorIs(t, err, errBoom)
	_, err = s.Update(ctx, userType, "u2", func(*storage.Record) (*storage.Event, error) { return nil, nil })
	require.NoError(t, err)
	require.ErrorIs(t, s.Create(ctx, newRecord("u1"), createEvent()), storage.ErrExists)
	require.NoError(t, s.Delete(ctx, userType, "u2"))

	all := readFeed(t, feed, 0, 1)
	type step struct {
		id      string
		version uint64
		kind    string
	}
	var got []step
	for i, e := range all {
		got = append(got, step{e.ID, e.Version, e.Kind})
		assert.Equal(t, userType, e.Type)
		if i > 0 {
			assert.Greater(t, e.Position, all[i-1].Position)
		}
	}
	assert.Equal(t, []step{{"u1", 1, "create"}, {"u2", 1, "create"}, {"u1", 2, "update"}, {"u2", 2, storage.DeleteKind}}, got)
	assert.Equal(t, []storage.Change{{Path: "", Op: "replace"}}, all[2].Changes)
	assert.True(t, at(1).Equal(all[2].Time))

	page, next, err := feed.Changes(ctx, all[0].Position, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, all[2].Position, next)
	_, _, err = feed.Changes(ctx, 0, storage.MaxFeedLimit+1)
	assert.ErrorIs(t, err, storage.ErrBadQuery)
	_, _, err = feed.Changes(ctx, 0, -1)
	assert.ErrorIs(t, err, storage.ErrBadQuery)
}

// runFeedConcurrent has 32 writers create, update, fail and delete while a
// reader tails the feed: the reader sees every committed event exactly
// once, each record's in version order, and nothing that failed.
func runFeedConcurrent(t *testing.T, newStore NewStore) {
	const writers, perWriter = 32, 12
	ctx := context.Background()
	s := newStore(t)
	_, feed, _ := capabilities(t, s)
	type event struct {
		id      string
		version uint64
	}
	var mu sync.Mutex
	committed := map[event]bool{}
	commit := func(id string, v uint64) {
		mu.Lock()
		committed[event{id, v}] = true
		mu.Unlock()
	}
	mustCreate(t, s, newRecord("holder", key("/email", "held@example.com")))
	commit("holder", 1)

	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rid := fmt.Sprintf("w%02d", w)
			if !assert.NoError(t, s.Create(ctx, newRecord(rid), createEvent())) {
				return
			}
			commit(rid, 1)
			for n := range perWriter {
				var fn storage.Updater
				switch n % 4 {
				case 1: // rolled back: the key is held
					fn = setKeys(at(n), key("/email", "held@example.com"))
				case 2: // rolled back by the updater
					fn = func(*storage.Record) (*storage.Event, error) { return nil, errBoom }
				default:
					fn = setDoc(map[string]any{"n": n}, at(n))
				}
				rec, err := s.Update(ctx, userType, rid, fn)
				if err == nil {
					commit(rid, rec.Version)
				}
			}
			if w%3 == 0 {
				rec := mustGet(t, s, rid)
				if assert.NoError(t, s.Delete(ctx, userType, rid)) {
					commit(rid, rec.Version+1)
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[event]int{}
	last := map[string]uint64{}
	var after uint64
	tail := func() int {
		es, next, err := feed.Changes(ctx, after, 5)
		require.NoError(t, err)
		for _, e := range es {
			ev := event{e.ID, e.Version}
			seen[ev]++
			assert.Greater(t, e.Version, last[e.ID], "record %s out of version order", e.ID)
			last[e.ID] = e.Version
		}
		after = next
		return len(es)
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
			if tail() == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	for tail() > 0 {
	}
	mu.Lock()
	defer mu.Unlock()
	for ev := range committed {
		assert.Equal(t, 1, seen[ev], "committed event %v seen %d times", ev, seen[ev])
	}
	for ev, n := range seen {
		assert.True(t, committed[ev], "event %v (seen %d times) was never committed", ev, n)
	}
}

func runCounters(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	_, _, c := capabilities(t, s)
	const workers, each = 8, 25
	var mu sync.Mutex
	got := map[uint64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				v, err := c.NextValue(ctx, "janrain/user")
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				assert.False(t, got[v], "value %d handed out twice", v)
				got[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for v := uint64(1); v <= workers*each; v++ {
		assert.True(t, got[v], "value %d never handed out", v)
	}
	v, err := c.NextValue(ctx, "other")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), v)
	_, err = c.NextValue(ctx, "")
	assert.ErrorIs(t, err, storage.ErrInvalid)
}

func runBookmarks(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	b, ok := s.(storage.Bookmarks)
	require.True(t, ok, "%T does not implement storage.Bookmarks", s)
	pos, err := b.Bookmark(ctx, "mirror")
	require.NoError(t, err)
	assert.Zero(t, pos)
	require.NoError(t, b.SetBookmark(ctx, "mirror", 42))
	require.NoError(t, b.SetBookmark(ctx, "other", 7))
	require.NoError(t, b.SetBookmark(ctx, "mirror", 43))
	pos, err = b.Bookmark(ctx, "mirror")
	require.NoError(t, err)
	assert.Equal(t, uint64(43), pos)
	assert.ErrorIs(t, b.SetBookmark(ctx, "", 1), storage.ErrInvalid)
}
