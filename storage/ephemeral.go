package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Ephemeral is implemented by stores that keep short-lived state shared by
// every process using the store: single-use tokens, quota windows and
// token buckets. Every backend of this module implements it; detect it with a type
// assertion. Several server processes on one PostgreSQL database share
// this state exactly as they share records, so a token issued by one
// process can be consumed by another, and a quota counts the calls made
// on all of them.
//
// A store never sees a token itself, only its hash (Token.Hash); what
// the hash is (SHA-256, or a keyed hash) is the caller's choice.
//
// Expired state is not removed by reads or writes; PurgeExpired removes it
// in bounded batches, through an index on the expiry, so no call on a
// request path scans the whole table. Callers purge occasionally (see
// Sweeper).
type Ephemeral interface {
	// PutToken stores t. Returns ErrExists when a token of the same Kind
	// and Hash is stored and not expired at now; an expired one is
	// replaced. Returns an error matching ErrInvalid when t fails
	// CheckToken, and writes nothing then.
	PutToken(ctx context.Context, t Token, now time.Time) error

	// ConsumeToken spends the token of kind with hash and returns it. It
	// checks and spends in one atomic step: of any number of concurrent
	// calls, from any number of processes, at most one succeeds. A spent
	// token is remembered until it expires.
	// Returns ErrNotFound (never stored, or purged), ErrTokenSpent or
	// ErrTokenExpired (at now).
	ConsumeToken(ctx context.Context, kind string, hash []byte, now time.Time) (*Token, error)

	// ConsumeTokenPut is ConsumeToken and, only when it succeeds,
	// PutToken(put), as one atomic step: spending one token and claiming
	// another, such as a token and the verifier it was redeemed with,
	// costs one store call. It returns the consumed token and whether put
	// was stored; false means a live token of put's Kind and Hash exists
	// (PutToken's ErrExists), and the consumed token stays spent. When the
	// consume fails, put is not stored. Returns an error matching
	// ErrInvalid, having changed nothing, when put fails CheckToken or has
	// the consumed token's Kind and Hash.
	ConsumeTokenPut(ctx context.Context, kind string, hash []byte, put Token, now time.Time) (*Token, bool, error)

	// Hit counts one call against the quota named name and reports
	// whether it is allowed. Counting and checking are one atomic step
	// across processes; a refused call is not counted, so a client that
	// keeps calling beyond its quota does not push its own window further.
	// See Quota for how calls are counted. Returns an error matching
	// ErrInvalid when name or q is not acceptable (CheckQuota).
	Hit(ctx context.Context, name string, q Quota, now time.Time) (bool, error)

	// PutTokenHit is Hit and, when the call is allowed, PutToken, as one
	// atomic step: a token issued under a quota costs one store call. A
	// refused call stores nothing and is not counted (false, nil). When
	// PutToken would fail (ErrExists, ErrInvalid) the call is not counted
	// either and nothing is stored.
	PutTokenHit(ctx context.Context, t Token, name string, q Quota, now time.Time) (bool, error)

	// Take takes one token from the token bucket named name and reports
	// whether it got one. Taking and checking are one atomic step across
	// processes; a refused take takes nothing, so a client that keeps
	// calling on an empty bucket does not delay its own refill. See Bucket
	// for how the bucket fills. When refused, wait is how long until the
	// bucket holds a token again, as the store saw it (a hint, at least
	// one nanosecond); when allowed it is zero. Returns an error matching
	// ErrInvalid when name or b is not acceptable (CheckBucket), having
	// changed nothing.
	Take(ctx context.Context, name string, b Bucket, now time.Time) (ok bool, wait time.Duration, err error)

	// PurgeExpired deletes at most max tokens, quota windows and buckets
	// that are expired at now and returns how many it deleted. max must
	// be positive. A bucket expires once it would be full again: purging
	// it changes no answer of Take.
	PurgeExpired(ctx context.Context, now time.Time, max int) (int, error)
}

