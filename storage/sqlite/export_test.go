package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// DSN exposes the connection string Open uses for the writer, so the
// baseline benchmark runs on exactly the same driver settings.
func DSN(path string, opts ...Option) string {
	cfg := config{synchronous: "FULL", mmapSize: DefaultMmapSize}
	for _, o := range opts {
		o(&cfg)
	}
	return dsn(path, cfg, false)
}

// HoldWrites makes the store's group commit behave as if a batch were in
// flight, so that writes queue in the order they arrive; release lets the
// oldest lead a batch of them. The store must have no write in flight.
func HoldWrites(s *Store) (release func()) {
	b := s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy {
		panic("HoldWrites: a write is in flight")
	}
	b.busy = true
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.promoteLocked()
	}
}

// QueuedWrites returns how many writes wait for the next batch.
func QueuedWrites(s *Store) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.queue)
}

// BatchCounts returns how many transactions the store's writes ran in, and
// how many writes those carried.
func BatchCounts(s *Store) (batches, writes uint64) {
	return s.batch.batches.Load(), s.batch.writes.Load()
}

// WriteRaw runs fn as one write of the store, through group commit; fn
// runs its statements with exec.
func WriteRaw(ctx context.Context, s *Store, fn func(exec func(query string, args ...any) error) error) error {
	return s.write(ctx, func(tx *wtx) error {
		return fn(func(query string, args ...any) error {
			_, err := tx.exec(query, args...)
			return err
		})
	})
}

// MigrateTo creates the file at path with the first version migrations
// only, as an older release left it.
func MigrateTo(path string, version int) error {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	all, err := migrations()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		return err
	}
	for _, m := range all[:version] {
		if err := apply(ctx, db, m, version, time.Now); err != nil {
			return err
		}
	}
	return nil
}

// ListSQL returns the statement List runs for the first page of q and its
// parameters.
func ListSQL(q storage.Query) (string, []any) {
	c, _ := listQuery(&q, nil)
	return c.sql.String(), c.args
}

// CachedRecord returns the writer's cached record, or nil. The store must
// have no write in flight.
func CachedRecord(s *Store, typ, id string) *storage.Record {
	return s.batch.cache.c.recs[cacheKey(typ, id)].rec
}
