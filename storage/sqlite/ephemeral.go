package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Ephemeral = (*Store)(nil)

// PutToken implements storage.Ephemeral. One statement: the insert, or
// the replacement of an expired token; a live one makes it change nothing.
func (s *Store) PutToken(ctx context.Context, t storage.Token, now time.Time) error {
	if err := storage.CheckToken(t); err != nil {
		return err
	}
	return s.write(ctx, func(tx *wtx) error { return putToken(tx, t, now) })
}

func putToken(tx *wtx, t storage.Token, now time.Time) error {
	data := t.Data
	if data == nil {
		data = []byte{}
	}
	n, err := tx.exec(`INSERT INTO tokens (kind, hash, data, expires) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, hash) DO UPDATE SET data = excluded.data, expires = excluded.expires, spent = 0
		WHERE tokens.expires <= ?`,
		t.Kind, t.Hash, data, t.Expires.UnixNano(), now.UnixNano())
	if err != nil {
		return fmt.Errorf("storage/sqlite: put token: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("storage/sqlite: put token: %w", storage.ErrExists)
	}
	return nil
}

// PutTokenHit implements storage.Ephemeral: the hit and the insert in one
// write, whose failure rolls back both.
func (s *Store) PutTokenHit(ctx context.Context, t storage.Token, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := storage.CheckToken(t); err != nil {
		return false, err
	}
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	allowed := false
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		if allowed, err = hit(tx, name, q, now); err != nil || !allowed {
			return err
		}
		return putToken(tx, t, now)
	})
	if err != nil {
		return false, err
	}
	return allowed, nil
}

