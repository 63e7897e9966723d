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
			last             sql.NullInt64
		)
		err := tx.queryRow(sqlStamp, typ, id).Scan(&version, &created, &updated, &last)
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
		// The entry comes first: it takes its position while every row
		// below it is still there, so no position is handed out twice.
		del := storage.Event{Version: rec.Version + 1, Time: ev.Time, Kind: storage.DeleteKind, Actor: ev.Actor, Client: ev.Client}
		if _, err := appendEvent(tx, typ, id, del, nil, nil); err != nil {
			return err
		}
		// The record's events stay as feed entries; those whose entries
		// were trimmed were kept only as its history, which goes with it.
		if last.Valid {
			if _, err := tx.exec(sqlDropTrimmedHistory, last.Int64); err != nil {
				return fmt.Errorf("storage/sqlite: delete %s %q: %w", typ, id, err)
			}
		}
		if _, err := tx.exec(sqlDeleteRecord, typ, id); err != nil {
			return fmt.Errorf("storage/sqlite: delete %s %q: %w", typ, id, err)
		}
		tx.cache.wrote(typ, id, cacheEntry{})
		return nil
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

// Trimming the feed (TrimChanges) runs these in one write transaction.
// The oldest ?n feed entries above the floor, the newest of all excluded,
// are those at or below a window end; of them, the entries Trim allows
// stop being feed entries: an entry that is still history of a live
// record (of its type and id, at or above the record's first position)
// is marked trimmed, any other is deleted. The floor then rises to just
// below the oldest entry left.
const (
	sqlTrimWindow = `SELECT max(pos) FROM (SELECT pos FROM events
		WHERE pos > (SELECT pos FROM feed_floor) AND trimmed IS NULL
			AND pos < (SELECT max(pos) FROM events) AND pos <= ?1
		ORDER BY pos LIMIT ?2)`
	// trimAllows is the condition of sqlTrimKeep and sqlTrimDelete over
	// the window ending at ?5: ?1 the position bound, ?2 Unacknowledged,
	// ?3 whether Before is set, ?4 Before.
	trimAllows = `pos > (SELECT pos FROM feed_floor) AND pos <= ?5 AND trimmed IS NULL
		AND (?2 OR pos <= COALESCE((SELECT min(pos) FROM bookmarks), ?1))
		AND (NOT ?3 OR time < ?4)`
	sqlTrimKeep = `UPDATE events SET trimmed = 1 WHERE ` + trimAllows + `
		AND EXISTS (SELECT 1 FROM records r WHERE r.type = events.type AND r.id = events.id AND events.pos >= r.first)`
	sqlTrimDelete = `DELETE FROM events WHERE ` + trimAllows
	sqlRaiseFloor = `UPDATE feed_floor SET pos = COALESCE((SELECT min(e.pos) - 1 FROM events e
		WHERE e.pos > feed_floor.pos AND e.trimmed IS NULL), pos)`
)

// TrimChanges implements storage.FeedTrimmer, in one write transaction.
// It returns how many entries left the feed, whether deleted or kept as
// history.
func (s *Store) TrimChanges(ctx context.Context, t storage.Trim) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, upTo, err := t.SQLBounds()
	if err != nil {
		return 0, err
	}
	var trimmed int64
	err = s.write(ctx, func(tx *wtx) error {
		var end sql.NullInt64
		if err := tx.queryRow(sqlTrimWindow, upTo, n).Scan(&end); err != nil || !end.Valid {
			return err
		}
		args := []any{upTo, t.Unacknowledged, !t.Before.IsZero(), formatTime(t.Before), end.Int64}
		kept, err := tx.exec(sqlTrimKeep, args...)
		if err != nil {
			return err
		}
		deleted, err := tx.exec(sqlTrimDelete, args...)
		if err != nil {
			return err
		}
		if _, err := tx.exec(sqlRaiseFloor); err != nil {
			return err
		}
		trimmed = kept + deleted
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage/sqlite: trim feed: %w", err)
	}
	return int(trimmed), nil
}
