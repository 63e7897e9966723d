package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Ephemeral = (*Store)(nil)

// PutToken implements storage.Ephemeral. One statement: the insert, or
// the replacement of an expired token; a live one makes it change nothing.
func (s *Store) PutToken(ctx context.Context, t storage.Token, now time.Time) error {
	if err := storage.CheckToken(t); err != nil {
		return err
	}
	data := t.Data
	if data == nil {
		data = []byte{}
	}
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.light(ctx, `INSERT INTO tokens AS t (kind, hash, data, expires) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, hash) DO UPDATE SET data = excluded.data, expires = excluded.expires, spent = false
		WHERE t.expires <= $5`,
			t.Kind, t.Hash, data, t.Expires.UnixNano(), now.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("storage/postgres: put token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("storage/postgres: put token: %w", storage.ErrExists)
	}
	return nil
}

// ConsumeToken implements storage.Ephemeral. The conditional UPDATE is
// the whole decision: PostgreSQL's row lock lets exactly one of several
// concurrent statements see the token unspent. Only when it changes
// nothing does a second read find out why, for the error.
func (s *Store) ConsumeToken(ctx context.Context, kind string, hash []byte, now time.Time) (*storage.Token, error) {
	if !storage.ValidTokenKey(kind, hash) {
		return nil, fmt.Errorf("storage/postgres: token: %w", storage.ErrNotFound)
	}
	t := storage.Token{Kind: kind, Hash: hash, Spent: true}
	var exp int64
	err := s.retry(ctx, func() error {
		return s.lightRow(ctx, sqlConsume, []any{kind, hash, now.UnixNano()}, &t.Data, &exp)
	})
	if err != nil {
		return nil, s.notConsumed(ctx, kind, hash, err)
	}
	t.Expires = time.Unix(0, exp)
	return &t, nil
}

// sqlConsume spends a token: one row (data, expires) when it was live
// and unspent, none otherwise. Parameters: $1 kind, $2 hash, $3 now.
const sqlConsume = `UPDATE tokens SET spent = true
	WHERE kind = $1 AND hash = $2 AND NOT spent AND expires > $3
	RETURNING data, expires`

// sqlConsumePut is sqlConsume feeding the insert of another token, which
// happens only when the spend did: one row (data, expires, whether the
// other token was stored) or none. Parameters: $1 kind, $2 hash, $3 now,
// then the other token's $4 kind, $5 hash, $6 data, $7 expiry.
const sqlConsumePut = `WITH c AS (` + sqlConsume + `),
	p AS (INSERT INTO tokens AS t (kind, hash, data, expires) SELECT $4, $5, $6, $7 FROM c
		ON CONFLICT (kind, hash) DO UPDATE SET data = excluded.data, expires = excluded.expires, spent = false
		WHERE t.expires <= $3
		RETURNING 1)
	SELECT data, expires, EXISTS (SELECT FROM p) FROM c`

// notConsumed turns the error of a consume that found no token to spend
// (pgx.ErrNoRows) into the reason: a read finds out whether the token is
// missing, spent or expired. Other errors are wrapped as they are.
func (s *Store) notConsumed(ctx context.Context, kind string, hash []byte, err error) error {
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("storage/postgres: consume token: %w", err)
	}
	var spent bool
	err = s.pool.QueryRow(ctx, `SELECT spent FROM tokens WHERE kind = $1 AND hash = $2`, kind, hash).Scan(&spent)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("storage/postgres: token: %w", storage.ErrNotFound)
	case err != nil:
		return fmt.Errorf("storage/postgres: consume token: %w", err)
	case spent:
		return fmt.Errorf("storage/postgres: token: %w", storage.ErrTokenSpent)
	}
	return fmt.Errorf("storage/postgres: token: %w", storage.ErrTokenExpired)
}

// ConsumeTokenPut implements storage.Ephemeral in one statement: the
// consume's UPDATE feeds the put's insert, so nothing is put unless the
// token was spent; a live token of put's kind and hash makes the insert
// change nothing, and the consume stands.
func (s *Store) ConsumeTokenPut(ctx context.Context, kind string, hash []byte, put storage.Token, now time.Time) (*storage.Token, bool, error) {
	if err := storage.CheckTokenPut(kind, hash, put); err != nil {
		return nil, false, err
	}
	if !storage.ValidTokenKey(kind, hash) {
		return nil, false, fmt.Errorf("storage/postgres: token: %w", storage.ErrNotFound)
	}
	data := put.Data
	if data == nil {
		data = []byte{}
	}
	t := storage.Token{Kind: kind, Hash: hash, Spent: true}
	var (
		exp    int64
		stored bool
	)
	err := s.retry(ctx, func() error {
		return s.lightRow(ctx, sqlConsumePut,
			[]any{kind, hash, now.UnixNano(), put.Kind, put.Hash, data, put.Expires.UnixNano()}, &t.Data, &exp, &stored)
	})
	if err != nil {
		return nil, false, s.notConsumed(ctx, kind, hash, err)
	}
	t.Expires = time.Unix(0, exp)
	return &t, stored, nil
}

