package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// oldStore writes a file at schema version 8 as that release's store did:
// an event insert (which the events_feed trigger copies into the feed), a
// deletion that cascades the record's events and adds a feed entry.
type oldStore struct {
	t  *testing.T
	db *sql.DB
}

func (o oldStore) exec(q string, args ...any) {
	o.t.Helper()
	_, err := o.db.Exec(q, args...)
	require.NoError(o.t, err, q)
}

func (o oldStore) event(id string, version int, kind, changes string, tm int) {
	o.t.Helper()
	var ch any
	if changes != "" {
		ch = changes
	}
	if version == 1 {
		o.exec(`INSERT INTO records (type, id, version, created, updated, state, doc) VALUES ('user', ?, 1, ?, ?, 'active', '{}')`,
			id, stamp(tm), stamp(tm))
	} else {
		o.exec(`UPDATE records SET version = ?, updated = ? WHERE type = 'user' AND id = ?`, version, stamp(tm), id)
	}
	o.exec(`INSERT INTO events (type, id, version, time, kind, actor, client, changes) VALUES ('user', ?, ?, ?, ?, 'ada', 'app', ?)`,
		id, version, stamp(tm), kind, ch)
}

func (o oldStore) delete(id string, version int, tm int) {
	o.t.Helper()
	o.exec(`DELETE FROM records WHERE type = 'user' AND id = ?`, id)
	o.exec(`INSERT INTO feed (type, id, version, time, kind, actor, client) VALUES ('user', ?, ?, ?, 'delete', 'ada', 'app')`,
		id, version, stamp(tm))
}

func stamp(tm int) string {
	return time.Date(2025, 1, 1, 0, 0, tm, 0, time.UTC).Format("2006-01-02T15:04:05.000000000Z07:00")
}

// oldHistory and oldFeed read a version-8 file as that release's History
// and Changes did.
func oldHistory(t *testing.T, db *sql.DB, id string) []storage.Event {
	rows, err := db.Query(`SELECT version, time, kind, actor, client, changes FROM events
		WHERE type = 'user' AND id = ? ORDER BY version`, id)
	require.NoError(t, err)
	defer rows.Close()
	var out []storage.Event
	for rows.Next() {
		var (
			ev      storage.Event
			at      string
			changes sql.NullString
		)
		require.NoError(t, rows.Scan(&ev.Version, &at, &ev.Kind, &ev.Actor, &ev.Client, &changes))
		ev.Time = parseStamp(t, at)
		ev.Changes = decodeChanges(t, changes)
		out = append(out, ev)
	}
	require.NoError(t, rows.Err())
	return out
}

func oldFeed(t *testing.T, db *sql.DB) []storage.FeedEntry {
	rows, err := db.Query(`SELECT pos, type, id, version, time, kind, actor, client, changes FROM feed ORDER BY pos`)
	require.NoError(t, err)
	defer rows.Close()
	var out []storage.FeedEntry
	for rows.Next() {
		var (
			e       storage.FeedEntry
			at      string
			changes sql.NullString
		)
		require.NoError(t, rows.Scan(&e.Position, &e.Type, &e.ID, &e.Version, &at, &e.Kind, &e.Actor, &e.Client, &changes))
		e.Time = parseStamp(t, at)
		e.Changes = decodeChanges(t, changes)
		out = append(out, e)
	}
	require.NoError(t, rows.Err())
	return out
}

func parseStamp(t *testing.T, s string) time.Time {
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm
}

func decodeChanges(t *testing.T, text sql.NullString) []storage.Change {
	if !text.Valid {
		return nil
	}
	var out []storage.Change
	dec := json.NewDecoder(strings.NewReader(text.String))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&out))
	return out
}

func change(n int) string {
	return fmt.Sprintf(`[{"path":"/n","op":"replace","old":%d,"new":%d}]`, n-1, n)
}

