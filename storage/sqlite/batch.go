package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// Defaults of the group-commit options.
const (
	// DefaultMaxBatch is how many writes one transaction may carry unless
	// WithMaxBatch says otherwise.
	DefaultMaxBatch = 64
	// DefaultBatchWait is how long a batch may wait for more writers unless
	// WithBatchWait says otherwise: not at all.
	DefaultBatchWait = time.Duration(0)
)

// WithMaxBatch bounds group commit: at most n writes (Create, Update,
// Delete) share one transaction and its one sync to disk. The default is
// DefaultMaxBatch; n < 1 is treated as 1, which gives every write a
// transaction of its own.
func WithMaxBatch(n int) Option {
	return func(c *config) { c.maxBatch = max(n, 1) }
}

// WithBatchWait lets a batch wait up to d for writers to join before it
// begins. A batch waits only while it is smaller than the batch before it,
// so it waits only when writers were recently arriving together and never
// when one writer works alone. Without a wait (the default, and for
// d <= 0) a batch carries the writes that arrived while the previous one
// committed, which already gathers concurrent writers; a wait can gather
// more per sync at the price of up to d of latency, and keeps the disk idle
// meanwhile. Measure before setting it: in this package's benchmarks, eight
// writers at synchronous=FULL put 4.6 writes in a transaction without a
// wait and 7.4 with 200µs, for no more updates a second, and a wait of 1ms
// cut the updates a second to about a third.
func WithBatchWait(d time.Duration) Option {
	return func(c *config) { c.batchWait = max(d, 0) }
}

// writeFunc does one write inside a transaction. Its statements run on
// the writer connection, never under the caller's context: a statement
// interrupted by a cancelled context would roll back the whole batch's
// transaction.
type writeFunc func(tx *wtx) error

// batcher is group commit. A writer that finds no batch in flight becomes
// the leader and runs a batch at once: itself plus whoever queued behind
// it. Writers that arrive while a batch runs queue; when the batch is
// committed, the leader promotes the first queued writer, which leads the
// next batch, and answers its members. The writer connection is used by one
// leader at a time, so the write lock SQLite takes with BEGIN IMMEDIATE is
// never contended inside the process.
type batcher struct {
	w        *writerConn
	cache    *txCache
	maxBatch int
	wait     time.Duration

	mu      sync.Mutex
	busy    bool          // a leader exists, running or about to run a batch
	queue   []*writeReq   // writers waiting for the next batch, oldest first
	arrived chan struct{} // poked when a writer queues while a leader waits for one
	waiting bool          // a leader is waiting for writers (guards arrived)
	last    int           // size of the previous batch

	// Counters for tests: transactions committed or rolled back, and the
	// writes they carried.
	batches, writes atomic.Uint64
}

func newBatcher(w *writerConn, maxBatch int, wait time.Duration) *batcher {
	return &batcher{w: w, maxBatch: max(maxBatch, 1), wait: wait, arrived: make(chan struct{}, 1),
		cache: newTxCache(newRecordCache(recordCacheSize))}
}

// reqState is where a queued writer stands; guarded by batcher.mu.
type reqState int

const (
	queued  reqState = iota // waiting in the queue
	leading                 // promoted: runs the next batch
	taken                   // a member of a batch being run
)

// writeReq is one writer's write and, once answered, its outcome.
type writeReq struct {
	ctx   context.Context
	fn    writeFunc
	state reqState
	// ready is closed when the writer is answered or promoted.
	ready chan struct{}

	// Outcome, written by the leader before ready is closed.
	err      error
	panicked bool
	panicVal any
	// dirty says the write ran after another member's write in the same
	// transaction, so what it read may never be committed.
	dirty bool
}

// errPanicked stands in for the error of a write whose function panicked;
// the panic itself is raised again in the writer's goroutine.
var errPanicked = errors.New("storage/sqlite: write function panicked")