// ConsumeToken implements storage.Ephemeral. The conditional UPDATE is
// the decision; the writer's IMMEDIATE transaction makes it one step for
// every process on the file. Only when it changes nothing does a read in
// the same transaction find out why.
func (s *Store) ConsumeToken(ctx context.Context, kind string, hash []byte, now time.Time) (*storage.Token, error) {
	if !storage.ValidTokenKey(kind, hash) {
		return nil, fmt.Errorf("storage/sqlite: token: %w", storage.ErrNotFound)
	}
	var t *storage.Token
	err := s.write(ctx, func(tx *wtx) (err error) {
		t, err = consumeToken(tx, kind, hash, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func consumeToken(tx *wtx, kind string, hash []byte, now time.Time) (*storage.Token, error) {
	t := storage.Token{Kind: kind, Hash: hash, Spent: true}
	var exp int64
	err := tx.queryRow(`UPDATE tokens SET spent = 1
		WHERE kind = ? AND hash = ? AND spent = 0 AND expires > ?
		RETURNING data, expires`, kind, hash, now.UnixNano()).Scan(&t.Data, &exp)
	if err == nil {
		t.Expires = time.Unix(0, exp)
		return &t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage/sqlite: consume token: %w", err)
	}
	var spent bool
	err = tx.queryRow(`SELECT spent FROM tokens WHERE kind = ? AND hash = ?`, kind, hash).Scan(&spent)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("storage/sqlite: token: %w", storage.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("storage/sqlite: consume token: %w", err)
	case spent:
		return nil, fmt.Errorf("storage/sqlite: token: %w", storage.ErrTokenSpent)
	}
	return nil, fmt.Errorf("storage/sqlite: token: %w", storage.ErrTokenExpired)
}

// ConsumeTokenPut implements storage.Ephemeral: the consume and the put in
// one write. A put refused for a live token leaves the consume in effect.
func (s *Store) ConsumeTokenPut(ctx context.Context, kind string, hash []byte, put storage.Token, now time.Time) (*storage.Token, bool, error) {
	if err := storage.CheckTokenPut(kind, hash, put); err != nil {
		return nil, false, err
	}
	if !storage.ValidTokenKey(kind, hash) {
		return nil, false, fmt.Errorf("storage/sqlite: token: %w", storage.ErrNotFound)
	}
	var (
		t      *storage.Token
		stored bool
	)
	err := s.write(ctx, func(tx *wtx) (err error) {
		t, stored, err = consumePut(tx, kind, hash, put, now)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return t, stored, nil
}

// consumePut is the write of ConsumeTokenPut, or of ConsumeToken when put
// has no Kind.
func consumePut(tx *wtx, kind string, hash []byte, put storage.Token, now time.Time) (*storage.Token, bool, error) {
	t, err := consumeToken(tx, kind, hash, now)
	if err != nil || put.Kind == "" {
		return t, false, err
	}
	err = putToken(tx, put, now)
	if errors.Is(err, storage.ErrExists) {
		return t, false, nil
	}
	return t, err == nil, err
}

// Hit implements storage.Ephemeral: read, step and write the window in
// the writer's transaction, which no other writer of the file shares.
func (s *Store) Hit(ctx context.Context, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	allowed := false
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		allowed, err = hit(tx, name, q, now)
		return err
	})
	return allowed, err
}

// hit reads, steps and writes the window of the quota name in the
// writer's transaction tx, which no other writer of the file shares, and
// reports whether the call is allowed.
func hit(tx *wtx, name string, q storage.Quota, now time.Time) (bool, error) {
	var w storage.QuotaWindow
	err := tx.queryRow(`SELECT start, prev, curr FROM quotas WHERE name = ?`, name).Scan(&w.Start, &w.Prev, &w.Curr)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("storage/sqlite: quota %q: %w", name, err)
	}
	next, ok := q.Step(w, now)
	if !ok {
		return false, nil
	}
	_, err = tx.exec(`INSERT INTO quotas (name, start, prev, curr, expires) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET start = excluded.start, prev = excluded.prev, curr = excluded.curr, expires = excluded.expires`,
		name, next.Start, next.Prev, next.Curr, q.Expires(next.Start))
	if err != nil {
		return false, fmt.Errorf("storage/sqlite: quota %q: %w", name, err)
	}
	return true, nil
}

// Take implements storage.Ephemeral: read, step and write the bucket in
// the writer's transaction, which no other writer of the file shares. A
// refused take writes nothing.
func (s *Store) Take(ctx context.Context, name string, b storage.Bucket, now time.Time) (bool, time.Duration, error) {
	if err := storage.CheckBucket(name, b); err != nil {
		return false, 0, err
	}
	var (
		ok   bool
		wait time.Duration
	)
	err := s.write(ctx, func(tx *wtx) error {
		var st storage.BucketState
		err := tx.queryRow(`SELECT tokens, at FROM buckets WHERE name = ?`, name).Scan(&st.Tokens, &st.At)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage/sqlite: bucket %q: %w", name, err)
		}
		var next storage.BucketState
		if next, ok, wait = b.Step(st, err == nil, now); !ok {
			return nil
		}
		_, err = tx.exec(`INSERT INTO buckets (name, tokens, at, expires) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, at = excluded.at, expires = excluded.expires`,
			name, next.Tokens, next.At, b.Expires(next))
		if err != nil {
			return fmt.Errorf("storage/sqlite: bucket %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return ok, wait, nil
}

// PurgeExpired implements storage.Ephemeral: three bounded deletes, each
// choosing its rows through the expiry index.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time, max int) (int, error) {
	if max <= 0 {
		return 0, fmt.Errorf("%w: purge batch must be positive", storage.ErrInvalid)
	}
	n := 0
	err := s.write(ctx, func(tx *wtx) error {
		n = 0
		for _, q := range []string{
			`DELETE FROM tokens WHERE (kind, hash) IN (SELECT kind, hash FROM tokens WHERE expires <= ? ORDER BY expires LIMIT ?)`,
			`DELETE FROM quotas WHERE name IN (SELECT name FROM quotas WHERE expires <= ? ORDER BY expires LIMIT ?)`,
			`DELETE FROM buckets WHERE name IN (SELECT name FROM buckets WHERE expires <= ? ORDER BY expires LIMIT ?)`,
		} {
			if n == max {
				break
			}
			d, err := tx.exec(q, now.UnixNano(), max-n)
			if err != nil {
				return fmt.Errorf("storage/sqlite: purge: %w", err)
			}
			n += int(d)
		}
		return nil
	})
	return n, err
}
