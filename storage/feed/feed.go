// Package feed delivers a store's change feed to a handler at least once,
// keeping the consumer's position in the same store.
//
// It lives beside the storage contracts it consumes (storage.Feed and
// storage.Bookmarks) rather than in the update engine: it needs no rules,
// only the store, and a program that mirrors changes into a search index or
// a queue can use it without an engine.
//
// Delivery is at least once: the position is saved after the handler
// returns nil, so a crash between the two delivers those entries again
// after a restart. Handlers should be idempotent; FeedEntry.Position
// identifies an entry across deliveries.
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// Store is what a Consumer needs of a store. Every backend of this module
// implements it.
type Store interface {
	storage.Feed
	storage.Bookmarks
}

// Handler receives entries in feed order. It returns nil once it has
// dealt with all of them; an error makes the Consumer deliver the same
// entries again after a backoff.
type Handler func(ctx context.Context, entries []storage.FeedEntry) error

// Defaults of the options.
const (
	DefaultBatch      = 100
	DefaultPoll       = 200 * time.Millisecond
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// Consumer delivers the feed to a Handler. Run one Consumer per name at a
// time: two running under one name deliver the same entries twice and
// overwrite each other's position.
type Consumer struct {
	store                  Store
	name                   string
	handle                 Handler
	batch                  int
	poll                   time.Duration
	minBackoff, maxBackoff time.Duration
	log                    *slog.Logger
}

// Option configures New.
type Option func(*Consumer)

// WithBatch sets how many entries at most one Handler call gets: 1 to
// storage.MaxFeedLimit, default DefaultBatch. Other values keep the default.
func WithBatch(n int) Option {
	return func(c *Consumer) {
		if n >= 1 && n <= storage.MaxFeedLimit {
			c.batch = n
		}
	}
}

// WithPoll sets how long the consumer waits before looking again when the
// feed has nothing new; d <= 0 keeps DefaultPoll.
func WithPoll(d time.Duration) Option {
	return func(c *Consumer) {
		if d > 0 {
			c.poll = d
		}
	}
}

// WithBackoff sets the wait after a failed delivery: it starts at min,
// doubles with each further failure up to max, and is jittered (between
// half and all of it). Values <= 0 keep the defaults; max below min is
// raised to min.
func WithBackoff(min, max time.Duration) Option {
	return func(c *Consumer) {
		if min > 0 {
			c.minBackoff = min
		}
		if max > 0 {
			c.maxBackoff = max
		}
		c.maxBackoff = maxDuration(c.maxBackoff, c.minBackoff)
	}
}

// WithLogger logs failed deliveries to l; nil keeps slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *Consumer) {
		if l != nil {
			c.log = l
		}
	}
}

// New returns a consumer that delivers store's feed to h under name (1 to
// 255 bytes), resuming from the position saved under that name.
func New(store Store, name string, h Handler, opts ...Option) (*Consumer, error) {
	if err := storage.CheckCounterName(name); err != nil {
		return nil, fmt.Errorf("feed: consumer name: %w", err)
	}
	if store == nil || h == nil {
		return nil, errors.New("feed: a store and a handler are required")
	}
	c := &Consumer{store: store, name: name, handle: h, batch: DefaultBatch, poll: DefaultPoll,
		minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff, log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Run delivers entries until ctx is done, then returns ctx.Err(). Failures
// of the handler and of the store are logged and retried with backoff;
// Run never gives up on an entry. It saves its position once before the
// first delivery, so that a new consumer is known to Trim (which keeps
// every entry a saved position has not reached) before it has delivered
// anything.
func (c *Consumer) Run(ctx context.Context) error {
	var pos uint64
	for failures := 0; ; {
		var err error
		if pos, err = c.store.Bookmark(ctx, c.name); err == nil {
			if err = c.store.SetBookmark(ctx, c.name, pos); err == nil {
				break
			}
		}
		if !c.wait(ctx, c.backoff(&failures), "read position", err) {
			return ctx.Err()
		}
	}
	failures := 0
	for {
		next, n, err := c.Step(ctx, pos)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if !c.wait(ctx, c.backoff(&failures), "deliver", err) {
				return ctx.Err()
			}
			continue
		}
		failures = 0
		pos = next
		if n == 0 && !c.wait(ctx, c.poll, "", nil) {
			return ctx.Err()
		}
	}
}

// Step delivers the entries after pos (at most one batch) and saves the new
// position. It returns that position and how many entries it delivered.
// Run calls it in a loop; tests and programs that drive delivery
// themselves may call it directly.
func (c *Consumer) Step(ctx context.Context, pos uint64) (uint64, int, error) {
	entries, next, err := c.store.Changes(ctx, pos, c.batch)
	if err != nil || len(entries) == 0 {
		return pos, 0, err
	}
	if err := c.handle(ctx, entries); err != nil {
		return pos, 0, fmt.Errorf("handler: %w", err)
	}
	if err := c.store.SetBookmark(ctx, c.name, next); err != nil {
		// Delivered but not recorded: the entries go out again.
		return pos, 0, fmt.Errorf("save position: %w", err)
	}
	return next, len(entries), nil
}

func (c *Consumer) backoff(failures *int) time.Duration {
	d := c.minBackoff << min(*failures, 30)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	*failures++
	return d/2 + rand.N(d/2+1)
}

// wait sleeps d unless ctx ends first, logging err when there is one.
func (c *Consumer) wait(ctx context.Context, d time.Duration, what string, err error) bool {
	if err != nil {
		c.log.Warn("change feed delivery failed; retrying", "consumer", c.name, "step", what, "retry_in", d, "err", err)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Trim deletes the feed entries t allows (see storage.Trim: by default
// none that a saved position has not reached), one bounded batch of
// storage.FeedTrimmer.TrimChanges at a time, until a batch deletes nothing
// or ctx is done. It returns how many entries it deleted. Each batch is a
// transaction of its own, so writers wait for one batch at most.
func Trim(ctx context.Context, s storage.FeedTrimmer, t storage.Trim) (int, error) {
	total := 0
	for {
		n, err := s.TrimChanges(ctx, t)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
