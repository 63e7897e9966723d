package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
)

var (
	_ storage.ConditionalDeleter = (*Store)(nil)
	_ storage.Feed               = (*Store)(nil)
	_ storage.Counters           = (*Store)(nil)
)

// appendFeed adds ev of the record to the feed inside the writing
// transaction tx.
func appendFeed(tx *wtx, typ, id string, ev storage.Event, changes any) error {
	if _, err := tx.exec(sqlInsertFeed,
		typ, id, int64(ev.Version), formatTime(ev.Time), ev.Kind, ev.Actor, ev.Client, changes); err != nil {
		return fmt.Errorf("storage/sqlite: feed event %d of %s %q: %w", ev.Version, typ, id, err)
	}
	return nil
}

// DeleteIf implements storage.ConditionalDeleter: the check and the
// deletion run in one write transaction.
func (s *Store) DeleteIf(ctx context.Context, typ, id string, want storage.Expect, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	return s.write(ctx, func(tx *wtx) error {
		var (
			version          int64
			created, updated string
		)
		err := tx.queryRow(sqlStamp, typ, id).Scan(&version, &created, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage/sqlite: delete %s %q: %w", typ, id, storage.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("storage/sqlite: delete %s %q: %w", typ, id, err)
		}
		rec := storage.Record{Version: uint64(version)}
		if rec.Created, err = parseTime(created); err != nil {
			return err
		}
		if rec.Updated, err = parseTime(updated); err != nil {
			return err
		}
		if !want.Holds(&rec) {
			return fmt.Errorf("storage/sqlite: delete %s %q: record is at version %d: %w", typ, id, version, storage.ErrConflict)
		}
		if _, err := tx.exec(sqlDeleteRecord, typ, id); err != nil {
			return fmt.Errorf("storage/sqlite: delete %s %q: %w", typ, id, err)
		}
		tx.cache.wrote(typ, id, nil)
		del := storage.Event{Version: rec.Version + 1, Time: ev.Time, Kind: storage.DeleteKind, Actor: ev.Actor, Client: ev.Client}
		return appendFeed(tx, typ, id, del, nil)
	})
}

// Changes implements storage.Feed. It reads a committed prefix of the
// feed: the single writer commits positions in order.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]storage.FeedEntry, uint64, error) {
	n, err := storage.FeedLimit(limit)
	if err != nil {
		return nil, after, err
	}
	rows, err := s.stmt.changes.QueryContext(ctx, int64(min(after, 1<<63-1)), n)
	if err != nil {
		return nil, after, s.queryError(ctx, err)
	}
	defer rows.Close()
	var out []storage.FeedEntry
	for rows.Next() {
		var (
			e        storage.FeedEntry
			pos, ver int64
			at       string
			changes  sql.NullString
			decoded  []storage.Change
		)
		if err := rows.Scan(&pos, &e.Type, &e.ID, &ver, &at, &e.Kind, &e.Actor, &e.Client, &changes); err != nil {
			return nil, after, s.queryError(ctx, err)
		}
		e.Position, e.Version = uint64(pos), uint64(ver)
		if e.Time, err = parseTime(at); err != nil {
			return nil, after, err
		}
		if err := decodeJSON(changes, &decoded); err != nil {
			return nil, after, err
		}
		e.Changes = decoded
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, after, s.queryError(ctx, err)
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
	var v int64
	err := s.write(ctx, func(tx *wtx) error {
		return tx.queryRow(sqlNextValue, name).Scan(&v)
	})
	if err != nil {
		return 0, fmt.Errorf("storage/sqlite: counter %q: %w", name, err)
	}
	return uint64(v), nil
}

var _ storage.Bookmarks = (*Store)(nil)

// Bookmark implements storage.Bookmarks.
func (s *Store) Bookmark(ctx context.Context, name string) (uint64, error) {
	var pos int64
	err := s.reader.QueryRowContext(ctx, `SELECT pos FROM bookmarks WHERE name = ?`, name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.queryError(ctx, err)
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
	return s.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO bookmarks (name, pos) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET pos = excluded.pos`, name, int64(min(pos, 1<<63-1)))
		return err
	})
}

var _ storage.FeedTrimmer = (*Store)(nil)

// sqlTrim deletes the entries among the oldest ?5 at or below the position
// bound ?1 (the newest entry of all excluded) that are at or below the
// lowest bookmark unless ?2, and older than ?4 when ?3. The primary key
// gives the oldest in order, so one call reads at most ?5 entries.
const sqlTrim = `DELETE FROM feed WHERE pos IN (
	SELECT pos FROM (SELECT pos, time FROM feed WHERE pos < (SELECT max(pos) FROM feed) AND pos <= ?1 ORDER BY pos LIMIT ?5)
	WHERE (?2 OR pos <= COALESCE((SELECT min(pos) FROM bookmarks), ?1))
	AND (NOT ?3 OR time < ?4))`

// TrimChanges implements storage.FeedTrimmer, in one write transaction.
func (s *Store) TrimChanges(ctx context.Context, t storage.Trim) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, upTo, err := t.SQLBounds()
	if err != nil {
		return 0, err
	}
	var deleted int64
	err = s.write(ctx, func(tx *wtx) error {
		var err error
		deleted, err = tx.exec(sqlTrim, upTo, t.Unacknowledged, !t.Before.IsZero(), formatTime(t.Before), n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storage/sqlite: trim feed: %w", err)
	}
	return int(deleted), nil
}
