package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// timeLayout is RFC 3339 with a fixed nine-digit fraction: exact to the
// nanosecond, and in UTC it sorts as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage/sqlite: stored time %q: %w", s, err)
	}
	return t, nil
}

// encodeJSON encodes v, or returns nil (SQL NULL) when empty reports that
// there is nothing to keep. HTML characters are not escaped: the store is
// not a web page, and escaping <, > and & only costs bytes.
func encodeJSON(v any, empty bool) (any, error) {
	if empty {
		return nil, nil
	}
	text, err := encodeText(func(dst []byte) ([]byte, error) { return appendJSON(dst, v) })
	if err != nil {
		return nil, err
	}
	return text, nil
}

// decodeJSON decodes a stored column into v, keeping numbers as json.Number.
// A NULL column leaves v alone.
func decodeJSON(col sql.NullString, v any) error {
	if !col.Valid {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(col.String))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("storage/sqlite: decode stored JSON: %w", err)
	}
	return nil
}

// recordColumns selects everything scanRecord reads, with the record's keys
// and terms gathered by subqueries, so one statement reads a consistent
// record.
const recordColumns = `r.type, r.id, r.version, r.created, r.updated, r.state, r.doc, r.secrets, r.pending,
	(SELECT json_group_array(json_array(k.name, k.value)) FROM keys k WHERE k.type = r.type AND k.id = r.id),
	(SELECT json_group_array(json_array(t.name, t.value)) FROM terms t WHERE t.type = r.type AND t.id = r.id)`

type scanner interface{ Scan(dest ...any) error }

// withLast scans a row of recordColumns followed by records.last.
type withLast struct {
	row  scanner
	last *sql.NullInt64
}

func (w withLast) Scan(dest ...any) error { return w.row.Scan(append(dest, w.last)...) }

// scanRecord reads one row of recordColumns, decoding each JSON column once.
func scanRecord(row scanner) (*storage.Record, error) {
	var (
		rec                     storage.Record
		version                 int64
		created, updated, state string
		doc, secrets, pending   sql.NullString
		k, t                    sql.NullString
	)
	if err := row.Scan(&rec.Type, &rec.ID, &version, &created, &updated, &state, &doc, &secrets, &pending, &k, &t); err != nil {
		return nil, err
	}
	rec.Version = uint64(version)
	rec.State = storage.RecordState(state)
	var err error
	if rec.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if rec.Updated, err = parseTime(updated); err != nil {
		return nil, err
	}
	if err := decodeJSON(doc, &rec.Doc); err != nil {
		return nil, err
	}
	if err := decodeJSON(secrets, &rec.Secrets); err != nil {
		return nil, err
	}
	var challenges []verify.Challenge
	if err := decodeJSON(pending, &challenges); err != nil {
		return nil, err
	}
	rec.Pending = challenges
	if rec.Keys, err = decodePairs(k); err != nil {
		return nil, err
	}
	if rec.Terms, err = decodePairs(t); err != nil {
		return nil, err
	}
	return &rec, nil
}

// decodePairs decodes a JSON array of [name, value] pairs into keys; an
// empty array or NULL gives nil.
func decodePairs(text sql.NullString) ([]storage.Key, error) {
	var pairs [][2]string
	if err := decodeJSON(text, &pairs); err != nil {
		return nil, err
	}
	var keys []storage.Key
	for _, p := range pairs {
		keys = append(keys, storage.Key{Name: p[0], Value: p[1]})
	}
	return keys, nil
}

// encodedRecord holds the column values of a record ready to be written.
type encodedRecord struct {
	doc              docText
	secrets, pending any
}

// encodeRecord encodes rec's columns; prev, if not nil, is the text of the
// stored version rec replaces (see encodeDoc).
func encodeRecord(rec *storage.Record, prev *docText) (encodedRecord, error) {
	var e encodedRecord
	var err error
	if e.doc, err = encodeDoc(rec.Doc, prev); err != nil {
		return e, err
	}
	if e.secrets, err = encodeJSON(rec.Secrets, len(rec.Secrets) == 0); err != nil {
		return e, err
	}
	if e.pending, err = encodeJSON(rec.Pending, len(rec.Pending) == 0); err != nil {
		return e, err
	}
	return e, nil
}
