package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/internal/keyset"
)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeNotNullViolation     = "23502"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUntranslatable       = "22P05" // jsonb refuses \u0000 in strings
	codeBadEncoding          = "22021"
)

// errHolderGone says a unique violation was reported but its holder had
// let go of the key by the time we looked: the transaction is worth
// running again.
var errHolderGone = errors.New("storage/postgres: the holder of a clashing key released it")

// errNotCommitted says a transaction's COMMIT answered ROLLBACK.
var errNotCommitted = errors.New("storage/postgres: transaction was rolled back at commit")

// rollbackTimeout bounds the ROLLBACK that ends an abandoned transaction.
const rollbackTimeout = 5 * time.Second

// Create implements storage.Store. It stores Version 1 and sets Updated to
// ev.Time; Created keeps rec.Created if set and is ev.Time otherwise. rec
// is not modified.
func (s *Store) Create(ctx context.Context, rec *storage.Record, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rec.Validate(); err != nil {
		return fmt.Errorf("storage/postgres: create: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("storage/postgres: create %s %q: %w", rec.Type, rec.ID, err)
	}
	if err := checkRecordText(rec); err != nil {
		return fmt.Errorf("storage/postgres: create: %w", err)
	}
	stored := *rec
	stored.Version = 1
	stored.Updated = ev.Time
	if stored.Created.IsZero() {
		stored.Created = ev.Time
	}
	ev.Version = 1
	enc, err := s.encodeRecord(&stored)
	if err != nil {
		return fmt.Errorf("storage/postgres: create %s %q: %w", rec.Type, rec.ID, err)
	}
	changes, err := s.encodeChanges(&ev)
	if err != nil {
		return fmt.Errorf("storage/postgres: create %s %q: %w", rec.Type, rec.ID, err)
	}

	err = s.retry(ctx, func() error {
		tx, err := s.begin(ctx)
		if err != nil {
			return err
		}
		defer tx.end(ctx)

		b := &pgx.Batch{}
		b.Queue(sqlBegin)
		created, createdNanos := splitTime(stored.Created)
		updated, updatedNanos := splitTime(stored.Updated)
		b.Queue(sqlInsertRecord, stored.Type, stored.ID, int64(1), created, createdNanos, updated, updatedNanos,
			string(stored.State), enc.doc, enc.secrets, enc.pending)
		if len(stored.Keys) > 0 {
			names, values := unzipKeys(storage.SortedKeys(stored.Keys))
			b.Queue(sqlInsertKeys, stored.Type, stored.ID, names, values)
		}
		if len(stored.Terms) > 0 {
			names, values := unzipKeys(stored.Terms)
			b.Queue(sqlInsertTerms, stored.Type, stored.ID, names, values)
		}
		queueEvent(b, stored.Type, stored.ID, &ev, changes)
		b.Queue(sqlCommit)
		if err := tx.exec(ctx, b); err != nil {
			return s.writeError(ctx, tx, err, stored.Type, stored.ID, stored.Keys)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage/postgres: create %s %q: %w", rec.Type, rec.ID, err)
	}
	return nil
}

// Update implements storage.Store.
//
// It locks the record's row (SELECT ... FOR UPDATE in a READ COMMITTED
// transaction), so updates of one record queue behind each other and
// updates of different records do not wait for each other. fn runs inside
// the transaction on a freshly decoded copy; it runs again only when the
// transaction is retried after a deadlock or serialization failure, or
// after a unique violation whose holder vanished before it could be named.
// The store owns Type, ID, Version, Created and Updated: whatever fn sets
// there is replaced. fn's error is returned unchanged.
func (s *Store) Update(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validText(typ) || !validText(id) {
		return nil, fmt.Errorf("storage/postgres: update %s %q: %w", typ, id, storage.ErrNotFound)
	}
	var out *storage.Record
	var fnErr error
	err := s.retry(ctx, func() error {
		var err error
		out, fnErr, err = s.updateOnce(ctx, typ, id, nil, fn)
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: update %s %q: %w", typ, id, err)
	}
	return out, nil
}

// updateOnce runs one transaction of Update, or of UpdateSpend when sp is
// not nil. fn's own error (and sp's Check's) comes back as fnErr so the
// caller can return it unwrapped.
func (s *Store) updateOnce(ctx context.Context, typ, id string, sp *spending, fn storage.Updater) (_ *storage.Record, fnErr, err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.end(ctx)

	// BEGIN, the spend and both reads travel in one round trip; the keys
	// are read by a statement of their own, after the lock is held (see
	// sqlLock).
	b := &pgx.Batch{}
	b.Queue(sqlBegin)
	sp.queue(b)
	b.Queue(sqlLock, typ, id)
	b.Queue(sqlKeys, typ, id)
	b.Queue(sqlTerms, typ, id)
	br := tx.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, nil, err
	}
	if err := sp.scan(br); err != nil {
		br.Close()
		return nil, nil, err
	}
	old, err := scanRecord(br.QueryRow(), false)
	if cerr := sp.check(); cerr != nil {
		// The spend's own refusal comes first, before the record's.
		br.Close()
		return nil, cerr, sp.keep(ctx, tx, nil)
	}
	if err != nil {
		br.Close()
		return nil, nil, sp.keep(ctx, tx, err)
	}
	rows, err := br.Query()
	if err == nil {
		old.Keys, err = pgx.CollectRows(rows, pgx.RowToStructByPos[storage.Key])
	}
	if err == nil {
		if rows, err = br.Query(); err == nil {
			old.Terms, err = pgx.CollectRows(rows, pgx.RowToStructByPos[storage.Key])
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read keys: %w", err)
	}
	if len(old.Keys) == 0 {
		old.Keys = nil
	}
	if len(old.Terms) == 0 {
		old.Terms = nil
	}

	// From here on, a refusal commits the spend (sp.keep) before it is
	// returned; without a spend, keep returns the refusal as it is.
	work := *old
	ev, err := fn(&work)
	if err != nil {
		return nil, err, sp.keep(ctx, tx, nil)
	}
	if ev == nil {
		return old, nil, sp.keep(ctx, tx, nil)
	}
	next := work
	next.Type, next.ID, next.Created = old.Type, old.ID, old.Created
	if old.Version >= math.MaxInt64 {
		return nil, nil, sp.keep(ctx, tx, fmt.Errorf("version %d cannot grow", old.Version))
	}
	next.Version = old.Version + 1
	next.Updated = normTime(ev.Time)
	if err := next.Validate(); err != nil {
		return nil, nil, sp.keep(ctx, tx, err)
	}
	if err := ev.Validate(); err != nil {
		return nil, nil, sp.keep(ctx, tx, err)
	}
	if err := checkRecordText(&next); err != nil {
		return nil, nil, sp.keep(ctx, tx, err)
	}
	event := *ev
	event.Version = next.Version
	enc, err := s.encodeRecord(&next)
	if err != nil {
		return nil, nil, sp.keep(ctx, tx, err)
	}
	changes, err := s.encodeChanges(&event)
	if err != nil {
		return nil, nil, sp.keep(ctx, tx, err)
	}

	added, removed := keyset.Diff(old.Keys, next.Keys)
	b = &pgx.Batch{}
	updated, updatedNanos := splitTime(next.Updated)
	b.Queue(sqlUpdateRecord, typ, id, int64(next.Version), updated, updatedNanos, string(next.State),
		enc.doc, enc.secrets, enc.pending)
	// Keys that stay are left alone: most updates change no key, and an
	// untouched key row costs nothing.
	if len(removed) > 0 {
		names, values := unzipKeys(removed)
		b.Queue(sqlDeleteKeys, typ, id, names, values)
	}
	if len(added) > 0 {
		// Sorted, so two transactions claiming overlapping keys take the
		// index entries in the same order and queue instead of deadlocking.
		names, values := unzipKeys(storage.SortedKeys(added))
		b.Queue(sqlInsertKeys, typ, id, names, values)
	}
	// A term row carries the record's id, so writers of different records
	// never meet on one.
	termsAdded, termsRemoved := keyset.Diff(old.Terms, next.Terms)
	if len(termsRemoved) > 0 {
		names, values := unzipKeys(termsRemoved)
		b.Queue(sqlDeleteTerms, typ, id, names, values)
	}
	if len(termsAdded) > 0 {
		names, values := unzipKeys(termsAdded)
		b.Queue(sqlInsertTerms, typ, id, names, values)
	}
	queueEvent(b, typ, id, &event, changes)
	b.Queue(sqlCommit)
	if err := tx.exec(ctx, b); err != nil {
		return nil, nil, s.writeError(ctx, tx, err, typ, id, added)
	}
	sp.committed()
	next.Created = normTime(next.Created)
	next.Keys = storage.SortedKeys(next.Keys)
	next.Terms = storage.SortedKeys(next.Terms)
	return &next, nil, nil
}

// queueEvent queues the history entry and then the feed entry, which must
// be the last statement before COMMIT (see sqlInsertFeed).
func queueEvent(b *pgx.Batch, typ, id string, ev *storage.Event, changes []byte) {
	t, nanos := splitTime(ev.Time)
	b.Queue(sqlInsertEvent, typ, id, int64(ev.Version), t, nanos, ev.Kind, ev.Actor, ev.Client, changes)
	b.Queue(sqlInsertFeed, typ, id, int64(ev.Version), t, nanos, ev.Kind, ev.Actor, ev.Client, changes)
}

// pipeTx is a transaction on one pooled connection whose BEGIN and COMMIT
// travel inside the batches that do its work, which saves the two round
// trips pgx.Tx spends on them. Whatever does not reach COMMIT is rolled
// back by end; a connection that cannot be rolled back is still inside a
// transaction, and the pool destroys such a connection on Release rather
// than reuse it.
type pipeTx struct {
	conn *pgxpool.Conn
}

func (s *Store) begin(ctx context.Context) (*pipeTx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pipeTx{conn: conn}, nil
}

// exec sends b, which ends with COMMIT, in one round trip and returns the
// first error.
func (t *pipeTx) exec(ctx context.Context, b *pgx.Batch) error {
	br := t.conn.SendBatch(ctx, b)
	var tag pgconn.CommandTag
	for range b.Len() {
		var err error
		if tag, err = br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	// COMMIT of a transaction that had failed answers ROLLBACK, not an
	// error. A failed statement stops the batch before COMMIT, so this
	// should not happen; if it does, nothing was written.
	if tag.String() != "COMMIT" {
		return errNotCommitted
	}
	return nil
}

// commit commits what the transaction did so far, in a round trip of its
// own.
func (t *pipeTx) commit(ctx context.Context) error {
	tag, err := t.conn.Exec(ctx, sqlCommit)
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		return errNotCommitted
	}
	return nil
}

// rollback ends the transaction if one is open or failed.
func (t *pipeTx) rollback(ctx context.Context) error {
	if t.conn.Conn().PgConn().TxStatus() == 'I' {
		return nil
	}
	_, err := t.conn.Exec(ctx, "ROLLBACK")
	return err
}

// end rolls back what was not committed and returns the connection. The
// rollback outlives a cancelled ctx, so that cancelling a caller does not
// cost the pool a connection.
func (t *pipeTx) end(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = t.rollback(ctx)
	t.conn.Release()
}

// writeError translates the error of a failed write. A unique violation on
// records is ErrExists; on keys it becomes a *storage.NotUniqueError naming
// the holder, looked up after the transaction is rolled back so the lookup
// sees committed data. keys are the keys the write tried to add.
func (s *Store) writeError(ctx context.Context, tx *pipeTx, err error, typ, id string, keys []storage.Key) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeUntranslatable, codeBadEncoding:
		return fmt.Errorf("%w: %s", storage.ErrInvalid, pgErr.Message)
	case codeUniqueViolation:
	default:
		return err
	}
	if pgErr.TableName == "records" {
		return storage.ErrExists
	}
	if pgErr.TableName != "keys" || len(keys) == 0 {
		return err
	}
	if rerr := tx.rollback(ctx); rerr != nil {
		return fmt.Errorf("%w (rollback: %v)", err, rerr)
	}
	nu, lerr := holder(ctx, tx.conn, typ, id, keys)
	if lerr != nil {
		return fmt.Errorf("%w (naming the holder: %v)", storage.ErrNotUnique, lerr)
	}
	if nu == nil {
		return errHolderGone
	}
	return nu
}

// holder returns the error naming the first of keys that another record of
// typ holds, or nil if none is held.
//
// It runs on the connection of the failed transaction: taking a second
// connection while holding one could wait forever on a pool whose
// connections are all held by writers doing the same.
func holder(ctx context.Context, conn *pgxpool.Conn, typ, id string, keys []storage.Key) (*storage.NotUniqueError, error) {
	names, values := unzipKeys(keys)
	rows, err := conn.Query(ctx, sqlHolders, typ, id, names, values)
	if err != nil {
		return nil, err
	}
	type held struct {
		Name, Value, ID, State string
	}
	hs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[held])
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		for _, h := range hs {
			if h.Name == k.Name && h.Value == k.Value {
				return &storage.NotUniqueError{Key: k, HolderID: h.ID, HolderState: storage.RecordState(h.State)}, nil
			}
		}
	}
	return nil, nil
}

// retry runs f until it succeeds, fails for a reason retrying cannot fix,
// or has been retried opts.maxRetries times. Waits between attempts grow
// exponentially from 1ms to at most 64ms, with full jitter so that
// transactions that collided once do not collide again in lockstep.
func (s *Store) retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !retryable(err) || attempt >= s.opts.maxRetries {
			return err
		}
		backoff := time.Millisecond << min(attempt, 6)
		t := time.NewTimer(rand.N(backoff) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func retryable(err error) bool {
	if errors.Is(err, errHolderGone) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected
	}
	return false
}
