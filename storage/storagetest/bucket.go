package storagetest

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// runBuckets checks Ephemeral.Take: a bucket's burst, its refill over
// time (every time given, never slept), refused takes taking nothing,
// concurrent takes and the refusal of bad input.
func runBuckets(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	b := storage.Bucket{Rate: 1, Burst: 3}
	ms := func(n int) time.Time { return w0.Add(time.Duration(n) * time.Millisecond) }
	// takes makes n takes at now and returns how many were allowed and
	// the wait of the last refused one.
	takes := func(name string, b storage.Bucket, now time.Time, n int) (allowed int, wait time.Duration) {
		t.Helper()
		for range n {
			ok, w, err := e.Take(ctx, name, b, now)
			require.NoError(t, err)
			if ok {
				assert.Zero(t, w, "an allowed take waits for nothing")
				allowed++
				continue
			}
			assert.Positive(t, w, "a refused take says how long to wait")
			wait = w
		}
		return allowed, wait
	}

	t.Run("BurstThenRefusal", func(t *testing.T) {
		n, wait := takes("burst", b, ms(0), 5)
		assert.Equal(t, 3, n, "a new bucket is full")
		assert.Equal(t, time.Second, wait, "an empty bucket at 1/s gains a token in 1s")
		n, _ = takes("burst-other", b, ms(0), 4)
		assert.Equal(t, 3, n, "names fill apart")
	})
	t.Run("Refill", func(t *testing.T) {
		takes("refill", b, ms(0), 3)
		n, wait := takes("refill", b, ms(500), 1)
		assert.Equal(t, 0, n)
		assert.Equal(t, 500*time.Millisecond, wait, "half a token is there")
		n, _ = takes("refill", b, ms(1000), 2)
		assert.Equal(t, 1, n, "one token a second")
		n, _ = takes("refill", b, ms(3500), 3)
		assert.Equal(t, 2, n, "2.5 seconds later: 2.5 tokens")
		n, _ = takes("refill", b, ms(60_000), 10)
		assert.Equal(t, 3, n, "a bucket holds at most its burst")
	})
	t.Run("RefusedTakesTakeNothing", func(t *testing.T) {
		takes("refused", b, ms(0), 3)
		for i := 1; i < 10; i++ {
			n, _ := takes("refused", b, ms(i*99), 20)
			require.Equal(t, 0, n)
		}
		n, wait := takes("refused", b, ms(1000), 3)
		assert.Equal(t, 1, n, "200 refused takes left the refill alone")
		assert.Equal(t, time.Second, wait)
	})
	t.Run("SkewedClocks", func(t *testing.T) {
		// A process whose clock is ahead emptied the bucket; one behind
		// gains nothing from its earlier time, and no token comes before
		// the later clock's second has passed.
		takes("skew", b, ms(10_000), 3)
		n, _ := takes("skew", b, ms(5_000), 2)
		assert.Equal(t, 0, n)
		n, _ = takes("skew", b, ms(10_999), 1)
		assert.Equal(t, 0, n)
		n, _ = takes("skew", b, ms(11_000), 2)
		assert.Equal(t, 1, n)
	})
	t.Run("WaitIsEnough", func(t *testing.T) {
		// At rates whose tokens are no whole number of nanoseconds, a
		// client waiting what a refusal says is then allowed, and gets no
		// more than the rate over a long run.
		for _, b := range []storage.Bucket{{Rate: 3, Burst: 1}, {Rate: 0.7, Burst: 2}, {Rate: 1e6 / 7, Burst: 5}} {
			name := "wait-" + strings.ReplaceAll(time.Duration(1e9/b.Rate).String(), ".", "_")
			now := ms(0)
			n, _ := takes(name, b, now, b.Burst)
			require.Equal(t, b.Burst, n)
			allowed := 0
			for range 200 {
				ok, wait, err := e.Take(ctx, name, b, now)
				require.NoError(t, err)
				require.False(t, ok, "%v: allowed before its wait", b)
				now = now.Add(wait)
				ok, _, err = e.Take(ctx, name, b, now)
				require.NoError(t, err)
				require.True(t, ok, "%v: refused after waiting %s", b, wait)
				allowed++
			}
			want := now.Sub(ms(0)).Seconds() * b.Rate
			assert.InDelta(t, want, float64(allowed), 1, "%v: %d tokens in %s", b, allowed, now.Sub(ms(0)))
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		big := storage.Bucket{Rate: 0.001, Burst: 10}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := e.Take(ctx, "concurrent", big, w0)
				assert.NoError(t, err)
				if ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(10), allowed.Load(), "exactly the burst is taken")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		takes("invalid", b, ms(0), 1)
		for name, tc := range map[string]struct {
			name string
			b    storage.Bucket
		}{
			"no name":       {"", b},
			"long name":     {strings.Repeat("n", storage.MaxBucketName+1), b},
			"zero rate":     {"invalid", storage.Bucket{Rate: 0, Burst: 1}},
			"negative rate": {"invalid", storage.Bucket{Rate: -1, Burst: 1}},
			"NaN rate":      {"invalid", storage.Bucket{Rate: math.NaN(), Burst: 1}},
			"infinite rate": {"invalid", storage.Bucket{Rate: math.Inf(1), Burst: 1}},
			"huge rate":     {"invalid", storage.Bucket{Rate: storage.MaxBucketRate * 2, Burst: 1}},
			"zero burst":    {"invalid", storage.Bucket{Rate: 1, Burst: 0}},
			"huge burst":    {"invalid", storage.Bucket{Rate: 1e6, Burst: storage.MaxBucketBurst + 1}},
			"slow fill":     {"invalid", storage.Bucket{Rate: storage.MinBucketRate, Burst: 1000}},
		} {
			t.Run(name, func(t *testing.T) {
				ok, wait, err := e.Take(ctx, tc.name, tc.b, ms(0))
				assert.ErrorIs(t, err, storage.ErrInvalid)
				assert.False(t, ok)
				assert.Zero(t, wait)
			})
		}
		n, _ := takes("invalid", b, ms(0), 3)
		assert.Equal(t, 2, n, "refused input took nothing")
	})
}

