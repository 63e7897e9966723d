package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/idupdate/idupdate/storage"
)

// writerConn is the Store's one writer connection, used through the
// driver directly rather than through database/sql: every write of the
// process runs on it, one transaction at a time (batch.go), so
// database/sql's pool, transaction object, context watching and per-call
// conversions buy nothing there and cost a few microseconds a statement.
// Every statement it runs, BEGIN and COMMIT included, is prepared once on
// the connection and kept.
type writerConn struct {
	conn  *sql.Conn // pinned: the writer pool's only connection
	stmts map[string]driver.Stmt
	// dc is the driver connection while a use (do) is running.
	dc driver.ConnPrepareContext
}

// Statements the writer runs for itself.
const (
	sqlBegin       = `BEGIN IMMEDIATE`
	sqlCommit      = `COMMIT`
	sqlRollback    = `ROLLBACK`
	sqlDataVersion = `PRAGMA data_version`
)

func newWriterConn(ctx context.Context, db *sql.DB) (*writerConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &writerConn{conn: conn, stmts: make(map[string]driver.Stmt)}, nil
}

// do runs f with the driver connection held. Only one do runs at a time:
// the batcher's leader, or Close.
func (w *writerConn) do(f func() error) error {
	return w.conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("storage/sqlite: driver connection %T cannot prepare statements", dc)
		}
		w.dc = pc
		defer func() { w.dc = nil }()
		return f()
	})
}

// prepare returns the statement for query, preparing it on first use.
// The statements are kept for the life of the connection, one per query
// text, so queries must be constants of the package, never built from
// input.
func (w *writerConn) prepare(query string) (driver.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.dc.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

// exec runs query with args and returns how many rows it changed.
func (w *writerConn) exec(query string, args ...any) (int64, error) {
	res, err := w.run(query, args)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// insert runs the INSERT query with args and returns the rowid of the row
// it added.
func (w *writerConn) insert(query string, args ...any) (int64, error) {
	res, err := w.run(query, args)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// bind returns the statement for query (see prepare) and args converted
// for it (see namedValues).
func (w *writerConn) bind(query string, args []any) (driver.Stmt, []driver.NamedValue, error) {
	st, err := w.prepare(query)
	if err != nil {
		return nil, nil, err
	}
	named, err := namedValues(args)
	return st, named, err
}

// run executes the statement query with args.
func (w *writerConn) run(query string, args []any) (driver.Result, error) {
	st, named, err := w.bind(query, args)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext).ExecContext(context.Background(), named)
}

// queryRow runs query with args and returns its first row, whose Scan
// gives sql.ErrNoRows if there is none.
func (w *writerConn) queryRow(query string, args ...any) *row {
	st, named, err := w.bind(query, args)
	if err != nil {
		return &row{err: err}
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), named)
	if err != nil {
		return &row{err: err}
	}
	r := &row{vals: make([]driver.Value, len(rows.Columns()))}
	if err := rows.Next(r.vals); err != nil {
		r.err = err
		if errors.Is(err, io.EOF) {
			r.err = sql.ErrNoRows
		}
	}
	if err := rows.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return r
}

// close finalizes the statements; the caller closes the connection.
func (w *writerConn) close() error {
	var errs []error
	for q, st := range w.stmts {
		errs = append(errs, st.Close())
		delete(w.stmts, q)
	}
	return errors.Join(errs...)
}

// namedValues converts arguments as database/sql would: the driver's own
// value types as they are, other integers and the like to theirs.
func namedValues(args []any) ([]driver.NamedValue, error) {
	if len(args) == 0 {
		return nil, nil
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: argument %d: %w", i+1, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return named, nil
}

// row is one row of a writer query, scanned like database/sql's Row for
// the destination types the store uses.
type row struct {
	vals []driver.Value
	err  error
}

// Scan copies the row's columns into dest.
func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if len(dest) != len(r.vals) {
		return fmt.Errorf("storage/sqlite: scan: %d destinations for %d columns", len(dest), len(r.vals))
	}
	for i, d := range dest {
		if err := assign(d, r.vals[i]); err != nil {
			return fmt.Errorf("storage/sqlite: scan column %d: %w", i, err)
		}
	}
	return nil
}

// assign stores the driver value v in dest.
func assign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case *string:
		switch v := v.(type) {
		case string:
			*d = v
			return nil
		case []byte:
			*d = string(v)
			return nil
		}
	case *sql.NullString:
		switch v := v.(type) {
		case nil:
			*d = sql.NullString{}
			return nil
		case string:
			*d = sql.NullString{String: v, Valid: true}
			return nil
		case []byte:
			*d = sql.NullString{String: string(v), Valid: true}
			return nil
		}
	case *int64:
		if v, ok := v.(int64); ok {
			*d = v
			return nil
		}
	case *sql.NullInt64:
		switch v := v.(type) {
		case nil:
			*d = sql.NullInt64{}
			return nil
		case int64:
			*d = sql.NullInt64{Int64: v, Valid: true}
			return nil
		}
	case *float64:
		switch v := v.(type) {
		case float64:
			*d = v
			return nil
		case int64:
			*d = float64(v)
			return nil
		}
	case *bool:
		if v, ok := v.(int64); ok {
			*d = v != 0
			return nil
		}
	case *[]byte:
		switch v := v.(type) {
		case []byte:
			*d = v // the driver's own copy
			return nil
		case string:
			*d = []byte(v)
			return nil
		case nil:
			*d = nil
			return nil
		}
	}
	return fmt.Errorf("cannot store %T in %T", v, dest)
}

// wtx is the write transaction a writeFunc runs in: the writer connection
// inside BEGIN IMMEDIATE, with the writer's cache of records as of the
// transaction's start (see recordCache).
type wtx struct {
	w     *writerConn
	cache *txCache
}

// exec runs a statement of the transaction and returns how many rows it
// changed.
func (tx *wtx) exec(query string, args ...any) (int64, error) { return tx.w.exec(query, args...) }

// insert runs an INSERT of the transaction and returns the new rowid.
func (tx *wtx) insert(query string, args ...any) (int64, error) { return tx.w.insert(query, args...) }

// queryRow runs a query of the transaction; see writerConn.queryRow.
func (tx *wtx) queryRow(query string, args ...any) *row { return tx.w.queryRow(query, args...) }

// remember notes rec, just written with the column values enc and its
// newest event at position last, for the record cache.
func (tx *wtx) remember(rec *storage.Record, enc encodedRecord, last int64) error {
	c, err := cachedRecord(rec, enc)
	if err != nil {
		return err
	}
	tx.cache.wrote(rec.Type, rec.ID, cacheEntry{rec: c, last: last, doc: enc.doc})
	return nil
}

// begin starts a write transaction and reads data_version in it.
func (w *writerConn) begin() (dataVersion int64, err error) {
	if _, err := w.exec(sqlBegin); err != nil {
		return 0, err
	}
	if err := w.queryRow(sqlDataVersion).Scan(&dataVersion); err != nil {
		w.rollback()
		return 0, err
	}
	return dataVersion, nil
}

// commit commits the transaction. If the COMMIT fails and leaves the
// transaction open, commit rolls it back, so the connection is clean for
// the next one.
func (w *writerConn) commit() error {
	_, err := w.exec(sqlCommit)
	if err != nil {
		w.rollback()
	}
	return err
}

// rollback ends the transaction, if one is open. Its error is of no use:
// SQLite may have rolled back already (after an I/O error, a full disk).
func (w *writerConn) rollback() { _, _ = w.exec(sqlRollback) }
