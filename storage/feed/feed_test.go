package feed_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/feed"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/sqlite"
)

type testStore interface {
	storage.Store
	feed.Store
}

func create(t *testing.T, s storage.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		rec := &storage.Record{Type: "user", ID: fmt.Sprintf("u%04d", i), State: storage.Active, Doc: map[string]any{"n": i}}
		require.NoError(t, s.Create(context.Background(), rec, storage.Event{Time: time.Now(), Kind: "create"}))
	}
}

// collector is a handler that fails its first calls and records the
// positions it accepted.
type collector struct {
	mu    sync.Mutex
	fails int
	got   []uint64
}

func (c *collector) handle(_ context.Context, es []storage.FeedEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fails > 0 {
		c.fails--
		return errors.New("receiver down")
	}
	for _, e := range es {
		c.got = append(c.got, e.Position)
	}
	return nil
}

// runUntil runs a consumer until the collector holds n entries.
func runUntil(t *testing.T, s feed.Store, c *collector, n int) {
	t.Helper()
	cons, err := feed.New(s, "mirror", c.handle, feed.WithBatch(7), feed.WithPoll(2*time.Millisecond),
		feed.WithBackoff(time.Millisecond, 4*time.Millisecond))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cons.Run(ctx) }()
	// Delivered is not yet recorded: stop only once the consumer has saved
	// the position of the last entry it delivered, or a restart would
	// rightly deliver that batch again.
	require.Eventually(t, func() bool {
		c.mu.Lock()
		last := uint64(0)
		if len(c.got) >= n {
			last = c.got[len(c.got)-1]
		}
		c.mu.Unlock()
		pos, err := s.Bookmark(context.Background(), "mirror")
		return last > 0 && err == nil && pos == last
	}, 10*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestConsumer(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) testStore{
		"memory": func(t *testing.T) testStore { s := memory.New(); t.Cleanup(func() { _ = s.Close() }); return s },
		"sqlite": func(t *testing.T) testStore {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "feed.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			create(t, s, 0, 50)
			c := &collector{fails: 3}
			runUntil(t, s, c, 50)
			for i, p := range c.got {
				assert.Equal(t, uint64(i+1), p, "entry %d delivered in order, once", i)
			}
			pos, err := s.Bookmark(context.Background(), "mirror")
			require.NoError(t, err)
			assert.Equal(t, uint64(50), pos)

			// A restarted consumer resumes after the saved position.
			create(t, s, 50, 60)
			again := &collector{}
			runUntil(t, s, again, 10)
			assert.Equal(t, uint64(51), again.got[0])
			assert.Len(t, again.got, 10)
		})
	}
}

func TestNewRefuses(t *testing.T) {
	s := memory.New()
	_, err := feed.New(s, "", func(context.Context, []storage.FeedEntry) error { return nil })
	assert.ErrorIs(t, err, storage.ErrInvalid)
	_, err = feed.New(s, "x", nil)
	assert.Error(t, err)
}

// TestTrim: a consumer registers its position when it starts, so Trim
// keeps what it has not delivered, even before its first delivery; once it
// has delivered everything, Trim deletes all but the newest entry, batch
// by batch.
func TestTrim(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "feed.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	create(t, s, 0, 30)

	down := &collector{fails: 1 << 30}
	cons, err := feed.New(s, "mirror", down.handle, feed.WithBackoff(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cons.Run(runCtx) }()
	require.Eventually(t, func() bool {
		down.mu.Lock()
		defer down.mu.Unlock()
		return down.fails < 1<<30-2
	}, 10*time.Second, time.Millisecond, "the consumer is failing to deliver")
	n, err := feed.Trim(ctx, s, storage.Trim{Limit: 4})
	require.NoError(t, err)
	assert.Zero(t, n, "nothing the new consumer has yet to deliver")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	runUntil(t, s, &collector{}, 30)
	n, err = feed.Trim(ctx, s, storage.Trim{Limit: 4})
	require.NoError(t, err)
	assert.Equal(t, 29, n, "all but the newest entry")
	es, _, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, uint64(30), es[0].Position)
}