// runBucketPurge checks that a bucket expires once it is full again, and
// that a purge changes no answer of Take.
func runBucketPurge(t *testing.T, e storage.Ephemeral) {
	ctx := context.Background()
	b := storage.Bucket{Rate: 1, Burst: 2}
	ms := func(n int) time.Time { return w0.Add(time.Duration(n) * time.Millisecond) }
	take := func(name string, now time.Time) bool {
		t.Helper()
		ok, _, err := e.Take(ctx, name, b, now)
		require.NoError(t, err)
		return ok
	}
	purge := func(now time.Time) int {
		t.Helper()
		n, err := e.PurgeExpired(ctx, now, 10)
		require.NoError(t, err)
		return n
	}
	require.True(t, take("p1", ms(0))) // full again at 1s
	require.True(t, take("p2", ms(0)))
	require.True(t, take("p2", ms(0))) // full again at 2s
	assert.Equal(t, 0, purge(ms(999)))
	assert.Equal(t, 1, purge(ms(1000)), "p1 is full again")
	require.True(t, take("p2", ms(1000))) // empty at 1s: full again at 3s
	assert.False(t, take("p2", ms(1000)))
	assert.Equal(t, 0, purge(ms(2000)), "p2's take moved its expiry")
	assert.False(t, take("p2", ms(1999)), "the purge left p2 alone")
	assert.Equal(t, 1, purge(ms(3000)))
	assert.Equal(t, 0, purge(ms(60_000)))
	for _, name := range []string{"p1", "p2"} {
		assert.True(t, take(name, ms(3000)))
		assert.True(t, take(name, ms(3000)))
		assert.False(t, take(name, ms(3000)), "a purged bucket starts full, as it was")
	}
}
