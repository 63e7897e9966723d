package sqlite

import (
	"database/sql"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// recordCache keeps the records the writer connection last wrote, decoded,
// so that an update of a record written a moment ago neither reads nor
// decodes it again. It holds committed state only: a transaction's writes
// enter it after the COMMIT succeeded. Every write of the process goes
// through the writer connection, so the cache can only be outdated by
// another connection committing to the file (another process, or another
// Store on the same file); SQLite's data_version, read at the start of
// every write transaction, changes exactly then, and the cache is emptied.
//
// Only the writer connection's current user touches it (the leader of a
// batch, see batch.go), so it has no lock of its own.
type recordCache struct {
	max         int
	recs        map[string]cacheEntry
	dataVersion int64 // data_version at the end of the last transaction
}

func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, recs: make(map[string]cacheEntry, max), dataVersion: -1}
}

// cacheEntry is a cached record, the position of its newest event
// (records.last), which the record's next event links to, and its
// document's stored text, from which the next version's is built.
type cacheEntry struct {
	rec  *storage.Record
	last int64
	doc  docText
}

// sync empties the cache if another connection has committed since the
// writer's last transaction: dataVersion is what PRAGMA data_version says
// now, inside the new transaction, which holds the write lock.
func (c *recordCache) sync(dataVersion int64) {
	if dataVersion != c.dataVersion {
		clear(c.recs)
		c.dataVersion = dataVersion
	}
}

// reset empties the cache; the next transaction starts from the file.
func (c *recordCache) reset() {
	clear(c.recs)
	c.dataVersion = -1
}

// apply enters committed writes in order; a nil record is a deletion. When
// the cache is full it starts over, a simple bound that keeps the entries
// of hot records cheap to rebuild.
func (c *recordCache) apply(writes []stagedWrite) {
	for _, w := range writes {
		if w.rec == nil {
			delete(c.recs, w.key)
			continue
		}
		if _, held := c.recs[w.key]; !held && len(c.recs) >= c.max {
			clear(c.recs)
		}
		c.recs[w.key] = w.cacheEntry
	}
}

// stagedWrite is a record a transaction wrote (nil: deleted), to enter
// the cache once the transaction commits.
type stagedWrite struct {
	key string
	cacheEntry
}

// txCache is a write transaction's view of the record cache: the writes of
// its members, kept apart until they are committed. A record written in
// the transaction, by a member that stands or one rolled back, is read
// from the database for the rest of it.
type txCache struct {
	c      *recordCache
	dirty  map[string]bool // written in this transaction
	member []stagedWrite   // the running member's writes
	kept   []stagedWrite   // writes of members whose savepoint was released
}

func newTxCache(c *recordCache) *txCache {
	return &txCache{c: c, dirty: make(map[string]bool)}
}

// begin starts a transaction's view.
func (t *txCache) begin(dataVersion int64) {
	t.c.sync(dataVersion)
	clear(t.dirty)
	t.member, t.kept = t.member[:0], t.kept[:0]
}

// get returns the committed record, the position of its newest event and
// its document's text, if cached and not written in this transaction; a
// nil record otherwise. Record and text are shared: treat them as
// read-only.
func (t *txCache) get(typ, id string) (*storage.Record, sql.NullInt64, *docText) {
	key := cacheKey(typ, id)
	if t.dirty[key] {
		return nil, sql.NullInt64{}, nil
	}
	e, ok := t.c.recs[key]
	if !ok {
		return nil, sql.NullInt64{}, nil
	}
	return e.rec, sql.NullInt64{Int64: e.last, Valid: true}, &e.doc
}

// wrote notes that the running member wrote e.rec, with its newest event
// at e.last and its document's text e.doc (e.rec nil: deleted it).
func (t *txCache) wrote(typ, id string, e cacheEntry) {
	key := cacheKey(typ, id)
	t.dirty[key] = true
	t.member = append(t.member, stagedWrite{key: key, cacheEntry: e})
}

// endMember closes the running member's writes: kept if its work stands,
// dropped if it was rolled back.
func (t *txCache) endMember(stands bool) {
	if stands {
		t.kept = append(t.kept, t.member...)
	}
	clear(t.member)
	t.member = t.member[:0]
}

// committed enters the kept writes into the cache.
func (t *txCache) committed() {
	t.c.apply(t.kept)
	clear(t.kept)
	t.kept = t.kept[:0]
}

// failed is a transaction that did not commit, or whose outcome is not
// known (a failed COMMIT): the cache starts over.
func (t *txCache) failed() {
	t.c.reset()
	clear(t.member)
	clear(t.kept)
	t.member, t.kept = t.member[:0], t.kept[:0]
}

// cachedRecord is rec as reading it back from the file would give it:
// times in UTC without a monotonic reading, keys and terms in index order,
// empty collections nil, and pending challenges decoded from the text
// written. The document is shared with rec, which the Store contract makes
// read-only.
func cachedRecord(rec *storage.Record, enc encodedRecord) (*storage.Record, error) {
	c := *rec
	c.Created, c.Updated = rec.Created.UTC().Round(0), rec.Updated.UTC().Round(0)
	c.Keys, c.Terms = storage.SortedKeys(rec.Keys), storage.SortedKeys(rec.Terms)
	if len(c.Secrets) == 0 {
		c.Secrets = nil
	}
	c.Pending = nil
	if text, ok := enc.pending.(string); ok {
		var challenges []verify.Challenge
		if err := decodeJSON(sql.NullString{String: text, Valid: true}, &challenges); err != nil {
			return nil, err
		}
		c.Pending = challenges
	}
	return &c, nil
}

// recordCacheSize bounds the record cache: the writer keeps up to this
// many records decoded.
const recordCacheSize = 1024

func cacheKey(typ, id string) string { return typ + "\x00" + id }
