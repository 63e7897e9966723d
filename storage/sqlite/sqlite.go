package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Store = (*Store)(nil)

// Store is a storage.Store kept in one SQLite file. It is safe for
// concurrent use; see the package comment for the concurrency model and the
// durability guarantee.
type Store struct {
	writer *sql.DB     // one connection, held by w for good
	w      *writerConn // the writer connection, used through the driver
	reader *sql.DB     // read-only connections for Get, Find and History
	stmt   statements
	batch  *batcher // group commit on the writer
}

// Option configures Open.
type Option func(*config)

type config struct {
	readers     int
	mmapSize    int64
	cacheKiB    int
	synchronous string
	now         func() time.Time
	maxBatch    int
	batchWait   time.Duration
}

// WithReaders sets how many read connections serve Get, Find and History at
// once. The default is 4; n < 1 is treated as 1.
func WithReaders(n int) Option {
	return func(c *config) { c.readers = max(n, 1) }
}

// DefaultMmapSize is how much of the file each connection memory-maps
// unless WithMmapSize says otherwise: 1 GiB.
const DefaultMmapSize = 1 << 30

// WithMmapSize sets how many bytes of the database file each connection
// memory-maps (SQLite's mmap_size). Pages in the mapped part are read
// without a system call or a copy into the page cache, which keeps a
// lookup in a large file nearly as fast as in a small one; it costs
// address space, not memory. 0 turns memory-mapping off, and negative
// values keep DefaultMmapSize. SQLite caps it at its compile-time
// maximum (2 GiB less 64 KiB here).
func WithMmapSize(bytes int64) Option {
	return func(c *config) {
		if bytes >= 0 {
			c.mmapSize = bytes
		}
	}
}

// WithCacheSize sets each connection's page cache to kib KiB (SQLite's
// cache_size), for pages beyond the memory-mapped part and pages being
// written. The default, and kib <= 0, is SQLite's: 2,000 KiB.
func WithCacheSize(kib int) Option {
	return func(c *config) { c.cacheKiB = max(kib, 0) }
}

// WithSynchronousNormal trades durability for commit speed: with
// synchronous=NORMAL under WAL, a commit no longer waits for the disk, so
// commits acknowledged shortly before a power loss or operating-system crash
// may be lost (a crash of the process alone loses nothing). The file stays
// consistent either way. The default, synchronous=FULL, loses no
// acknowledged commit.
func WithSynchronousNormal() Option {
	return func(c *config) { c.synchronous = "NORMAL" }
}

// Open opens the SQLite database at path, creating the file if it does not
// exist and applying the embedded migrations it lacks. It returns an error
// matching ErrSchemaTooNew if a newer release has migrated the file, and
// one matching ErrNotDatabase or ErrForeignDatabase, having written
// nothing, if path holds something else.
// Close the Store when done.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{readers: 4, mmapSize: DefaultMmapSize, synchronous: "FULL", now: time.Now, maxBatch: DefaultMaxBatch, batchWait: DefaultBatchWait}
	for _, o := range opts {
		o(&cfg)
	}

	if err := checkFile(path); err != nil {
		return nil, err
	}
	writer, err := sql.Open("sqlite", dsn(path, cfg, false))
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: open %s: %w", path, err)
	}
	// One writer connection serializes writers inside the process before
	// they reach SQLite, so they queue on a Go mutex instead of spinning on
	// busy_timeout.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	ctx := context.Background()
	if err := migrate(ctx, writer, cfg.now); err != nil {
		_ = writer.Close()
		return nil, err
	}

	reader, err := sql.Open("sqlite", dsn(path, cfg, true))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("storage/sqlite: open %s: %w", path, err)
	}
	reader.SetMaxOpenConns(cfg.readers)
	reader.SetMaxIdleConns(cfg.readers)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)

	w, err := newWriterConn(ctx, writer)
	if err != nil {
		_ = errors.Join(reader.Close(), writer.Close())
		return nil, fmt.Errorf("storage/sqlite: open %s: %w", path, err)
	}
	s := &Store{writer: writer, reader: reader, w: w, batch: newBatcher(w, cfg.maxBatch, cfg.batchWait)}
	if err := s.stmt.prepare(ctx, reader); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds the connection string. Every connection gets the same pragmas
// because database/sql opens connections whenever it likes.
func dsn(path string, cfg config, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+cfg.synchronous+")")
	q.Add("_pragma", "mmap_size("+strconv.FormatInt(cfg.mmapSize, 10)+")")
	if cfg.cacheKiB > 0 {
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cfg.cacheKiB)+")")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the Store's connections; it may be called more than once.
// Other methods called after Close return an error.
func (s *Store) Close() error {
	s.stmt.close()
	return errors.Join(closed(s.w.do(s.w.close)), closed(s.w.conn.Close()), s.reader.Close(), s.writer.Close())
}

// closed drops the error of closing the writer connection again.
func closed(err error) error {
	if errors.Is(err, sql.ErrConnDone) {
		return nil
	}
	return err
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *driver.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isConstraint(err error, code int) bool { return sqliteCode(err) == code }

// isBusy reports whether SQLite gave up waiting for a lock another process
// holds.
func isBusy(err error) bool {
	c := sqliteCode(err)
	return c&0xff == sqlite3.SQLITE_BUSY || c&0xff == sqlite3.SQLITE_LOCKED
}