// TestTwoPagesMigration opens a file the previous release wrote and
// trimmed, with live records, a deleted one, and one deleted and created
// again, and checks that History and Changes read exactly as before,
// that later writes, trims and deletions keep both right, and that no
// position is handed out twice.
func TestTwoPagesMigration(t *testing.T) {
	for _, tc := range []struct {
		name, trimmed string // which feed entries the old release trimmed
		left          []uint64
	}{
		// The oldest four, and two more out of order, as a trim by event
		// time can leave it; u3's second create among them.
		{"Oldest", `pos <= 4 OR pos IN (7, 9)`, []uint64{5, 6, 8, 10, 11, 12}},
		// More history trimmed than positions below the oldest entry
		// left: trimmed history goes to positions at and below zero.
		{"OutOfOrder", `pos IN (1, 3, 7, 9)`, []uint64{2, 4, 5, 6, 8, 10, 11, 12}},
	} {
		t.Run(tc.name, func(t *testing.T) { testTwoPagesMigration(t, tc.trimmed, tc.left) })
	}
}

func testTwoPagesMigration(t *testing.T, trimmed string, left []uint64) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "records.db")
	require.NoError(t, sqlite.MigrateTo(path, 8))
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	o := oldStore{t, db}
	o.event("u1", 1, "create", "", 1)         // 1
	o.event("u2", 1, "create", "", 2)         // 2
	o.event("u1", 2, "update", change(2), 3)  // 3
	o.event("u3", 1, "create", "", 4)         // 4
	o.event("u2", 2, "update", change(2), 5)  // 5
	o.delete("u3", 2, 6)                      // 6
	o.event("u3", 1, "create", "", 4)         // 7: created again, alike to the first to the nanosecond
	o.delete("u2", 3, 8)                      // 8
	o.event("u1", 3, "update", change(3), 9)  // 9
	o.event("u3", 2, "update", change(2), 10) // 10
	o.event("u4", 1, "create", "", 11)        // 11
	o.event("u1", 4, "update", change(4), 12) // 12
	o.exec(`DELETE FROM feed WHERE ` + trimmed)
	o.exec(`INSERT INTO bookmarks (name, pos) VALUES ('reader', 5)`)

	ids := []string{"u1", "u2", "u3", "u4"}
	before := map[string][]storage.Event{}
	for _, id := range ids {
		before[id] = oldHistory(t, db, id)
	}
	feedBefore := oldFeed(t, db)
	require.NoError(t, db.Close())
	require.Len(t, before["u1"], 4)
	require.Empty(t, before["u2"])
	require.Len(t, before["u3"], 2)
	require.Equal(t, left, positionsOf(feedBefore))

	s := openStore(t, path)
	history := func(id string) []storage.Event {
		h, err := s.History(ctx, "user", id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		require.NoError(t, err)
		return h
	}
	feed := func(after uint64) []storage.FeedEntry {
		var out []storage.FeedEntry
		for {
			es, next, err := s.Changes(ctx, after, 2)
			require.NoError(t, err)
			if len(es) == 0 {
				return out
			}
			out = append(out, es...)
			after = next
		}
	}
	for _, id := range ids {
		assert.Equal(t, before[id], history(id), "history of %s", id)
	}
	assert.Equal(t, feedBefore, feed(0))
	var after6 []storage.FeedEntry
	for _, e := range feedBefore {
		if e.Position > 6 {
			after6 = append(after6, e)
		}
	}
	assert.Equal(t, after6, feed(6), "reading on from a position")

	// An update links to the migrated history and takes the next position.
	_, err = s.Update(ctx, "user", "u1", func(r *storage.Record) (*storage.Event, error) {
		return &storage.Event{Time: at(13), Kind: "update"}, nil
	})
	require.NoError(t, err)
	h := history("u1")
	require.Len(t, h, 5)
	assert.Equal(t, before["u1"], h[:4])
	assert.Equal(t, uint64(5), h[4].Version)
	all := feed(0)
	assert.Equal(t, append(left, 13), positionsOf(all))

	// Trimming everything it may: the entries leave the feed, the history
	// of live records stays, the rest is deleted.
	n, err := s.TrimChanges(ctx, storage.Trim{Unacknowledged: true})
	require.NoError(t, err)
	assert.Equal(t, len(all)-1, n, "every entry but the newest")
	assert.Equal(t, []uint64{13}, positionsOf(feed(0)))
	for _, id := range []string{"u3", "u4"} {
		assert.Equal(t, before[id], history(id), "history of %s after the trim", id)
	}
	assert.Equal(t, h, history("u1"))
	n, err = s.TrimChanges(ctx, storage.Trim{Unacknowledged: true})
	require.NoError(t, err)
	assert.Zero(t, n)
	// Left: u1's five events, u3's two and u4's one, as history.
	assert.Equal(t, 8, countEvents(t, path))

	// Deleting a record takes its history along; its entry stays in the
	// feed, at the next position.
	require.NoError(t, s.Delete(ctx, "user", "u1"))
	assert.Nil(t, history("u1"))
	assert.Equal(t, []uint64{13, 14}, positionsOf(feed(0)))
	assert.Equal(t, 5, countEvents(t, path), "u3's two, u4's one, u1's last event (still in the feed) and the deletion")
	require.NoError(t, s.Create(ctx, &storage.Record{Type: "user", ID: "u1", State: storage.Active, Doc: map[string]any{}},
		storage.Event{Time: at(15), Kind: "create"}))
	h = history("u1")
	require.Len(t, h, 1, "created again: a new history")
	assert.Equal(t, "create", h[0].Kind)
	assert.Equal(t, []uint64{13, 14, 15}, positionsOf(feed(0)))
	assert.Equal(t, before["u3"], history("u3"))
}

