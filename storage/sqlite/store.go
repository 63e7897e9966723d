package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/internal/keyset"
)

// Create implements storage.Store. It stores Version 1 and sets Updated to
// ev.Time; Created keeps rec.Created if set and is ev.Time otherwise.
func (s *Store) Create(ctx context.Context, rec *storage.Record, ev storage.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	stored := *rec
	stored.Version, stored.Updated = 1, ev.Time
	if stored.Created.IsZero() {
		stored.Created = ev.Time
	}
	ev.Version = 1
	enc, err := encodeRecord(&stored, nil)
	if err != nil {
		return err
	}
	changes, err := encodeJSON(ev.Changes, len(ev.Changes) == 0)
	if err != nil {
		return err
	}

	return s.write(ctx, func(tx *wtx) error {
		// The create event comes first, for the record to point at; a
		// record that exists already rolls it back with the rest.
		pos, err := appendEvent(tx, stored.Type, stored.ID, ev, changes, nil)
		if err != nil {
			return err
		}
		_, err = tx.exec(sqlInsertRecord,
			stored.Type, stored.ID, 1, formatTime(stored.Created), formatTime(stored.Updated),
			string(stored.State), enc.doc.text, enc.secrets, enc.pending, pos)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("storage/sqlite: create %s %q: %w", stored.Type, stored.ID, storage.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("storage/sqlite: create %s %q: %w", stored.Type, stored.ID, err)
		}
		if err := addKeys(tx, stored.Type, stored.ID, stored.Keys); err != nil {
			return err
		}
		if err := changeTerms(tx, stored.Type, stored.ID, nil, stored.Terms); err != nil {
			return err
		}
		return tx.remember(&stored, enc, pos)
	})
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, typ, id string) (*storage.Record, error) {
	rec, err := scanRecord(s.stmt.get.QueryRowContext(ctx, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage/sqlite: get %s %q: %w", typ, id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: get %s %q: %w", typ, id, err)
	}
	return rec, nil
}

// Find implements storage.Store.
func (s *Store) Find(ctx context.Context, typ string, key storage.Key) (*storage.Record, error) {
	rec, err := scanRecord(s.stmt.find.QueryRowContext(ctx, typ, key.Name, key.Value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage/sqlite: find %s %s: %w", typ, key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: find %s %s: %w", typ, key, err)
	}
	return rec, nil
}

// Update implements storage.Store. fn runs exactly once, inside the write
// transaction, so it holds up other writers while it runs. The store owns
// Type, ID, Version, Created and Updated: whatever fn sets there is replaced.
func (s *Store) Update(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var result *storage.Record
	err := s.write(ctx, func(tx *wtx) (err error) {
		result, err = updateTx(tx, typ, id, fn)
		return err
	})
	if errors.Is(err, errNothingToWrite) {
		return result, nil
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// updateTx is the write of Update inside tx. An updater that returns no
// event makes it return the stored record and errNothingToWrite. It
// enters the record in the cache (tx.remember) only as its last step,
// once everything is written: a write it refuses leaves nothing staged.
func updateTx(tx *wtx, typ, id string, fn storage.Updater) (*storage.Record, error) {
	old, last, prev := tx.cache.get(typ, id)
	if old == nil {
		var err error
		old, err = scanRecord(withLast{tx.queryRow(sqlGetLast, typ, id), &last})
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("storage/sqlite: update %s %q: %w", typ, id, storage.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: update %s %q: %w", typ, id, err)
		}
	}
	work := *old
	ev, err := fn(&work)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return old, errNothingToWrite
	}
	next := work
	next.Type, next.ID, next.Created = old.Type, old.ID, old.Created
	next.Version, next.Updated = old.Version+1, ev.Time
	if err := next.Validate(); err != nil {
		return nil, fmt.Errorf("storage/sqlite: update %s %q: %w", typ, id, err)
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("storage/sqlite: update %s %q: %w", typ, id, err)
	}
	event := *ev
	event.Version = next.Version
	if err := store(tx, old, last, prev, &next, event); err != nil {
		return nil, err
	}
	return &next, nil
}

// errNothingToWrite rolls back the transaction of an update whose updater
// returned no event.
var errNothingToWrite = errors.New("nothing to write")

// store writes next over old, whose newest event is at position last and
// whose document's text is prev (nil: not at hand): the difference
// between their key and term sets, the event, linked to last, and the
// row, pointing at the event.
func store(tx *wtx, old *storage.Record, last sql.NullInt64, prev *docText, next *storage.Record, ev storage.Event) error {
	enc, err := encodeRecord(next, prev)
	if err != nil {
		return err
	}
	changes, err := encodeJSON(ev.Changes, len(ev.Changes) == 0)
	if err != nil {
		return err
	}
	added, removed := keyset.Diff(old.Keys, next.Keys)
	for _, k := range removed {
		if _, err := tx.exec(sqlDeleteKey, next.Type, k.Name, k.Value); err != nil {
			return fmt.Errorf("storage/sqlite: drop key %s: %w", k, err)
		}
	}
	if err := addKeys(tx, next.Type, next.ID, added); err != nil {
		return err
	}
	if err := changeTerms(tx, next.Type, next.ID, old.Terms, next.Terms); err != nil {
		return err
	}
	var link any // NULL when the record has no event to link to
	if last.Valid {
		link = last.Int64
	}
	pos, err := appendEvent(tx, next.Type, next.ID, ev, changes, link)
	if err != nil {
		return err
	}
	if _, err := tx.exec(sqlUpdateRecord,
		int64(next.Version), formatTime(next.Updated), string(next.State), enc.doc.text, enc.secrets, enc.pending, pos,
		next.Type, next.ID); err != nil {
		return fmt.Errorf("storage/sqlite: update %s %q: %w", next.Type, next.ID, err)
	}
	return tx.remember(next, enc, pos)
}

// changeTerms moves the record's index terms from old to next, touching
// only the terms that differ.
func changeTerms(tx *wtx, typ, id string, old, next []storage.Key) error {
	added, removed := keyset.Diff(old, next)
	for _, k := range removed {
		if _, err := tx.exec(sqlDeleteTerm, typ, k.Name, k.Value, id); err != nil {
			return fmt.Errorf("storage/sqlite: drop term %s: %w", k, err)
		}
	}
	for _, k := range added {
		if _, err := tx.exec(sqlInsertTerm, typ, k.Name, k.Value, id); err != nil {
			return fmt.Errorf("storage/sqlite: add term %s: %w", k, err)
		}
	}
	return nil
}

// addKeys indexes keys for the record, translating a clash on the primary
// key into a *storage.NotUniqueError naming the holder.
func addKeys(tx *wtx, typ, id string, keys []storage.Key) error {
	for _, k := range keys {
		_, err := tx.exec(sqlInsertKey, typ, k.Name, k.Value, id)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return notUnique(tx, typ, k)
		}
		if err != nil {
			return fmt.Errorf("storage/sqlite: add key %s: %w", k, err)
		}
	}
	return nil
}