// do runs fn in a write transaction, possibly shared with other writers, and
// returns once the transaction is durable (or failed). fn's error rolls back
// fn's work only. If ctx ends before fn's work joins the transaction, do
// returns ctx.Err() and nothing of fn is written.
func (b *batcher) do(ctx context.Context, fn writeFunc) error {
	r := &writeReq{ctx: ctx, fn: fn}
	b.mu.Lock()
	if !b.busy {
		b.busy = true
		r.state = leading
		b.mu.Unlock()
	} else {
		r.ready = make(chan struct{})
		b.queue = append(b.queue, r)
		if b.waiting {
			select {
			case b.arrived <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
		if err := b.await(r); err != nil {
			return err
		}
	}
	if r.state == leading {
		b.lead(r)
	}
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// await waits until r is answered or promoted. If r's context ends first
// and r has not joined a batch, r leaves (passing on the lead if it had
// been given it) and await returns the context's error.
func (b *batcher) await(r *writeReq) error {
	select {
	case <-r.ready:
		return nil
	case <-r.ctx.Done():
	}
	b.mu.Lock()
	switch r.state {
	case queued:
		b.queue = remove(b.queue, r)
		b.mu.Unlock()
		return r.ctx.Err()
	case leading:
		b.promoteLocked()
		b.mu.Unlock()
		return r.ctx.Err()
	}
	b.mu.Unlock()
	<-r.ready
	return nil
}

func remove(q []*writeReq, r *writeReq) []*writeReq {
	for i, x := range q {
		if x == r {
			copy(q[i:], q[i+1:])
			q[len(q)-1] = nil
			return q[:len(q)-1]
		}
	}
	return q
}

// promoteLocked passes the lead to the oldest queued writer, or records
// that no batch is in flight. b.mu must be held.
func (b *batcher) promoteLocked() {
	if len(b.queue) == 0 {
		b.busy = false
		return
	}
	next := b.queue[0]
	b.queue = remove(b.queue, next)
	next.state = leading
	close(next.ready)
}

// lead runs one batch that starts with self, passes the lead on and answers
// the other members.
func (b *batcher) lead(self *writeReq) {
	batch := b.collect(self)
	b.run(batch)
	b.mu.Lock()
	b.promoteLocked()
	b.mu.Unlock()
	for _, r := range batch[1:] {
		close(r.ready)
	}
}

// collect takes self and the queued writers, up to maxBatch, waiting up to
// b.wait for more while the batch is smaller than the one before it.
func (b *batcher) collect(self *writeReq) []*writeReq {
	batch := []*writeReq{self}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.take(&batch)
	if b.wait > 0 && len(batch) < min(b.last, b.maxBatch) {
		deadline := time.NewTimer(b.wait)
		defer deadline.Stop()
		for len(batch) < min(b.last, b.maxBatch) {
			b.waiting = true
			b.mu.Unlock()
			timedOut := false
			select {
			case <-b.arrived:
			case <-deadline.C:
				timedOut = true
			}
			b.mu.Lock()
			b.waiting = false
			b.take(&batch)
			if timedOut {
				break
			}
		}
	}
	b.last = len(batch)
	return batch
}

// take moves queued writers into batch, up to maxBatch. b.mu must be held.
func (b *batcher) take(batch *[]*writeReq) {
	n := min(len(b.queue), b.maxBatch-len(*batch))
	if n <= 0 {
		return
	}
	for _, r := range b.queue[:n] {
		r.state = taken
		*batch = append(*batch, r)
	}
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
}

// savepoint statements. Every member of a batch of two or more runs inside
// one, so that its failure undoes its own work only.
const (
	sqlSavepoint  = "SAVEPOINT write"
	sqlRollbackTo = "ROLLBACK TO write"
	sqlRelease    = "RELEASE write"
)

// run executes batch in one transaction on the writer connection and sets
// every member's outcome.
func (b *batcher) run(batch []*writeReq) {
	b.batches.Add(1)
	b.writes.Add(uint64(len(batch)))
	err := b.w.do(func() error {
		b.runHeld(batch)
		return nil
	})
	if err != nil {
		// The connection could not be had: the Store is closed.
		b.cache.failed()
		for _, r := range batch {
			r.err = txError(r.ctx, "begin", err)
		}
	}
}

// runHeld is run with the writer connection held. Statements run on no
// context at all: SQLite answers an interrupted write by rolling back the
// whole transaction, which would undo the other members. A member's own
// context is looked at before its write and after it; a member whose
// context ended by then is left out.
func (b *batcher) runHeld(batch []*writeReq) {
	dataVersion, err := b.w.begin()
	if err != nil {
		b.cache.failed()
		for _, r := range batch {
			r.err = txError(r.ctx, "begin", err)
		}
		return
	}
	b.cache.begin(dataVersion)
	tx := &wtx{w: b.w, cache: b.cache}
	if len(batch) == 1 {
		// Alone, the write needs no savepoint: its failure rolls back the
		// transaction.
		r := batch[0]
		if r.err = r.ctx.Err(); r.err == nil {
			r.err = r.call(tx)
		}
		if r.err == nil {
			// A context that ended while fn ran must not see its write
			// committed.
			r.err = r.ctx.Err()
		}
		b.cache.endMember(r.err == nil)
		if r.err != nil {
			b.w.rollback()
			b.cache.committed() // nothing kept; the cache stays valid
		} else if err := b.w.commit(); err != nil {
			b.cache.failed()
			r.err = txError(r.ctx, "commit", err)
		} else {
			b.cache.committed()
		}
		return
	}

	stands := 0 // members whose write is to be committed
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		r.dirty = stands > 0
		if _, err := b.w.exec(sqlSavepoint); err != nil {
			b.abort(batch, err)
			return
		}
		if r.err = r.call(tx); r.err == nil {
			r.err = r.ctx.Err()
		}
		if r.err != nil {
			if _, err := b.w.exec(sqlRollbackTo); err != nil {
				// SQLite rolls back the whole transaction on some errors
				// (a full disk, an I/O error): the savepoint is gone and
				// with it the other members' work.
				b.abort(batch, err)
				return
			}
		}
		if _, err := b.w.exec(sqlRelease); err != nil {
			b.abort(batch, err)
			return
		}
		b.cache.endMember(r.err == nil)
		if r.err == nil {
			stands++
		}
	}
	if stands == 0 {
		b.w.rollback()
		b.cache.committed() // nothing kept; the cache stays valid
		return
	}
	if err := b.w.commit(); err != nil {
		b.cache.failed()
		fail(batch, "commit", err)
		return
	}
	b.cache.committed()
}

// abort rolls the transaction back after a savepoint statement failed and
// fails every member.
func (b *batcher) abort(batch []*writeReq, err error) {
	b.w.rollback()
	b.cache.failed()
	for _, r := range batch {
		r.dirty = true
	}
	fail(batch, "savepoint", err)
}

// fail gives the error of a transaction that did not commit to every member
// whose answer depended on it: those whose write was to be committed, and
// those that ran after another member's write and so may have read what
// never became durable. A member that panicked panics.
func fail(batch []*writeReq, op string, err error) {
	for _, r := range batch {
		if r.panicked || (r.err != nil && !r.dirty) {
			continue
		}
		r.err = txError(r.ctx, op, err)
	}
}

// txError wraps the error of a BEGIN, savepoint or COMMIT for a writer: the
// writer's own context error if its context has ended, an error matching
// storage.ErrConflict if another process held the lock too long.
func txError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if isBusy(err) {
		return fmt.Errorf("storage/sqlite: %s: %w: %w", op, storage.ErrConflict, err)
	}
	return fmt.Errorf("storage/sqlite: %s: %w", op, err)
}

// call runs the member's write, turning a panic into errPanicked so that
// the batch can roll the member back and carry on; do raises the panic
// again in the member's own goroutine.
func (r *writeReq) call(tx *wtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked, r.panicVal = true, p
			err = errPanicked
		}
	}()
	return r.fn(tx)
}