func positionsOf(es []storage.FeedEntry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Position)
	}
	return out
}

// countEvents counts the rows of the events table, history and feed.
func countEvents(t *testing.T, path string) int {
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM events`).Scan(&n))
	return n
}

// TestTrimKeepsHistory trims by event time, which takes entries out of
// position order: entries of a live record leave the feed and stay its
// history, the others are deleted, and the entries left read as before.
func TestTrimKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "records.db")
	s := openStore(t, path)
	create := func(id string, tm int) {
		require.NoError(t, s.Create(ctx, &storage.Record{Type: "user", ID: id, State: storage.Active, Doc: map[string]any{}},
			storage.Event{Time: at(tm), Kind: "create"}))
	}
	update := func(id string, tm int) {
		_, err := s.Update(ctx, "user", id, func(*storage.Record) (*storage.Event, error) {
			return &storage.Event{Time: at(tm), Kind: "update"}, nil
		})
		require.NoError(t, err)
	}
	create("u1", 10)                                                                                // 1
	create("u2", 1)                                                                                 // 2
	update("u1", 2)                                                                                 // 3
	update("u2", 20)                                                                                // 4
	require.NoError(t, s.DeleteIf(ctx, "user", "u2", storage.Expect{}, storage.Event{Time: at(3)})) // 5
	update("u1", 30)                                                                                // 6
	want, err := s.History(ctx, "user", "u1")
	require.NoError(t, err)
	require.Len(t, want, 3)

	n, err := s.TrimChanges(ctx, storage.Trim{Before: at(5), Unacknowledged: true})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "entries 2, 3 and 5 are older than the bound")
	es, _, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 4, 6}, positionsOf(es))
	got, err := s.History(ctx, "user", "u1")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 4, countEvents(t, path), "u2's create and deletion are gone")

	n, err = s.TrimChanges(ctx, storage.Trim{Unacknowledged: true})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	es, _, err = s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []uint64{6}, positionsOf(es))
	got, err = s.History(ctx, "user", "u1")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 3, countEvents(t, path), "u1's history")
}
