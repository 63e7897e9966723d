package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// trimmer returns the store's feed, bookmarks and trimmer.
func trimmer(tb testing.TB, s storage.Store) (storage.Feed, storage.Bookmarks, storage.FeedTrimmer) {
	tb.Helper()
	f, ok1 := s.(storage.Feed)
	b, ok2 := s.(storage.Bookmarks)
	tr, ok3 := s.(storage.FeedTrimmer)
	require.True(tb, ok1 && ok2 && ok3, "%T lacks Feed, Bookmarks or FeedTrimmer", s)
	return f, b, tr
}

func positions(es []storage.FeedEntry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Position
	}
	return out
}

func mustTrim(tb testing.TB, tr storage.FeedTrimmer, t storage.Trim) int {
	tb.Helper()
	n, err := tr.TrimChanges(context.Background(), t)
	require.NoError(tb, err)
	return n
}

func runTrim(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	feed, bm, tr := trimmer(t, s)

	assert.Zero(t, mustTrim(t, tr, storage.Trim{Unacknowledged: true}), "an empty feed")
	// u1's create at t0, then updates at at(1) … at(20).
	mustCreate(t, s, newRecord("u1"))
	for i := 1; i <= 20; i++ {
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"n": fmt.Sprint(i)}, at(i)))
		require.NoError(t, err)
	}
	all := readFeed(t, feed, 0, 0)
	require.Len(t, all, 21)
	pos := positions(all) // pos[i] is the entry at at(i)

	t.Run("ByAge", func(t *testing.T) {
		assert.Equal(t, 10, mustTrim(t, tr, storage.Trim{Before: at(10)}), "the create and updates 1 to 9")
		assert.Zero(t, mustTrim(t, tr, storage.Trim{Before: at(10)}), "again: nothing")
		assert.Equal(t, pos[10:], positions(readFeed(t, feed, 0, 3)), "a reader from the start gets the first kept entry")
		assert.Equal(t, pos[12:], positions(readFeed(t, feed, pos[11], 0)), "positions unchanged")
	})
	t.Run("KeepsWhatABookmarkHasNotReached", func(t *testing.T) {
		require.NoError(t, bm.SetBookmark(ctx, "slow", pos[12]))
		require.NoError(t, bm.SetBookmark(ctx, "fast", pos[14]))
		assert.Equal(t, 3, mustTrim(t, tr, storage.Trim{}), "10 to 12: what both consumers have")
		assert.Zero(t, mustTrim(t, tr, storage.Trim{}))
		assert.Equal(t, pos[13:], positions(readFeed(t, feed, 0, 0)))
	})
	t.Run("UnacknowledgedWhenTold", func(t *testing.T) {
		assert.Equal(t, 2, mustTrim(t, tr, storage.Trim{Unacknowledged: true, UpTo: pos[14]}), "13 and 14, bounded by UpTo")
		assert.Equal(t, pos[15:], positions(readFeed(t, feed, 0, 0)))
	})
	t.Run("InBoundedBatchesAndNeverTheNewest", func(t *testing.T) {
		assert.Equal(t, 2, mustTrim(t, tr, storage.Trim{Unacknowledged: true, Limit: 2}))
		assert.Equal(t, 2, mustTrim(t, tr, storage.Trim{Unacknowledged: true, Limit: 2}))
		assert.Equal(t, 1, mustTrim(t, tr, storage.Trim{Unacknowledged: true, Limit: 2}))
		assert.Zero(t, mustTrim(t, tr, storage.Trim{Unacknowledged: true, Limit: 2}))
		assert.Equal(t, pos[20:], positions(readFeed(t, feed, 0, 0)), "the newest entry stays")
		// So the next position is past every one handed out before.
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{"n": "21"}, at(21)))
		require.NoError(t, err)
		es := readFeed(t, feed, pos[20], 0)
		require.Len(t, es, 1)
		assert.Greater(t, es[0].Position, pos[20])
	})
	t.Run("BadLimit", func(t *testing.T) {
		for _, limit := range []int{-1, storage.MaxTrimBatch + 1} {
			_, err := tr.TrimChanges(ctx, storage.Trim{Limit: limit})
			assert.ErrorIs(t, err, storage.ErrBadQuery, "limit %d", limit)
		}
	})
	t.Run("WhileAConsumerTails", func(t *testing.T) { runTrimWhileTailing(t, newStore) })
}

// runTrimWhileTailing trims in a loop while 8 writers write and a consumer
// reads the feed and saves its position after every page: the consumer
// sees every event, because nothing past its bookmark is trimmed.
func runTrimWhileTailing(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	feed, bm, tr := trimmer(t, s)
	// The consumer's bookmark exists before anything is written or
	// trimmed: a trimmer that ran before it would rightly take entries
	// no consumer had claimed yet.
	require.NoError(t, bm.SetBookmark(ctx, "tail", 0))
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("w%d", w)
			if err := s.Create(ctx, newRecord(id), createEvent()); err != nil {
				t.Error(err)
				return
			}
			for i := 1; i < each; i++ {
				if _, err := s.Update(ctx, userType, id, setDoc(map[string]any{"n": fmt.Sprint(i)}, at(i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	readerDone := make(chan struct{})
	done := make(chan struct{})
	trimmed := 0
	go func() {
		defer close(done)
		for {
			n, err := tr.TrimChanges(ctx, storage.Trim{Limit: 7})
			if err != nil {
				t.Error(err)
				return
			}
			trimmed += n
			if n == 0 {
				select {
				case <-readerDone:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}
	}()
	seen := map[string]uint64{}
	var after uint64
	total := 0
	for total < writers*each {
		es, next, err := feed.Changes(ctx, after, 10)
		require.NoError(t, err)
		for _, e := range es {
			require.Equal(t, seen[e.ID]+1, e.Version, "entry %d of %s: one was lost", e.Position, e.ID)
			seen[e.ID] = e.Version
			total++
		}
		after = next
		require.NoError(t, bm.SetBookmark(ctx, "tail", after))
	}
	close(readerDone)
	<-done
	wg.Wait()
	assert.Equal(t, writers*each, total)
	trimmed += mustTrim(t, tr, storage.Trim{})
	assert.Equal(t, writers*each-1, trimmed, "all the consumer has, but the newest entry")
}
