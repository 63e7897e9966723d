// Package adaptertest holds what the vendor adapters' tests share: a
// settable clock and the stores to run on.
package adaptertest

import (
	"sync"
	"time"
)

// Start is when every adapter test's clock begins.
var Start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Clock is a settable clock for an engine and its adapter, so tests reach
// cooldowns, windows and expiries without sleeping. It is safe for
// concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// NewStepClock returns a clock that starts at t and moves on by step at
// every reading, so each write gets a time of its own.
func NewStepClock(t time.Time, step time.Duration) *Clock { return &Clock{now: t, step: step} }

// Now returns the clock's time, after moving it on by its step.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