// CheckTokenPut checks the arguments of Ephemeral.ConsumeTokenPut: put
// must pass CheckToken and be another token than the one consumed.
func CheckTokenPut(kind string, hash []byte, put Token) error {
	if err := CheckToken(put); err != nil {
		return err
	}
	if put.Kind == kind && string(put.Hash) == string(hash) {
		return fmt.Errorf("%w: a token cannot be consumed and put in one step", ErrInvalid)
	}
	return nil
}

// Sentinel errors of ConsumeToken. Compare with errors.Is.
var (
	ErrTokenSpent   = errors.New("storage: token already used")
	ErrTokenExpired = errors.New("storage: token expired")
)

// Token is one single-use secret, kept by its hash only.
type Token struct {
	// Kind namespaces tokens ("druid.token", "druid.verifier"): 1 to
	// MaxTokenKind bytes of printable ASCII without spaces.
	Kind string
	// Hash identifies the token: MinTokenHash to MaxTokenHash bytes, such
	// as the SHA-256 of a random token. The token itself is never stored.
	Hash []byte
	// Data is what the caller keeps with the token, opaque to the store,
	// at most MaxTokenData bytes.
	Data []byte
	// Expires is when the token stops being accepted; from then on it
	// may be purged.
	Expires time.Time
	// Spent reports whether the token has been consumed. PutToken ignores
	// it: a stored token starts unspent.
	Spent bool
}

// Bounds of Token and Quota.
const (
	MaxTokenKind  = 64
	MinTokenHash  = 16
	MaxTokenHash  = 64
	MaxTokenData  = 4096
	MaxQuotaName  = 255
	MinQuotaLimit = 1
	MaxQuotaLimit = 1 << 30
	MinWindow     = time.Millisecond
	MaxWindow     = 366 * 24 * time.Hour
)

// CheckToken reports whether t can be stored, with an error matching
// ErrInvalid if not.
func CheckToken(t Token) error {
	if err := checkTokenKind(t.Kind); err != nil {
		return err
	}
	if len(t.Hash) < MinTokenHash || len(t.Hash) > MaxTokenHash {
		return fmt.Errorf("%w: token hash must be %d to %d bytes, is %d", ErrInvalid, MinTokenHash, MaxTokenHash, len(t.Hash))
	}
	if len(t.Data) > MaxTokenData {
		return fmt.Errorf("%w: token data is %d bytes, at most %d", ErrInvalid, len(t.Data), MaxTokenData)
	}
	if t.Expires.IsZero() {
		return fmt.Errorf("%w: token without an expiry", ErrInvalid)
	}
	return nil
}

func checkTokenKind(kind string) error {
	if kind == "" || len(kind) > MaxTokenKind {
		return fmt.Errorf("%w: token kind must be 1 to %d bytes", ErrInvalid, MaxTokenKind)
	}
	for i := 0; i < len(kind); i++ {
		if kind[i] < 0x21 || kind[i] > 0x7e {
			return fmt.Errorf("%w: token kind %q must be printable ASCII without spaces", ErrInvalid, kind)
		}
	}
	return nil
}

// ValidTokenKey reports whether kind and hash could name a stored token;
// a backend answers ErrNotFound for any other without asking its tables.
func ValidTokenKey(kind string, hash []byte) bool {
	return checkTokenKind(kind) == nil && len(hash) >= MinTokenHash && len(hash) <= MaxTokenHash
}

// Quota bounds how many calls may be made in a sliding window of time.
//
// Calls are counted in fixed windows of length Window aligned to the Unix
// epoch; the count of the sliding window ending at now is estimated as the
// calls of the current fixed window plus those of the previous one weighted
// by how much of it the sliding window still covers. A call is allowed when
// that estimate plus the call itself is at most Limit. The estimate is
// exact for evenly spread calls and never lets through more than 2×Limit
// in any span of Window, where a fixed window alone would let a burst at
// each side of a boundary through.
type Quota struct {
	Limit  int
	Window time.Duration
}

