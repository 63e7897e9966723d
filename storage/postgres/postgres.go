package postgres

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Store = (*Store)(nil)

// Defaults of the options.
const (
	DefaultMaxRetries     = 8
	DefaultMaxRecordBytes = 4 << 20
)

// maxSchemaLen is PostgreSQL's identifier limit (NAMEDATALEN - 1); a longer
// name would be silently truncated by the server.
const maxSchemaLen = 63

// Store is a storage.Store kept in PostgreSQL. It is safe for concurrent use
// by many goroutines and by many processes sharing one database.
type Store struct {
	pool *pgxpool.Pool
	opts options
}

type options struct {
	schema         string
	maxRetries     int
	maxConns       int32
	maxRecordBytes int
}

// Option configures Open.
type Option func(*options)

// WithSchema keeps the store's tables in the named schema, creating it if
// needed, instead of the first schema of the connection's search_path
// (normally public). Each connection of the pool gets search_path set to
// exactly this schema.
func WithSchema(name string) Option {
	return func(o *options) { o.schema = name }
}

// WithMaxRetries sets how many times a transaction that failed on a
// serialization failure (SQLSTATE 40001) or a deadlock (40P01) is retried
// before the error is returned. The default is DefaultMaxRetries; 0 turns
// retries off.
func WithMaxRetries(n int) Option {
	return func(o *options) { o.maxRetries = max(n, 0) }
}

// WithMaxConns caps the pool's connections. The default is the DSN's
// pool_max_conns, or pgxpool's default (the larger of 4 and the number of
// CPUs). Values below 1 keep the default.
func WithMaxConns(n int32) Option {
	return func(o *options) { o.maxConns = n }
}

// WithMaxRecordBytes bounds the encoded size of a record's document,
// secrets and pending challenges together, and of an event's changes.
// Writes beyond it fail with an error matching storage.ErrInvalid. The
// default is DefaultMaxRecordBytes; values below 1 keep it.
func WithMaxRecordBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxRecordBytes = n
		}
	}
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts it), brings the schema up to date and
// returns the store. It returns an error wrapping ErrSchemaTooNew when the
// database was migrated by newer code, and one wrapping ErrForeignSchema,
// having created nothing, when the schema holds another program's tables.
// Close releases the pool.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{maxRetries: DefaultMaxRetries, maxRecordBytes: DefaultMaxRecordBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if o.schema != "" && (len(o.schema) > maxSchemaLen || !validText(o.schema)) {
		return nil, fmt.Errorf("storage/postgres: schema name must be 1 to %d bytes of UTF-8 without NUL", maxSchemaLen)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}

	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: parse dsn: %w", err)
	}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool, o.schema, ms); err != nil {
		pool.Close()
		if errors.Is(err, ErrForeignSchema) {
			return nil, err
		}
		return nil, fmt.Errorf("storage/postgres: migrate: %w", err)
	}
	return &Store{pool: pool, opts: o}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
// Calls after Close fail; Close itself may be called more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, typ, id string) (*storage.Record, error) {
	if !validText(typ) || !validText(id) {
		// PostgreSQL text cannot hold such a value, so no record has it.
		return nil, fmt.Errorf("storage/postgres: get %s %q: %w", typ, id, storage.ErrNotFound)
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, sqlGet, typ, id), true)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: get %s %q: %w", typ, id, err)
	}
	return rec, nil
}

// Find implements storage.Store.
func (s *Store) Find(ctx context.Context, typ string, key storage.Key) (*storage.Record, error) {
	if !validText(typ) || !validText(key.Name) || !validText(key.Value) {
		return nil, fmt.Errorf("storage/postgres: find %s %s: %w", typ, key, storage.ErrNotFound)
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, sqlFind, typ, key.Name, key.Value), true)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: find %s %s: %w", typ, key, err)
	}
	return rec, nil
}

// Delete implements storage.Store. The record's keys and history go with it
// (foreign keys with ON DELETE CASCADE); the feed gets an entry of Kind
// storage.DeleteKind. It waits for a running update of the record to
// commit or roll back.
func (s *Store) Delete(ctx context.Context, typ, id string) error {
	return s.DeleteIf(ctx, typ, id, storage.Expect{}, storage.Event{})
}

// History implements storage.Store.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Event, error) {
	if !validText(typ) || !validText(id) {
		return nil, fmt.Errorf("storage/postgres: history %s %q: %w", typ, id, storage.ErrNotFound)
	}
	evs, err := s.history(ctx, typ, id)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: history %s %q: %w", typ, id, err)
	}
	return evs, nil
}

func (s *Store) history(ctx context.Context, typ, id string) ([]storage.Event, error) {
	rows, err := s.pool.Query(ctx, sqlHistory, typ, id)
	if err != nil {
		return nil, err
	}
	var evs []storage.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(evs) > 0 {
		return evs, nil
	}
	// Every record has its create event, so no events almost always means
	// no record; ask to be sure rather than assume.
	var exists bool
	if err := s.pool.QueryRow(ctx, sqlExists, typ, id).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, storage.ErrNotFound
	}
	return []storage.Event{}, nil
}

// validText reports whether s can be stored in a PostgreSQL text column:
// UTF-8 without NUL.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return false
		}
	}
	return true
}
