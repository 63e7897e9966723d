package sqlite

import (
	"database/sql"
	"sync"
)

// docCache keeps the decoded documents of recently written records, so an
// update of a hot record does not decode the JSON it wrote a moment ago.
// An entry is used only when the stored text is byte-for-byte the text it
// was decoded from, so a write by another process (or a rolled-back one)
// can never be served stale. Cached documents are shared: the Updater
// contract forbids changing a document in place.
type docCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedDoc
}

type cachedDoc struct {
	text string
	doc  map[string]any
}

func newDocCache(max int) *docCache {
	return &docCache{max: max, entries: make(map[string]cachedDoc, max)}
}

func cacheKey(typ, id string) string { return typ + "\x00" + id }

// get returns the decoded form of text for the record, if it is cached.
func (c *docCache) get(typ, id, text string) (map[string]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey(typ, id)]
	if !ok || e.text != text {
		return nil, false
	}
	return e.doc, true
}

// put remembers doc as the decoded form of text. When the cache is full it
// starts over: a simple bound that keeps the hot records' entries cheap to
// rebuild.
func (c *docCache) put(typ, id, text string, doc map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[cacheKey(typ, id)] = cachedDoc{text: text, doc: doc}
}

func (c *docCache) drop(typ, id string) {
	c.mu.Lock()
	delete(c.entries, cacheKey(typ, id))
	c.mu.Unlock()
}

// lookup and remember work on a nil cache (reads outside the writer) and
// on NULL columns, doing nothing.
func (c *docCache) lookup(typ, id string, col sql.NullString) (map[string]any, bool) {
	if c == nil || !col.Valid {
		return nil, false
	}
	return c.get(typ, id, col.String)
}

func (c *docCache) remember(typ, id string, col sql.NullString, doc map[string]any) {
	if c != nil && col.Valid {
		c.put(typ, id, col.String, doc)
	}
}