// Hit implements storage.Ephemeral in one statement (hitSQL).
func (s *Store) Hit(ctx context.Context, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	start, weight := q.Bounds(now)
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.light(ctx, hitSQL, name, start, int64(q.Window), weight, q.Limit)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage/postgres: quota %q: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// hitSQL counts a call against a quota window, with the arithmetic of
// storage.Quota.Step: the upsert rolls the window and counts the call only
// when its WHERE finds the quota not exhausted; the row lock of the
// conflicting row serializes concurrent hits. It changes one row when the
// call is allowed and none when it is refused. Parameters: $1 name, $2 the
// window's start, $3 the window's length, $4 the weight of the previous
// window, $5 the limit.
const hitSQL = `INSERT INTO quotas AS q (name, start, prev, curr, expires)
	VALUES ($1, $2::bigint, 0, 1, $2::bigint + 2 * $3::bigint)
	ON CONFLICT (name) DO UPDATE SET
		prev = CASE WHEN q.start >= $2::bigint THEN q.prev WHEN q.start = $2::bigint - $3::bigint THEN q.curr ELSE 0 END,
		curr = CASE WHEN q.start >= $2::bigint THEN q.curr ELSE 0 END + 1,
		start = greatest(q.start, $2::bigint),
		expires = greatest(q.start, $2::bigint) + 2 * $3::bigint
	WHERE (CASE WHEN q.start >= $2::bigint THEN q.prev WHEN q.start = $2::bigint - $3::bigint THEN q.curr ELSE 0 END)::float8 * $4::float8
		+ (CASE WHEN q.start >= $2::bigint THEN q.curr ELSE 0 END)::float8 + 1 <= $5::float8`

// PutTokenHit implements storage.Ephemeral in one statement: the quota's
// upsert (hitSQL) feeds the token's insert, so a refused call inserts
// nothing. A live token of the same kind and hash sets data to NULL,
// which its NOT NULL constraint refuses: the statement fails as a whole,
// the quota's count with it, and the failure is ErrExists.
func (s *Store) PutTokenHit(ctx context.Context, t storage.Token, name string, q storage.Quota, now time.Time) (bool, error) {
	if err := storage.CheckToken(t); err != nil {
		return false, err
	}
	if err := storage.CheckQuota(name, q); err != nil {
		return false, err
	}
	data := t.Data
	if data == nil {
		data = []byte{}
	}
	start, weight := q.Bounds(now)
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.light(ctx, `WITH hit AS (`+hitSQL+` RETURNING 1)
			INSERT INTO tokens AS t (kind, hash, data, expires) SELECT $6, $7, $8, $9 FROM hit
			ON CONFLICT (kind, hash) DO UPDATE SET
				data = CASE WHEN t.expires <= $10 THEN excluded.data END,
				expires = excluded.expires, spent = false`,
			name, start, int64(q.Window), weight, q.Limit,
			t.Kind, t.Hash, data, t.Expires.UnixNano(), now.UnixNano())
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeNotNullViolation && pe.TableName == "tokens" && pe.ColumnName == "data" {
		return false, fmt.Errorf("storage/postgres: put token: %w", storage.ErrExists)
	}
	if err != nil {
		return false, fmt.Errorf("storage/postgres: put token: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Take implements storage.Ephemeral in one statement (takeSQL). Its
// wait, when refused, is computed from the bucket as the statement's
// snapshot saw it, which a take committed meanwhile may have changed.
func (s *Store) Take(ctx context.Context, name string, b storage.Bucket, now time.Time) (bool, time.Duration, error) {
	if err := storage.CheckBucket(name, b); err != nil {
		return false, 0, err
	}
	var (
		taken  bool
		tokens *float64
		at     *int64
	)
	err := s.retry(ctx, func() error {
		return s.lightRow(ctx, takeSQL, []any{name, now.UnixNano(), b.Rate, b.Burst, storage.BucketSlack}, &taken, &tokens, &at)
	})
	if err != nil {
		return false, 0, fmt.Errorf("storage/postgres: bucket %q: %w", name, err)
	}
	if taken {
		return true, 0, nil
	}
	if tokens == nil || at == nil {
		// Another take created the bucket after the snapshot: it was
		// emptied just now.
		return false, b.Wait(0), nil
	}
	return false, b.Wait(b.Refill(storage.BucketState{Tokens: *tokens, At: *at}, now.UnixNano())), nil
}

// takeSQL takes a token from a bucket with the arithmetic of
// storage.Bucket.Step: the upsert refills the bucket and takes the token
// only when its WHERE finds one; the row lock of the conflicting row
// serializes concurrent takes, and the refill is computed from the row
// as locked. A missing bucket is inserted full less the token taken. It
// returns whether the token was taken and, for the wait of a refused
// take, the bucket's state as the statement's snapshot saw it (NULL when
// it saw none). Parameters: $1 name, $2 now, $3 rate, $4 burst, $5 the
// slack (storage.BucketSlack).
const takeSQL = `WITH old AS (SELECT tokens, at FROM buckets WHERE name = $1),
	up AS (INSERT INTO buckets AS b (name, tokens, at, expires)
		VALUES ($1, $4::float8 - 1, $2::bigint, $2::bigint + ceil(1e9 / $3::float8)::bigint)
		ON CONFLICT (name) DO UPDATE SET
			tokens = greatest(least($4::float8, b.tokens + greatest($2::bigint - b.at, 0)::float8 * $3::float8 / 1e9) - 1, 0),
			at = greatest(b.at, $2::bigint),
			expires = greatest(b.at, $2::bigint) + ceil(($4::float8
				- greatest(least($4::float8, b.tokens + greatest($2::bigint - b.at, 0)::float8 * $3::float8 / 1e9) - 1, 0))
				* 1e9 / $3::float8)::bigint
		WHERE least($4::float8, b.tokens + greatest($2::bigint - b.at, 0)::float8 * $3::float8 / 1e9) >= 1 - $5::float8
		RETURNING 1)
	SELECT EXISTS (SELECT FROM up), (SELECT tokens FROM old), (SELECT at FROM old)`

// PurgeExpired implements storage.Ephemeral: three bounded deletes, each
// choosing its rows through the expiry index, each committed without
// waiting for the disk (light): a purge lost in a crash of the server
// is made again by a later one.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time, max int) (int, error) {
	if max <= 0 {
		return 0, fmt.Errorf("%w: purge batch must be positive", storage.ErrInvalid)
	}
	n := 0
	for _, q := range []string{
		`DELETE FROM tokens WHERE (kind, hash) IN (SELECT kind, hash FROM tokens WHERE expires <= $1 ORDER BY expires LIMIT $2)`,
		`DELETE FROM quotas WHERE name IN (SELECT name FROM quotas WHERE expires <= $1 ORDER BY expires LIMIT $2)`,
		`DELETE FROM buckets WHERE name IN (SELECT name FROM buckets WHERE expires <= $1 ORDER BY expires LIMIT $2)`,
	} {
		if n == max {
			break
		}
		tag, err := s.light(ctx, q, now.UnixNano(), max-n)
		if err != nil {
			return n, fmt.Errorf("storage/postgres: purge: %w", err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// light runs one statement of ephemeral state in a transaction that
// commits without waiting for its WAL to reach disk (synchronous_commit
// off). A crash of the database server may lose the last such writes,
// never records: a lost token or quota hit means a client asks again,
// and a lost spend is made durable by the update it authorizes, whose
// synchronous commit flushes the WAL written before it. Replica crashes
// lose nothing: the write is committed either way.
// The four statements go in one round trip (a pipeline); should the
// statement fail, the pool discards the connection left in the aborted
// transaction.
func (s *Store) light(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br := s.pool.SendBatch(ctx, lightBatch(sql, args))
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return pgconn.CommandTag{}, err
	}
	if _, err := br.Exec(); err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if err != nil {
		return tag, err
	}
	_, err = br.Exec()
	return tag, err
}

// lightRow is light for a statement returning at most one row, scanned
// into dest; no row is pgx.ErrNoRows.
func (s *Store) lightRow(ctx context.Context, sql string, args []any, dest ...any) error {
	br := s.pool.SendBatch(ctx, lightBatch(sql, args))
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	if _, err := br.Exec(); err != nil {
		return err
	}
	scanErr := br.QueryRow().Scan(dest...)
	if _, err := br.Exec(); err != nil {
		return err
	}
	return scanErr
}

func lightBatch(sql string, args []any) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit TO OFF`)
	b.Queue(sql, args...)
	b.Queue(`COMMIT`)
	return b
}
