package sqlite

import (
	"context"
	"errors"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Spender = (*Store)(nil)

// UpdateSpend implements storage.Spender in one write: the spend, Check,
// and the update inside a savepoint of its own, so that a refused update
// rolls back to it and the spend commits alone.
func (s *Store) UpdateSpend(ctx context.Context, typ, id string, sp storage.Spend, fn storage.Updater) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := storage.CheckSpend(sp); err != nil {
		return nil, err
	}
	var (
		result  *storage.Record
		refused error // the update's own answer; the spend commits anyway
	)
	err := s.write(ctx, func(tx *wtx) error {
		t, claimed, err := consumePut(tx, sp.Kind, sp.Hash, sp.Claim, sp.Now)
		if err != nil {
			return storage.AsSpendError(err)
		}
		if sp.Check != nil {
			if refused = sp.Check(t, claimed); refused != nil {
				return nil
			}
		}
		// A refused update stages nothing in the record cache (updateTx),
		// so rolling back to the savepoint leaves the cache right.
		if _, err := tx.exec(`SAVEPOINT spend_update`); err != nil {
			return err
		}
		if result, refused = updateTx(tx, typ, id, fn); refused != nil {
			if _, err := tx.exec(`ROLLBACK TO spend_update`); err != nil {
				return err
			}
		}
		_, err = tx.exec(`RELEASE spend_update`)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case errors.Is(refused, errNothingToWrite):
		return result, nil
	case refused != nil:
		return nil, refused
	}
	return result, nil
}
