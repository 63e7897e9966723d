package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are the reader's statements, prepared once in Open.
type statements struct {
	get, find, history, changes *sql.Stmt
}

func (st *statements) prepare(ctx context.Context, reader *sql.DB) error {
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.get, sqlGet},
		{&st.find, `SELECT ` + recordColumns + ` FROM keys f JOIN records r ON r.type = f.type AND r.id = f.id
			WHERE f.type = ? AND f.name = ? AND f.value = ?`},
		{&st.history, sqlHistory},
		{&st.changes, `SELECT pos, type, id, version, time, kind, actor, client, changes FROM events
			WHERE pos > max(?, (SELECT pos FROM feed_floor)) AND trimmed IS NULL ORDER BY pos LIMIT ?`},
	}
	for _, p := range list {
		stmt, err := reader.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("storage/sqlite: prepare: %w", err)
		}
		*p.dst = stmt
	}
	return nil
}

func (st *statements) close() {
	for _, s := range []*sql.Stmt{st.get, st.find, st.history, st.changes} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// The statements: sqlGet and sqlHistory are the reader's (statements.prepare);
// the rest are the writer's (see writerConn), each prepared on first use.
const (
	sqlGet = `SELECT ` + recordColumns + ` FROM records r WHERE r.type = ? AND r.id = ?`
	// sqlGetLast is sqlGet with the position of the record's newest
	// event, which its next event links to.
	sqlGetLast      = `SELECT ` + recordColumns + `, r.last FROM records r WHERE r.type = ? AND r.id = ?`
	sqlInsertRecord = `INSERT INTO records (type, id, version, created, updated, state, doc, secrets, pending, first, last)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?10, ?10)`
	sqlUpdateRecord = `UPDATE records SET version = ?, updated = ?, state = ?, doc = ?, secrets = ?, pending = ?, last = ?
		WHERE type = ? AND id = ?`
	sqlDeleteRecord = `DELETE FROM records WHERE type = ? AND id = ?`
	sqlInsertKey    = `INSERT INTO keys (type, name, value, id) VALUES (?, ?, ?, ?)`
	sqlDeleteKey    = `DELETE FROM keys WHERE type = ? AND name = ? AND value = ?`
	sqlInsertTerm   = `INSERT INTO terms (type, name, value, id) VALUES (?, ?, ?, ?)`
	sqlDeleteTerm   = `DELETE FROM terms WHERE type = ? AND name = ? AND value = ? AND id = ?`
	sqlHolder       = `SELECT k.id, r.state FROM keys k JOIN records r ON r.type = k.type AND r.id = k.id
		WHERE k.type = ? AND k.name = ? AND k.value = ?`
	// sqlInsertEvent appends an event, a feed entry and, with prev set or
	// as a create, a link of the record's history.
	sqlInsertEvent = `INSERT INTO events (type, id, version, time, kind, actor, client, changes, prev)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlStamp = `SELECT version, created, updated, last FROM records WHERE type = ? AND id = ?`
	// sqlDropTrimmedHistory deletes the events of the chain ending at
	// ?1 whose feed entries were trimmed: once the record is deleted they
	// are neither history nor feed.
	sqlDropTrimmedHistory = `WITH RECURSIVE chain(pos) AS (
			SELECT ?1
			UNION ALL SELECT e.prev FROM chain c JOIN events e ON e.pos = c.pos WHERE e.prev IS NOT NULL)
		DELETE FROM events WHERE pos IN (SELECT pos FROM chain) AND trimmed IS NOT NULL`
	sqlNextValue = `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`
)

// sqlHistory reads a record's events newest first, walking the chain of
// prev links from the record's newest event: a point lookup per event.
const sqlHistory = `WITH RECURSIVE chain(version, time, kind, actor, client, changes, prev) AS (
		SELECT e.version, e.time, e.kind, e.actor, e.client, e.changes, e.prev
			FROM records r JOIN events e ON e.pos = r.last WHERE r.type = ? AND r.id = ?
		UNION ALL
		SELECT e.version, e.time, e.kind, e.actor, e.client, e.changes, e.prev
			FROM chain c JOIN events e ON e.pos = c.prev)
	SELECT version, time, kind, actor, client, changes FROM chain`
