// Package postgres provides a storage.Store kept in PostgreSQL through
// pgx/v5 and a pgxpool.Pool.
//
// # Schema
//
// Open applies the embedded, numbered migrations in migrations/ in one
// transaction under pg_advisory_xact_lock, keyed by the schema name, so
// processes starting together migrate once and in turn. The applied
// versions are listed in schema_migrations; a database with a version this
// code does not know is refused with ErrSchemaTooNew. WithSchema keeps the
// tables in a schema of their own (it is created if missing, and every
// connection's search_path names only it).
//
// A record is one row of records: the document as JSONB, secrets as JSONB,
// pending challenges as json (raw values inside them keep their bytes,
// which jsonb would not). Its unique values are rows of keys, whose primary
// key (type, name, value) is the uniqueness guarantee; its index terms
// (storage.Record.Terms) are rows of terms, keyed by (type, name, value,
// id); keys, terms and events reference their record and go with it on
// Delete.
//
// # Isolation and locking
//
// Update runs in a READ COMMITTED transaction that first locks the record's
// row with SELECT ... FOR UPDATE. Updates of one record therefore run one
// after another, each seeing the previous one's commit, and updates of
// different records never wait for each other. The updater sees a record
// decoded once from the locked row; the changed record is encoded once and
// written, with its key changes and its event, in the same transaction.
// BEGIN travels with the locked reads and COMMIT with the writes, so an
// update costs two round trips, and the row stays locked for about one
// round trip, the updater and the commit.
// Two records claiming one value meet on the keys primary key: the second
// waits for the first to finish and then fails with a unique violation
// (SQLSTATE 23505), returned as a *storage.NotUniqueError naming the
// holder, which is looked up after the rollback.
//
// # Commit cost and synchronous_commit
//
// The commits of all writers queue for the feed_head row lock (see Change
// feed below), and each holds it until COMMIT returns, so with
// synchronous_commit=on (the server's default) every write waits for its
// own flush of the write-ahead log while the others wait for it: the
// store's write throughput is bounded by the disk's flush rate however
// many clients write, and PostgreSQL's grouping of flushes (commit_delay)
// cannot help, since no two commits are in flight at once. Where losing
// the last moments of acknowledged writes in a crash of the server is
// acceptable, synchronous_commit=off lifts that bound: COMMIT returns
// before the flush and releases the lock at once, a crash still never
// corrupts the database or splits a transaction, and at most about three
// times wal_writer_delay (200ms by default) of acknowledged commits are
// lost. Set it for the store alone in the DSN, which pgx passes to the
// server as a run-time parameter ("...?synchronous_commit=off"), or with
// ALTER ROLE ... SET.
//
// Measured with BenchmarkEngineVsRawParallel, which alternates rounds of
// engine updates and bare locked read-modify-writes (whose commits
// PostgreSQL does flush together) from 8 and 32 clients, each on a record
// of its own, against a server with fsync=on: with synchronous_commit=on
// the engine ran at 0.40 to 0.52 times the bare updates' throughput;
// with commit_delay=1ms at 0.26 to 0.33 times, slower in absolute terms
// too, because each of the serialized commits waits out the delay with no
// other commit to share its flush (leave commit_delay at 0 for this
// store); with synchronous_commit=off at 0.72 to 1.22 times, about twice
// its speed with it on. Gathering the writes of concurrent callers into
// one transaction, as the SQLite store does, would share one flush among
// them too; synchronous_commit=off shows the most it could gain, and it is
// not built.
//
// # Tokens, quotas and buckets
//
// The short-lived state of storage.Ephemeral is written one statement at
// a time, each in a transaction of its own that commits with
// synchronous_commit off (whatever the server's setting), in one round
// trip: PutTokenHit counts the quota call and stores the token in one
// statement, Take refills and takes in one. A crash of the database
// server may forget the last of these writes; a forgotten token or quota
// hit only makes a client ask again. Records are never written that way.
// A token spent to authorize an update (storage.Spender) is spent inside
// the update's own transaction, a statement more in the round trip that
// begins it, and commits with it, durably: a DRUID token and its update
// cost the update's two round trips plus the token request's one.
//
// # Retries
//
// A transaction that fails with a serialization failure (40001) or a
// deadlock (40P01), or whose clashing key was released before its holder
// could be named, runs again: at most WithMaxRetries times (default 8),
// after a randomized wait that doubles from 1ms up to 64ms. The updater
// runs again with it, which the storage.Updater contract allows. Errors are
// classified by SQLSTATE, never by message text.
//
// # Time precision
//
// timestamptz holds microseconds. To give back exactly the times it was
// given, the store keeps each time as a timestamptz plus the nanoseconds
// below the microsecond in a smallint column beside it. Times read back in
// UTC.
//
// # Numbers
//
// Documents are decoded with json.Decoder.UseNumber, and jsonb keeps
// numbers as numeric, so digits are never lost. jsonb does write numbers
// its own way: 1e2 reads back as 100 and -0 as 0, equal values in a
// different spelling. JSON strings cannot contain \u0000 in jsonb; such a
// document is refused with storage.ErrInvalid.
//
// # Listing
//
// List and Count (storage.Querier) evaluate the filter in SQL on the jsonb
// document, every value and path segment a parameter. Strings compare under
// COLLATE "C"; case folding is translate() with Go's simple case folding
// table, passed as parameters, so it agrees with the other backends;
// numbers compare as numeric; date-times through idupdate_instant. An Eq
// term with a key hint starts from the keys table's primary key, one with a
// term hint from the terms table's, and the
// order by ID uses an index on (type, id COLLATE "C"). A sort by an
// attribute sorts the matching records (no index covers it).
//
// # Change feed
//
// Every write adds a feed entry as its last statement before COMMIT,
// taking the next position from the single row of feed_head, whose lock it
// holds until it commits. Positions are therefore dense and in commit
// order, and a position is never visible before a smaller one: a sequence
// could not promise that, since a value drawn by one transaction can
// commit after a larger value drawn by another. The price is that the
// commits of all writers of a database queue for that row lock (the
// writes themselves, and their row locks, still run concurrently).
// TrimChanges (storage.FeedTrimmer) deletes old entries in bounded
// batches; feed_head keeps counting, so a position is never reused.
package postgres
