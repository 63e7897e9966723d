// Package sqlite provides a storage.Store kept in one SQLite file, through
// the pure-Go driver modernc.org/sqlite (no cgo).
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL: when Create, Update
// or Delete returns nil, the change has been written to the write-ahead log
// and the log synced to disk, so it survives a crash of the process, of the
// operating system or a power loss, as far as the disk honours fsync. A
// change whose call returned an error, or that was in flight at the crash,
// is either wholly there or wholly absent: a record, its keys, its pending
// challenges and its history event always commit together.
// WithSynchronousNormal gives up the power-loss half of that promise for
// faster commits. The package's tests check the process-crash half by
// killing a writer with SIGKILL; the power-loss half rests on SQLite's
// documented behaviour of WAL with synchronous=FULL.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every write goes through one
// connection and begins with BEGIN IMMEDIATE, so writers in the process
// never fail with SQLITE_BUSY against each other; an Update's
// read-modify-write cycle holds the write lock from its read to its
// commit, so no update is lost. Get, Find and History use a separate pool
// of read-only connections (4 by default, see WithReaders) and, thanks to
// WAL, run in parallel with the writer, each reading one consistent
// snapshot. Another process writing the same file makes a writer wait up
// to five seconds (busy_timeout) before the call fails with an error
// matching storage.ErrConflict.
//
// # Group commit
//
// A commit at synchronous=FULL waits for the disk, and SQLite admits one
// writer at a time, so writers that each commit alone get no more done
// together than one alone. Instead, Create, Update, Delete and the other
// writes that arrive while a transaction is committing queue, and the next
// transaction carries all of them (up to WithMaxBatch, default
// DefaultMaxBatch), in the order they arrived, with one sync to disk. Each
// write runs inside a savepoint of its own: a failing updater, a clash on
// a unique key or an invalid record rolls back that write only, and a
// later write in the transaction sees the earlier ones, so updates of one
// record keep their order and versions. No caller is answered before the
// transaction is durable; if the COMMIT fails, every write whose answer
// depended on the transaction fails with it and none is acknowledged. A
// writer whose context ends while it is queued leaves the queue at once;
// once its write has run and its savepoint is released it is part of the
// transaction. A writer that finds no transaction in flight begins one at
// once, so a writer working alone waits for nothing; WithBatchWait can
// make a transaction wait briefly for more writers when writers have been
// arriving together. Updaters run on the goroutine of whichever writer
// leads the transaction; one that panics is rolled back and the panic is
// raised again in its own caller.
//
// Connections memory-map the first GiB of the file (mmap_size; see
// WithMmapSize), so reads of a large, hot index cost no system call and no
// copy per page: a lookup by key, or a List with eq on a unique attribute,
// in a million records then costs less than twice one in ten thousand.
// Pages beyond the mapped part go through each connection's page cache
// (WithCacheSize).
//
// The writer connection is used through the driver directly, with every
// statement it runs (BEGIN IMMEDIATE and COMMIT included) prepared once,
// and it keeps the records it committed last (up to 1,024) decoded, so an
// update of a record it wrote a moment ago neither reads nor decodes it.
// Another connection that commits to the file (another process, or another
// Store on the same path) changes SQLite's data_version, which the writer
// reads at the start of every transaction; it then forgets every record it
// kept. A write rolled back, alone or inside a batch, never enters it.
// With each record it keeps the document's stored text, so that an update
// encodes only what changed: the text of every top-level member whose
// value is the very object or array of the version before (documents are
// replaced, never modified in place) is copied from it.
//
// # File layout
//
// Besides the database file, SQLite keeps path-wal and path-shm next to it
// while the database is open; copy all three, or none, when the Store is
// open. Tables:
//
//	records            one row per record; doc, secrets and pending as JSON text
//	keys               (type, name, value) → id, the unique index behind Find
//	terms              (type, name, value, id), the index terms (storage.Record.Terms)
//	events             every event: the history and the feed (storage.Feed)
//	feed_floor         the position below which the feed holds no entry
//	counters           named sequences (storage.Counters)
//	bookmarks          named feed positions (storage.Bookmarks)
//	tokens, quotas     single-use tokens and quota windows (storage.Ephemeral)
//	buckets            token buckets (storage.Ephemeral.Take)
//	schema_migrations  which embedded migrations the file has had
//
// Times are RFC 3339 text in UTC with nine fraction digits, exact to the
// nanosecond.
//
// # History and feed
//
// One table, events, is both the records' history and the change feed, so
// that an update writes two pages: the record's, and the last page of
// events, where its event is appended. An event's rowid is its feed
// position, one more than the largest in the table, taken inside the
// writing transaction, so positions are commit order; the newest event is
// never deleted, so no position is handed out twice. Each event holds the
// position of the same record's previous event (prev), and the record's
// row holds the position of its newest event (last), written by the same
// UPDATE that writes the record: History follows that chain back to the
// create event, one lookup by rowid per event, and returns it oldest
// first. Nothing indexes events by record. The record's row also holds
// first, where its current life began: a record deleted and created again
// starts a new chain, and every event of an earlier record of the same
// type and id lies below first.
//
// Deleting a record removes its row, so its history can no longer be
// reached; its events stay feed entries, and the deletion adds an entry of
// its own. Trimming the feed (TrimChanges) deletes the entries it may,
// except those still history of a live record (of its type and id, at or
// above its first): those are marked trimmed, which the feed skips, and
// stay history until their record is deleted. feed_floor holds a position
// below which no entry is left, so reading the feed from its start does not
// walk the history kept below it. The feed is read above the floor in
// position order; an entry marked trimmed above the floor (trimming by age
// can take entries out of position order) is skipped.
//
// List and Count (storage.Querier) evaluate a filter's structure in SQL
// (json_each for the elements of an array, the keys and terms tables for
// key and term hints)
// and its comparisons in Go functions registered with the driver over the
// JSON text SQLite extracts, which keeps numbers as written: the results
// agree with the memory store exactly, case folding and full-precision
// numbers included.
//
// Open applies the migrations a file lacks, each in its own
// transaction, and refuses a file migrated by newer code (ErrSchemaTooNew).
package sqlite
