package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// splitTime splits t into the microseconds a timestamptz holds and the
// nanoseconds below them, which go to a column of their own.
func splitTime(t time.Time) (time.Time, int16) {
	nanos := t.Nanosecond() % 1000
	return t.Add(-time.Duration(nanos)).Round(0), int16(nanos)
}

// joinTime undoes splitTime. Times read back in UTC without a monotonic
// reading, so equal instants compare equal with ==.
func joinTime(t time.Time, nanos int16) time.Time {
	return t.UTC().Add(time.Duration(nanos))
}

// normTime is what joinTime(splitTime(t)) returns, without the round trip.
func normTime(t time.Time) time.Time { return t.Round(0).UTC() }

// encodeJSON encodes v compactly without HTML escaping, so raw JSON values
// inside v (a challenge's Value) keep their bytes.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeJSON decodes data into v keeping numbers as json.Number, so no
// number loses precision on the way through float64.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// encodedRecord is a record's JSON columns, each encoded once.
type encodedRecord struct {
	doc, secrets, pending []byte // secrets and pending nil for SQL NULL
}

func (s *Store) encodeRecord(rec *storage.Record) (encodedRecord, error) {
	var e encodedRecord
	var err error
	doc := rec.Doc
	if doc == nil {
		doc = map[string]any{}
	}
	if e.doc, err = encodeJSON(doc); err != nil {
		return e, fmt.Errorf("%w: doc: %v", storage.ErrInvalid, err)
	}
	if len(rec.Secrets) > 0 {
		if e.secrets, err = encodeJSON(rec.Secrets); err != nil {
			return e, fmt.Errorf("%w: secrets: %v", storage.ErrInvalid, err)
		}
	}
	if len(rec.Pending) > 0 {
		if e.pending, err = encodeJSON(rec.Pending); err != nil {
			return e, fmt.Errorf("%w: pending: %v", storage.ErrInvalid, err)
		}
	}
	if n := len(e.doc) + len(e.secrets) + len(e.pending); n > s.opts.maxRecordBytes {
		return e, fmt.Errorf("%w: record is %d bytes encoded, more than the limit of %d", storage.ErrInvalid, n, s.opts.maxRecordBytes)
	}
	return e, nil
}

// maxEventText bounds an event's Kind, Actor and Client, which are labels,
// not payload.
const maxEventText = 1024

func (s *Store) encodeChanges(ev *storage.Event) ([]byte, error) {
	for _, f := range []struct{ name, v string }{{"kind", ev.Kind}, {"actor", ev.Actor}, {"client", ev.Client}} {
		if len(f.v) > maxEventText || !validText(f.v) {
			return nil, fmt.Errorf("%w: event %s must be at most %d bytes of UTF-8 without NUL", storage.ErrInvalid, f.name, maxEventText)
		}
	}
	if len(ev.Changes) == 0 {
		return nil, nil
	}
	b, err := encodeJSON(ev.Changes)
	if err != nil {
		return nil, fmt.Errorf("%w: event changes: %v", storage.ErrInvalid, err)
	}
	if len(b) > s.opts.maxRecordBytes {
		return nil, fmt.Errorf("%w: event changes are %d bytes encoded, more than the limit of %d", storage.ErrInvalid, len(b), s.opts.maxRecordBytes)
	}
	return b, nil
}

// checkRecordText rejects what Record.Validate allows but a text column
// cannot hold.
func checkRecordText(rec *storage.Record) error {
	if !validText(rec.Type) || !validText(rec.ID) {
		return fmt.Errorf("%w: type and id must be UTF-8 without NUL", storage.ErrInvalid)
	}
	for _, k := range rec.Keys {
		if !validText(k.Name) || !validText(k.Value) {
			return fmt.Errorf("%w: key %q: name and value must be UTF-8 without NUL", storage.ErrInvalid, k.Name)
		}
	}
	for _, k := range rec.Terms {
		if !validText(k.Name) || !validText(k.Value) {
			return fmt.Errorf("%w: term %q: name and value must be UTF-8 without NUL", storage.ErrInvalid, k.Name)
		}
	}
	return nil
}

// scanRecord reads one row of recordColumns, followed by the two key arrays
// of recordKeys and the two term arrays of recordTerms when withKeys is set. pgx.ErrNoRows becomes
// storage.ErrNotFound.
func scanRecord(row pgx.Row, withKeys bool) (*storage.Record, error) {
	var (
		rec                        storage.Record
		version                    int64
		created, updated           time.Time
		createdNanos, updatedNanos int16
		state                      string
		doc, secrets, pending      []byte
		names, values              []string
		termNames, termValues      []string
	)
	dest := []any{&rec.Type, &rec.ID, &version, &created, &createdNanos, &updated, &updatedNanos,
		&state, &doc, &secrets, &pending}
	if withKeys {
		dest = append(dest, &names, &values, &termNames, &termValues)
	}
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, storage.ErrNotFound
		}
		return nil, err
	}
	rec.Version = uint64(version)
	rec.Created = joinTime(created, createdNanos)
	rec.Updated = joinTime(updated, updatedNanos)
	rec.State = storage.RecordState(state)
	if err := decodeJSON(doc, &rec.Doc); err != nil {
		return nil, fmt.Errorf("decode doc: %w", err)
	}
	if secrets != nil {
		if err := decodeJSON(secrets, &rec.Secrets); err != nil {
			return nil, fmt.Errorf("decode secrets: %w", err)
		}
	}
	if pending != nil {
		var p []verify.Challenge
		if err := decodeJSON(pending, &p); err != nil {
			return nil, fmt.Errorf("decode pending: %w", err)
		}
		rec.Pending = p
	}
	if withKeys {
		if len(names) != len(values) {
			return nil, fmt.Errorf("read keys: %d names, %d values", len(names), len(values))
		}
		rec.Keys = zipKeys(names, values)
		if len(termNames) != len(termValues) {
			return nil, fmt.Errorf("read terms: %d names, %d values", len(termNames), len(termValues))
		}
		rec.Terms = zipKeys(termNames, termValues)
	}
	return &rec, nil
}

func scanEvent(row pgx.Row) (storage.Event, error) {
	var (
		ev      storage.Event
		version int64
		t       time.Time
		nanos   int16
		changes []byte
	)
	if err := row.Scan(&version, &t, &nanos, &ev.Kind, &ev.Actor, &ev.Client, &changes); err != nil {
		return ev, err
	}
	ev.Version = uint64(version)
	ev.Time = joinTime(t, nanos)
	if changes != nil {
		if err := decodeJSON(changes, &ev.Changes); err != nil {
			return ev, fmt.Errorf("decode changes of version %d: %w", version, err)
		}
	}
	return ev, nil
}

func zipKeys(names, values []string) []storage.Key {
	if len(names) == 0 {
		return nil
	}
	keys := make([]storage.Key, len(names))
	for i := range names {
		keys[i] = storage.Key{Name: names[i], Value: values[i]}
	}
	return keys
}

// unzipKeys returns the parallel name and value arrays the key statements
// take.
func unzipKeys(keys []storage.Key) (names, values []string) {
	names = make([]string, len(keys))
	values = make([]string, len(keys))
	for i, k := range keys {
		names[i], values[i] = k.Name, k.Value
	}
	return names, values
}