// CheckQuota reports whether name and q are acceptable to Hit, with an
// error matching ErrInvalid if not.
func CheckQuota(name string, q Quota) error {
	if name == "" || len(name) > MaxQuotaName {
		return fmt.Errorf("%w: quota name must be 1 to %d bytes", ErrInvalid, MaxQuotaName)
	}
	if q.Limit < MinQuotaLimit || q.Limit > MaxQuotaLimit {
		return fmt.Errorf("%w: quota limit must be %d to %d, is %d", ErrInvalid, MinQuotaLimit, MaxQuotaLimit, q.Limit)
	}
	if q.Window < MinWindow || q.Window > MaxWindow {
		return fmt.Errorf("%w: quota window must be %s to %s, is %s", ErrInvalid, MinWindow, MaxWindow, q.Window)
	}
	return nil
}

// QuotaWindow is the state of one quota: the start of its current fixed
// window (Unix nanoseconds) and the calls counted in it and in the window
// before.
type QuotaWindow struct {
	Start      int64
	Prev, Curr int64
}

// Step is the quota arithmetic every backend shares: given the stored
// window w (zero when none is stored), it returns the window to store after
// a call at now, whether the call is allowed, and the previous window's
// weight. When the call is refused, next is w unchanged. A stored window
// that starts after now's (another process's clock runs ahead) counts as
// the current one, so clock skew between processes never resets a quota.
func (q Quota) Step(w QuotaWindow, now time.Time) (next QuotaWindow, allowed bool) {
	start, weight := q.Bounds(now)
	prev, curr := q.Roll(w, start)
	if float64(prev)*weight+float64(curr)+1 > float64(q.Limit) {
		return w, false
	}
	return QuotaWindow{Start: max(start, w.Start), Prev: prev, Curr: curr + 1}, true
}

// Bounds returns the start of the fixed window holding now (Unix
// nanoseconds) and the weight of the previous window's calls at now.
func (q Quota) Bounds(now time.Time) (start int64, weight float64) {
	n, win := now.UnixNano(), int64(q.Window)
	start = n - n%win
	return start, 1 - float64(n-start)/float64(win)
}

// Roll returns the calls of w's previous and current windows as seen from
// a current window starting at start.
func (q Quota) Roll(w QuotaWindow, start int64) (prev, curr int64) {
	switch {
	case w.Start >= start:
		return w.Prev, w.Curr
	case w.Start == start-int64(q.Window):
		return w.Curr, 0
	}
	return 0, 0
}

// Expires is when a window starting at start stops mattering: once its
// next window is over, its calls weigh nothing.
func (q Quota) Expires(start int64) int64 { return start + 2*int64(q.Window) }

// Bucket is a token bucket: it holds at most Burst tokens, starts full,
// and gains Rate tokens a second, continuously, up to Burst. Each call
// allowed takes one token; a call finding less than one is refused. Over
// any span of time t, at most Burst + Rate×t calls are allowed, and a
// client calling no faster than Rate is never refused.
//
// A bucket's state is its tokens and the time they were counted. A
// stored time after now (another process's clock runs ahead) adds no
// tokens and is kept, so clock skew between processes never fills a
// bucket early.
type Bucket struct {
	Rate  float64 // tokens gained per second
	Burst int     // tokens held at most, and at the start
}

// Bounds of Bucket. Burst/Rate, the time an empty bucket takes to fill,
// is at most MaxWindow.
const (
	MaxBucketName  = MaxQuotaName
	MinBucketRate  = 1e-6
	MaxBucketRate  = 1e9
	MinBucketBurst = 1
	MaxBucketBurst = 1 << 30
)

// BucketSlack absorbs the rounding of refills summed in many steps, so a
// bucket refilled to 0.9999999999 by floating point holds a token: every
// backend counts tokens ≥ 1 - BucketSlack as one.
const BucketSlack = 1e-9

