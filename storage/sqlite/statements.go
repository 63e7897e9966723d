package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are prepared once in Open. Writer statements run inside a
// transaction through tx.StmtContext, which reuses the preparation because
// the writer has a single connection.
type statements struct {
	// reader
	get, find, history *sql.Stmt
	// writer
	lock, insertRecord, updateRecord, deleteRecord *sql.Stmt
	insertKey, deleteKey, holder, insertEvent      *sql.Stmt
	insertTerm, deleteTerm                         *sql.Stmt
	// change feed, conditional delete and counters (feed.go)
	insertFeed, stamp, nextValue *sql.Stmt // writer
	dataVersion                  *sql.Stmt // writer (batch.go)
	changes                      *sql.Stmt // reader
}

func (st *statements) prepare(ctx context.Context, writer, reader *sql.DB) error {
	list := []struct {
		dst   **sql.Stmt
		db    *sql.DB
		query string
	}{
		{&st.get, reader, `SELECT ` + recordColumns + ` FROM records r WHERE r.type = ? AND r.id = ?`},
		{&st.find, reader, `SELECT ` + recordColumns + ` FROM keys f JOIN records r ON r.type = f.type AND r.id = f.id
			WHERE f.type = ? AND f.name = ? AND f.value = ?`},
		{&st.history, reader, `SELECT version, time, kind, actor, client, changes FROM events
			WHERE type = ? AND id = ? ORDER BY version`},
		{&st.lock, writer, `SELECT ` + recordColumns + ` FROM records r WHERE r.type = ? AND r.id = ?`},
		{&st.insertRecord, writer, `INSERT INTO records (type, id, version, created, updated, state, doc, secrets, pending)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.updateRecord, writer, `UPDATE records SET version = ?, updated = ?, state = ?, doc = ?, secrets = ?, pending = ?
			WHERE type = ? AND id = ?`},
		{&st.deleteRecord, writer, `DELETE FROM records WHERE type = ? AND id = ?`},
		{&st.insertKey, writer, `INSERT INTO keys (type, name, value, id) VALUES (?, ?, ?, ?)`},
		{&st.deleteKey, writer, `DELETE FROM keys WHERE type = ? AND name = ? AND value = ?`},
		{&st.insertTerm, writer, `INSERT INTO terms (type, name, value, id) VALUES (?, ?, ?, ?)`},
		{&st.deleteTerm, writer, `DELETE FROM terms WHERE type = ? AND name = ? AND value = ? AND id = ?`},
		{&st.holder, writer, `SELECT k.id, r.state FROM keys k JOIN records r ON r.type = k.type AND r.id = k.id
			WHERE k.type = ? AND k.name = ? AND k.value = ?`},
		{&st.insertEvent, writer, `INSERT INTO events (type, id, version, time, kind, actor, client, changes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertFeed, writer, `INSERT INTO feed (type, id, version, time, kind, actor, client, changes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.stamp, writer, `SELECT version, created, updated FROM records WHERE type = ? AND id = ?`},
		{&st.nextValue, writer, `INSERT INTO counters (name, value) VALUES (?, 1)
			ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`},
		{&st.dataVersion, writer, `PRAGMA data_version`},
		{&st.changes, reader, `SELECT pos, type, id, version, time, kind, actor, client, changes FROM feed
			WHERE pos > ? ORDER BY pos LIMIT ?`},
	}
	for _, p := range list {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("storage/sqlite: prepare: %w", err)
		}
		*p.dst = stmt
	}
	return nil
}

func (st *statements) close() {
	for _, s := range []*sql.Stmt{st.get, st.find, st.history, st.lock, st.insertRecord, st.updateRecord,
		st.deleteRecord, st.insertKey, st.deleteKey, st.holder, st.insertEvent, st.insertTerm, st.deleteTerm,
		st.insertFeed, st.stamp, st.nextValue, st.dataVersion, st.changes} {
		if s != nil {
			_ = s.Close()
		}
	}
}
