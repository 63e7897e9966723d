package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idupdate/idupdate/storage"
)

var (
	_ storage.ConditionalDeleter = (*Store)(nil)
	_ storage.Feed               = (*Store)(nil)
	_ storage.Counters           = (*Store)(nil)
)

const (
	// sqlInsertFeed takes the next position from feed_head and keeps the
	// row locked until the transaction ends, so it must be the writing
	// transaction's last statement before COMMIT: a position is then taken
	// only after the transaction holding the previous one has committed
	// (and become visible) or rolled back (and given it back). Positions
	// are dense and in commit order, and a reader never sees position n+1
	// before n — which a sequence could not promise, since a value drawn
	// early may commit late. The cost is that commits of all writers
	// queue for that row.
	sqlInsertFeed = `WITH h AS (UPDATE feed_head SET pos = pos + 1 RETURNING pos)
	INSERT INTO feed (pos, type, id, version, time, time_nanos, kind, actor, client, changes)
	SELECT h.pos, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM h`

	// sqlDeleteIf deletes the record if it meets the expectation ($3 to
	// $7, NULL for unchecked) and adds its feed entry. Under READ
	// COMMITTED a DELETE that waited for a concurrent update re-checks
	// its condition on the updated row, so the check and the deletion
	// are one step.
	sqlDeleteIf = `WITH d AS (
		DELETE FROM records WHERE type = $1 AND id = $2
		AND ($3::bigint IS NULL OR version = $3)
		AND ($4::timestamptz IS NULL OR (created = $4 AND created_nanos = $5))
		AND ($6::timestamptz IS NULL OR (updated = $6 AND updated_nanos = $7))
		RETURNING version),
	h AS (UPDATE feed_head SET pos = pos + 1 WHERE EXISTS (SELECT 1 FROM d) RETURNING pos)
	INSERT INTO feed (pos, type, id, version, time, time_nanos, kind, actor, client)
	SELECT h.pos, $1, $2, d.version + 1, $8, $9, $10, $11, $12 FROM d, h`

	sqlChanges = `SELECT pos, type, id, version, time, time_nanos, kind, actor, client, changes
	FROM feed WHERE pos > $1 ORDER BY pos LIMIT $2`

	sqlNextValue = `INSERT INTO counters (name, value) VALUES ($1, 1)
	ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`
)