func notUnique(tx *wtx, typ string, k storage.Key) error {
	var holder, state string
	if err := tx.queryRow(sqlHolder, typ, k.Name, k.Value).Scan(&holder, &state); err != nil {
		return fmt.Errorf("storage/sqlite: look up holder of %s: %w", k, err)
	}
	return &storage.NotUniqueError{Key: k, HolderID: holder, HolderState: storage.RecordState(state)}
}

// appendEvent appends ev of the record, linked to the record's previous
// event at prev (nil: none), and returns its position.
func appendEvent(tx *wtx, typ, id string, ev storage.Event, changes, prev any) (int64, error) {
	pos, err := tx.insert(sqlInsertEvent,
		typ, id, int64(ev.Version), formatTime(ev.Time), ev.Kind, ev.Actor, ev.Client, changes, prev)
	if err != nil {
		return 0, fmt.Errorf("storage/sqlite: append event %d of %s %q: %w", ev.Version, typ, id, err)
	}
	return pos, nil
}

// Delete implements storage.Store. Keys and terms go with the record
// through ON DELETE CASCADE, and its history with it (see DeleteIf); the
// feed gets an entry of Kind storage.DeleteKind.
func (s *Store) Delete(ctx context.Context, typ, id string) error {
	return s.DeleteIf(ctx, typ, id, storage.Expect{}, storage.Event{})
}

// History implements storage.Store. It walks the record's events from
// its newest back to its create event, in one statement and so one
// snapshot, and returns them oldest first.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Event, error) {
	rows, err := s.stmt.history.QueryContext(ctx, typ, id)
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: history %s %q: %w", typ, id, err)
	}
	defer rows.Close()
	var out []storage.Event
	for rows.Next() {
		var (
			ev       storage.Event
			version  int64
			at       string
			changes  sql.NullString
			decodeTo []storage.Change
		)
		if err := rows.Scan(&version, &at, &ev.Kind, &ev.Actor, &ev.Client, &changes); err != nil {
			return nil, fmt.Errorf("storage/sqlite: history %s %q: %w", typ, id, err)
		}
		ev.Version = uint64(version)
		if ev.Time, err = parseTime(at); err != nil {
			return nil, err
		}
		if err := decodeJSON(changes, &decodeTo); err != nil {
			return nil, err
		}
		ev.Changes = decodeTo
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage/sqlite: history %s %q: %w", typ, id, err)
	}
	// Every record has its create event, so no rows means no record.
	if len(out) == 0 {
		return nil, fmt.Errorf("storage/sqlite: history %s %q: %w", typ, id, storage.ErrNotFound)
	}
	slices.Reverse(out)
	return out, nil
}

// write runs fn in an IMMEDIATE transaction on the writer connection,
// which it may share with other writers (see batch.go), and returns once
// that transaction is durable. fn's error rolls back fn's work only and is
// returned. fn gets the context its statements must use; it is not the
// caller's. A ctx that ends before fn's work joins the transaction rolls it
// back and returns ctx.Err().
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	return s.batch.do(ctx, fn)
}
