package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Spender = (*Store)(nil)

// errSpendMissed says the spend of an UpdateSpend found no live token.
var errSpendMissed = errors.New("storage/postgres: no token to spend")

// UpdateSpend implements storage.Spender. The spend is one more statement
// in the round trip that begins the update's transaction and locks the
// record (sqlConsume, or sqlConsumePut with a claim), and it commits with
// the update: a call authorized by a token costs the two round trips of
// Update and one synchronous commit. A refusal after the spend commits
// the spend alone; a write refused by the database (a clashing key) rolls
// the transaction back, and the spend is then made again on its own.
//
// The token's row stays locked until the transaction ends, so a second
// call spending the same token waits for the first and then finds it
// spent (or, after a rollback, spends it).
func (s *Store) UpdateSpend(ctx context.Context, typ, id string, sp storage.Spend, fn storage.Updater) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := storage.CheckSpend(sp); err != nil {
		return nil, err
	}
	if !validText(typ) || !validText(id) {
		// No such record can exist: the spend stands alone.
		return storage.SpendThenUpdate(ctx, s, typ, id, sp, fn)
	}
	p := &spending{sp: sp}
	var out *storage.Record
	var fnErr error
	err := s.retry(ctx, func() error {
		var err error
		out, fnErr, err = s.updateOnce(ctx, typ, id, p, fn)
		return err
	})
	if errors.Is(err, errSpendMissed) {
		return nil, storage.AsSpendError(s.notConsumed(ctx, sp.Kind, sp.Hash, pgx.ErrNoRows))
	}
	if p.spent && !p.done {
		// The transaction that spent the token rolled back. Whatever the
		// second spend finds (the token spent meanwhile by another call,
		// a store failure) changes nothing of the answer.
		again := sp
		again.Check = nil
		_ = storage.SpendAlone(ctx, s, again)
	}
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: update %s %q: %w", typ, id, err)
	}
	return out, nil
}

// spending follows a storage.Spend through the attempts of UpdateSpend.
// A nil *spending is an Update without a spend: its methods do nothing.
type spending struct {
	sp      storage.Spend
	data    []byte
	expires int64
	claimed bool
	spent   bool // the latest attempt spent the token in its transaction
	done    bool // a transaction holding the spend committed
}

// queue adds the spend to the batch that begins a transaction.
func (p *spending) queue(b *pgx.Batch) {
	if p == nil {
		return
	}
	p.spent, p.claimed = false, false
	sp := p.sp
	if sp.Claim.Kind == "" {
		b.Queue(sqlConsume, sp.Kind, sp.Hash, sp.Now.UnixNano())
		return
	}
	data := sp.Claim.Data
	if data == nil {
		data = []byte{}
	}
	b.Queue(sqlConsumePut, sp.Kind, sp.Hash, sp.Now.UnixNano(), sp.Claim.Kind, sp.Claim.Hash, data, sp.Claim.Expires.UnixNano())
}

// scan reads the spend's answer: errSpendMissed when there was no live
// token to spend.
func (p *spending) scan(br pgx.BatchResults) error {
	if p == nil {
		return nil
	}
	dest := []any{&p.data, &p.expires}
	if p.sp.Claim.Kind != "" {
		dest = append(dest, &p.claimed)
	}
	err := br.QueryRow().Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errSpendMissed
	}
	if err != nil {
		return err
	}
	p.spent = true
	return nil
}

// check runs the spend's Check on the token spent.
func (p *spending) check() error {
	if p == nil || p.sp.Check == nil {
		return nil
	}
	return p.sp.Check(&storage.Token{Kind: p.sp.Kind, Hash: p.sp.Hash, Data: p.data, Expires: time.Unix(0, p.expires), Spent: true}, p.claimed)
}

// keep ends a transaction whose update is refused (with err, or with an
// error of its own the caller holds) by committing the spend in it, so
// that the spend stands. It returns err, or the commit's error when err
// is nil. Without a spend it returns err.
func (p *spending) keep(ctx context.Context, tx *pipeTx, err error) error {
	if p == nil || !p.spent {
		return err
	}
	cerr := tx.commit(ctx)
	if cerr == nil {
		p.done = true
	}
	if err != nil {
		return err
	}
	return cerr
}

// committed notes that the update committed, and the spend with it.
func (p *spending) committed() {
	if p != nil && p.spent {
		p.done = true
	}
}