// DeleteIf implements storage.ConditionalDeleter.
func (s *Store) DeleteIf(ctx context.Context, typ, id string, want storage.Expect, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validText(typ) || !validText(id) {
		return fmt.Errorf("storage/postgres: delete %s %q: %w", typ, id, storage.ErrNotFound)
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Kind = storage.DeleteKind
	if _, err := s.encodeChanges(&storage.Event{Kind: ev.Kind, Actor: ev.Actor, Client: ev.Client}); err != nil {
		return fmt.Errorf("storage/postgres: delete %s %q: %w", typ, id, err)
	}
	args := []any{typ, id, nil, nil, int16(0), nil, int16(0)}
	if want.Version != 0 {
		args[2] = int64(min(want.Version, 1<<63-1))
	}
	if !want.Created.IsZero() {
		args[3], args[4] = splitTime(want.Created)
	}
	if !want.Updated.IsZero() {
		args[5], args[6] = splitTime(want.Updated)
	}
	t, nanos := splitTime(ev.Time)
	args = append(args, t, nanos, ev.Kind, ev.Actor, ev.Client)

	var deleted int64
	err := s.retry(ctx, func() error {
		tx, err := s.begin(ctx)
		if err != nil {
			return err
		}
		defer tx.end(ctx)
		b := &pgx.Batch{}
		b.Queue(sqlBegin)
		b.Queue(sqlDeleteIf, args...)
		b.Queue(sqlCommit)
		br := tx.conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		deleted = tag.RowsAffected()
		if tag, err = br.Exec(); err != nil {
			return err
		}
		if tag.String() != "COMMIT" {
			return errNotCommitted
		}
		return br.Close()
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("storage/postgres: delete %s %q: %w", typ, id, err)
	}
	if deleted == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, sqlExists, typ, id).Scan(&exists); err != nil {
		return fmt.Errorf("storage/postgres: delete %s %q: %w", typ, id, err)
	}
	if exists {
		return fmt.Errorf("storage/postgres: delete %s %q: record does not meet the expectation: %w", typ, id, storage.ErrConflict)
	}
	return fmt.Errorf("storage/postgres: delete %s %q: %w", typ, id, storage.ErrNotFound)
}

// Changes implements storage.Feed.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]storage.FeedEntry, uint64, error) {
	n, err := storage.FeedLimit(limit)
	if err != nil {
		return nil, after, err
	}
	rows, err := s.pool.Query(ctx, sqlChanges, int64(min(after, 1<<63-1)), n)
	if err != nil {
		return nil, after, queryError(ctx, "changes", err)
	}
	defer rows.Close()
	var out []storage.FeedEntry
	for rows.Next() {
		var (
			e       storage.FeedEntry
			pos     int64
			version int64
			t       time.Time
			nanos   int16
			changes []byte
		)
		if err := rows.Scan(&pos, &e.Type, &e.ID, &version, &t, &nanos, &e.Kind, &e.Actor, &e.Client, &changes); err != nil {
			return nil, after, queryError(ctx, "changes", err)
		}
		e.Position, e.Version, e.Time = uint64(pos), uint64(version), joinTime(t, nanos)
		if changes != nil {
			if err := decodeJSON(changes, &e.Changes); err != nil {
				return nil, after, fmt.Errorf("storage/postgres: changes: decode position %d: %w", pos, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, after, queryError(ctx, "changes", err)
	}
	if len(out) == 0 {
		return nil, after, nil
	}
	return out, out[len(out)-1].Position, nil
}

// NextValue implements storage.Counters.
func (s *Store) NextValue(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := storage.CheckCounterName(name); err != nil {
		return 0, err
	}
	if !validText(name) {
		return 0, fmt.Errorf("storage/postgres: counter name: %w: must be UTF-8 without NUL", storage.ErrInvalid)
	}
	var v int64
	err := s.retry(ctx, func() error { return s.pool.QueryRow(ctx, sqlNextValue, name).Scan(&v) })
	if err != nil {
		return 0, queryError(ctx, "counter "+name, err)
	}
	return uint64(v), nil
}

var _ storage.Bookmarks = (*Store)(nil)

// Bookmark implements storage.Bookmarks.
func (s *Store) Bookmark(ctx context.Context, name string) (uint64, error) {
	if !validText(name) {
		return 0, nil
	}
	var pos int64
	err := s.pool.QueryRow(ctx, `SELECT pos FROM bookmarks WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, queryError(ctx, "bookmark", err)
	}
	return uint64(pos), nil
}

// SetBookmark implements storage.Bookmarks.
func (s *Store) SetBookmark(ctx context.Context, name string, pos uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckCounterName(name); err != nil {
		return err
	}
	if !validText(name) {
		return fmt.Errorf("storage/postgres: bookmark name: %w: must be UTF-8 without NUL", storage.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO bookmarks (name, pos) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET pos = excluded.pos`, name, int64(min(pos, 1<<63-1)))
	if err != nil {
		return queryError(ctx, "bookmark", err)
	}
	return nil
}

var _ storage.FeedTrimmer = (*Store)(nil)

// sqlTrim deletes the entries among the oldest $5 at or below the position
// bound $1 (the newest entry of all excluded) that are at or below the
// lowest bookmark unless $2, and older than ($3, $4) when $3 is not NULL.
// The primary key gives the oldest in order, so one call reads at most $5
// entries.
const sqlTrim = `DELETE FROM feed WHERE pos IN (
	SELECT o.pos FROM (SELECT pos, time, time_nanos FROM feed
		WHERE pos < (SELECT max(pos) FROM feed) AND pos <= $1 ORDER BY pos LIMIT $5) AS o
	WHERE ($2 OR o.pos <= COALESCE((SELECT min(pos) FROM bookmarks), $1))
	AND ($3::timestamptz IS NULL OR (o.time, o.time_nanos) < ($3::timestamptz, $4::smallint)))`

// TrimChanges implements storage.FeedTrimmer, in one statement.
func (s *Store) TrimChanges(ctx context.Context, t storage.Trim) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, upTo, err := t.SQLBounds()
	if err != nil {
		return 0, err
	}
	var before *time.Time
	var nanos int16
	if !t.Before.IsZero() {
		b, ns := splitTime(t.Before)
		before, nanos = &b, ns
	}
	var deleted int64
	err = s.retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, sqlTrim, upTo, t.Unacknowledged, before, nanos, n)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, queryError(ctx, "trim feed", err)
	}
	return int(deleted), nil
}
