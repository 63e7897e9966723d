package memory

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Ephemeral = (*Store)(nil)

// ephemeral is the memory store's tokens and quota windows. Its lock is
// its own, so token and quota calls never wait for record commits.
type ephemeral struct {
	mu      sync.Mutex
	tokens  map[tokenID]*storage.Token
	quotas  map[string]quotaEntry
	buckets map[string]bucketEntry
	// byExpiry orders every entry by its expiry, so a purge pops what is
	// due instead of walking the maps. An entry replaced since it was
	// pushed is stale and dropped when popped.
	byExpiry expiryHeap
}

// due is one entry of the expiry heap: a token, a quota or a bucket
// (whichever name is set).
type due struct {
	at     int64
	token  tokenID
	quota  string
	bucket string
}

type expiryHeap []due

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type tokenID struct{ kind, hash string }

type bucketEntry struct {
	s       storage.BucketState
	expires int64
}

type quotaEntry struct {
	w       storage.QuotaWindow
	expires int64
}

// PutToken implements storage.Ephemeral.
func (s *Store) PutToken(ctx context.Context, t storage.Token, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckToken(t); err != nil {
		return err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.canPut(t, now); err != nil {
		return err
	}
	e.put(t)
	return nil
}

// canPut reports ErrExists when a token of t's kind and hash is live at
// now. e.mu must be held.
func (e *ephemeral) canPut(t storage.Token, now time.Time) error {
	if old, ok := e.tokens[tokenID{t.Kind, string(t.Hash)}]; ok && now.Before(old.Expires) {
		return fmt.Errorf("storage/memory: token: %w", storage.ErrExists)
	}
	return nil
}

// put stores a copy of t. e.mu must be held.
func (e *ephemeral) put(t storage.Token) {
	if e.tokens == nil {
		e.tokens = map[tokenID]*storage.Token{}
	}
	id := tokenID{t.Kind, string(t.Hash)}
	t.Hash, t.Data, t.Spent = slices.Clone(t.Hash), slices.Clone(t.Data), false
	e.tokens[id] = &t
	heap.Push(&e.byExpiry, due{at: t.Expires.UnixNano(), token: id})
}

// PutTokenHit implements storage.Ephemeral.
func (s *Store) PutTokenHit(ctx context.Context, t storage.Token, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := storage.CheckToken(t); err != nil {
		return false, err
	}
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.canPut(t, now); err != nil {
		return false, err
	}
	if !e.hit(name, q, now) {
		return false, nil
	}
	e.put(t)
	return true, nil
}

// ConsumeToken implements storage.Ephemeral.
func (s *Store) ConsumeToken(ctx context.Context, kind string, hash []byte, now time.Time) (*storage.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.consume(kind, hash, now)
}

// consume spends the token of kind and hash and returns a copy. e.mu must
// be held.
func (e *ephemeral) consume(kind string, hash []byte, now time.Time) (*storage.Token, error) {
	t, ok := e.tokens[tokenID{kind, string(hash)}]
	switch {
	case !ok:
		return nil, fmt.Errorf("storage/memory: token: %w", storage.ErrNotFound)
	case t.Spent:
		return nil, fmt.Errorf("storage/memory: token: %w", storage.ErrTokenSpent)
	case !now.Before(t.Expires):
		return nil, fmt.Errorf("storage/memory: token: %w", storage.ErrTokenExpired)
	}
	t.Spent = true
	out := *t
	out.Hash, out.Data = slices.Clone(t.Hash), slices.Clone(t.Data)
	return &out, nil
}

// ConsumeTokenPut implements storage.Ephemeral.
func (s *Store) ConsumeTokenPut(ctx context.Context, kind string, hash []byte, put storage.Token, now time.Time) (*storage.Token, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := storage.CheckTokenPut(kind, hash, put); err != nil {
		return nil, false, err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.consume(kind, hash, now)
	if err != nil {
		return nil, false, err
	}
	if e.canPut(put, now) != nil {
		return t, false, nil
	}
	e.put(put)
	return t, true, nil
}

// Hit implements storage.Ephemeral.
func (s *Store) Hit(ctx context.Context, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hit(name, q, now), nil
}

// hit counts a call against the quota name if it is allowed. e.mu must be
// held.
func (e *ephemeral) hit(name string, q storage.Quota, now time.Time) bool {
	if e.quotas == nil {
		e.quotas = map[string]quotaEntry{}
	}
	next, ok := q.Step(e.quotas[name].w, now)
	if ok {
		old, had := e.quotas[name]
		exp := q.Expires(next.Start)
		e.quotas[name] = quotaEntry{w: next, expires: exp}
		if !had || old.expires != exp {
			heap.Push(&e.byExpiry, due{at: exp, quota: name})
		}
	}
	return ok
}

// Take implements storage.Ephemeral.
func (s *Store) Take(ctx context.Context, name string, b storage.Bucket, now time.Time) (bool, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	if err := storage.CheckBucket(name, b); err != nil {
		return false, 0, err
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	old, had := e.buckets[name]
	next, ok, wait := b.Step(old.s, had, now)
	if !ok {
		return false, wait, nil
	}
	if e.buckets == nil {
		e.buckets = map[string]bucketEntry{}
	}
	exp := b.Expires(next)
	e.buckets[name] = bucketEntry{s: next, expires: exp}
	if !had {
		// One heap entry per bucket: a take moves the expiry later,
		// and the purge pushes the entry again when it finds that.
		heap.Push(&e.byExpiry, due{at: exp, bucket: name})
	}
	return true, 0, nil
}

// PurgeExpired implements storage.Ephemeral. It pops the entries due by
// now off a heap ordered by expiry.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time, max int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if max <= 0 {
		return 0, fmt.Errorf("%w: purge batch must be positive", storage.ErrInvalid)
	}
	e := &s.eph
	e.mu.Lock()
	defer e.mu.Unlock()
	n, at := 0, now.UnixNano()
	for n < max && e.byExpiry.Len() > 0 && e.byExpiry[0].at <= at {
		d := heap.Pop(&e.byExpiry).(due)
		if d.bucket != "" {
			switch b, ok := e.buckets[d.bucket]; {
			case !ok:
			case b.expires <= at:
				delete(e.buckets, d.bucket)
				n++
			default:
				heap.Push(&e.byExpiry, due{at: b.expires, bucket: d.bucket})
			}
			continue
		}
		if d.quota != "" {
			if q, ok := e.quotas[d.quota]; ok && q.expires == d.at {
				delete(e.quotas, d.quota)
				n++
			}
			continue
		}
		if t, ok := e.tokens[d.token]; ok && t.Expires.UnixNano() == d.at {
			delete(e.tokens, d.token)
			n++
		}
	}
	return n, nil
}

var _ storage.Spender = (*Store)(nil)

// UpdateSpend implements storage.Spender: the spend, then the update. The
// memory store has no transaction to share, and needs none: the spend
// stands whatever becomes of the update.
func (s *Store) UpdateSpend(ctx context.Context, typ, id string, sp storage.Spend, fn storage.Updater) (*storage.Record, error) {
	return storage.SpendThenUpdate(ctx, s, typ, id, sp, fn)
}