// CheckBucket reports whether name and b are acceptable to Take, with an
// error matching ErrInvalid if not.
func CheckBucket(name string, b Bucket) error {
	if name == "" || len(name) > MaxBucketName {
		return fmt.Errorf("%w: bucket name must be 1 to %d bytes", ErrInvalid, MaxBucketName)
	}
	// Written so that NaN fails.
	if !(b.Rate >= MinBucketRate && b.Rate <= MaxBucketRate) {
		return fmt.Errorf("%w: bucket rate must be %g to %g tokens a second, is %g", ErrInvalid, float64(MinBucketRate), float64(MaxBucketRate), b.Rate)
	}
	if b.Burst < MinBucketBurst || b.Burst > MaxBucketBurst {
		return fmt.Errorf("%w: bucket burst must be %d to %d, is %d", ErrInvalid, MinBucketBurst, MaxBucketBurst, b.Burst)
	}
	if fill := float64(b.Burst) / b.Rate; fill > MaxWindow.Seconds() {
		return fmt.Errorf("%w: a bucket of burst %d at %g a second takes %.0fs to fill, at most %s", ErrInvalid, b.Burst, b.Rate, fill, MaxWindow)
	}
	return nil
}

// BucketState is the stored state of one bucket: its tokens as counted
// at At (Unix nanoseconds).
type BucketState struct {
	Tokens float64
	At     int64
}

// Step is the bucket arithmetic every backend shares: given the stored
// state s (found false when none is stored: a full bucket), it returns
// the state to store after a take at now, whether the take is allowed,
// and, when refused, how long until a token is due. A refused take
// returns s unchanged. PostgreSQL computes the same in SQL.
func (b Bucket) Step(s BucketState, found bool, now time.Time) (next BucketState, ok bool, wait time.Duration) {
	n := now.UnixNano()
	if !found {
		s = BucketState{Tokens: float64(b.Burst), At: n}
	}
	tokens := b.Refill(s, n)
	if tokens < 1-BucketSlack {
		return s, false, b.Wait(tokens)
	}
	return BucketState{Tokens: max(tokens-1, 0), At: max(s.At, n)}, true, 0
}

// Refill returns the tokens of s at n (Unix nanoseconds).
func (b Bucket) Refill(s BucketState, n int64) float64 {
	elapsed := max(n-s.At, 0)
	return min(float64(b.Burst), s.Tokens+float64(elapsed)*b.Rate/1e9)
}

// Wait returns how long a bucket holding tokens takes to hold one: at
// least one nanosecond.
func (b Bucket) Wait(tokens float64) time.Duration {
	return max(time.Duration(math.Ceil((1-tokens)*1e9/b.Rate)), 1)
}

// Expires is when a bucket in state s is full again (Unix nanoseconds):
// from then on a missing bucket answers as it would, and it may be
// purged.
func (b Bucket) Expires(s BucketState) int64 {
	return s.At + int64(math.Ceil((float64(b.Burst)-s.Tokens)*1e9/b.Rate))
}

// Defaults of Sweeper.
const (
	DefaultSweepEvery = 64
	DefaultSweepBatch = 256
)

// Sweeper purges the expired state of an Ephemeral store a bounded batch
// at a time: every Every-th call of Tick deletes at most Batch expired
// entries. Put a Tick beside each call that adds state (a token issued, a
// quota hit) and the store deletes expired entries at least as fast as it
// gains them (Batch > Every), each purge an indexed delete of bounded size
// on the request path instead of a periodic scan. Zero fields take the
// defaults. A Sweeper is safe for concurrent use.
type Sweeper struct {
	Store Ephemeral
	Every uint64
	Batch int

	calls atomic.Uint64
}

// Tick counts one call and, on every Every-th, purges one batch. It
// returns the purge's error, which costs the caller nothing it asked for:
// the entries stay until a later purge.
func (s *Sweeper) Tick(ctx context.Context, now time.Time) error {
	every, batch := s.Every, s.Batch
	if every == 0 {
		every = DefaultSweepEvery
	}
	if batch <= 0 {
		batch = DefaultSweepBatch
	}
	if s.calls.Add(1)%every != 0 {
		return nil
	}
	_, err := s.Store.PurgeExpired(ctx, now, batch)
	return err
}
