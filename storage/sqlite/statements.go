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
		{&st.history, `SELECT version, time, kind, actor, client, changes FROM events
			WHERE type = ? AND id = ? ORDER BY version`},
		{&st.changes, `SELECT pos, type, id, version, time, kind, actor, client, changes FROM feed
			WHERE pos > ? ORDER BY pos LIMIT ?`},
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

// The writer's statements (see writerConn), each prepared on first use.
const (
	sqlGet          = `SELECT ` + recordColumns + ` FROM records r WHERE r.type = ? AND r.id = ?`
	sqlInsertRecord = `INSERT INTO records (type, id, version, created, updated, state, doc, secrets, pending)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateRecord = `UPDATE records SET version = ?, updated = ?, state = ?, doc = ?, secrets = ?, pending = ?
		WHERE type = ? AND id = ?`
	sqlDeleteRecord = `DELETE FROM records WHERE type = ? AND id = ?`
	sqlInsertKey    = `INSERT INTO keys (type, name, value, id) VALUES (?, ?, ?, ?)`
	sqlDeleteKey    = `DELETE FROM keys WHERE type = ? AND name = ? AND value = ?`
	sqlInsertTerm   = `INSERT INTO terms (type, name, value, id) VALUES (?, ?, ?, ?)`
	sqlDeleteTerm   = `DELETE FROM terms WHERE type = ? AND name = ? AND value = ? AND id = ?`
	sqlHolder       = `SELECT k.id, r.state FROM keys k JOIN records r ON r.type = k.type AND r.id = k.id
		WHERE k.type = ? AND k.name = ? AND k.value = ?`
	sqlInsertEvent = `INSERT INTO events (type, id, version, time, kind, actor, client, changes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertFeed = `INSERT INTO feed (type, id, version, time, kind, actor, client, changes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	sqlStamp     = `SELECT version, created, updated FROM records WHERE type = ? AND id = ?`
	sqlNextValue = `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`
)
