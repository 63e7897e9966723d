package sqlite

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/idupdate/idupdate/internal/jsontext"
	"github.com/idupdate/idupdate/storage"
)

// docJSON writes documents and events as encoding/json's Encoder does with
// SetEscapeHTML(false): the store is not a web page, and escaping <, >
// and & only costs bytes.
var docJSON = &jsontext.Encoder{Other: appendChanges}

// appendJSON appends the JSON text of v to dst: exactly the bytes
// encoding/json's Encoder writes with SetEscapeHTML(false), without its
// trailing newline. The values a document is made of and an event's
// changes are written without reflection, which was most of the cost of
// storing a record; anything else goes through encoding/json.
func appendJSON(dst []byte, v any) ([]byte, error) { return docJSON.Append(dst, v) }

// appendChanges is docJSON's writer of an event's changes.
func appendChanges(e *jsontext.Encoder, dst []byte, v any) ([]byte, bool, error) {
	cs, ok := v.([]storage.Change)
	if !ok {
		return dst, false, nil
	}
	if cs == nil {
		return append(dst, "null"...), true, nil
	}
	dst = append(dst, '[')
	for i, c := range cs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendChange(e, dst, c); err != nil {
			return dst, true, err
		}
	}
	return append(dst, ']'), true, nil
}

// appendChange writes c as encoding/json does from its struct tags: path
// and op always, old and new unless they are nil.
func appendChange(e *jsontext.Encoder, dst []byte, c storage.Change) ([]byte, error) {
	dst = append(dst, `{"path":`...)
	dst = e.AppendString(dst, c.Path)
	dst = append(dst, `,"op":`...)
	dst = e.AppendString(dst, c.Op)
	var err error
	if c.Old != nil {
		dst = append(dst, `,"old":`...)
		if dst, err = e.Append(dst, c.Old); err != nil {
			return dst, err
		}
	}
	if c.New != nil {
		dst = append(dst, `,"new":`...)
		if dst, err = e.Append(dst, c.New); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// encodeBuffers recycles the buffers documents are encoded into, up to
// maxPooledBuffer bytes each, so that a rare huge document does not stay
// in memory.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuffer = 64 << 10

// encodeText returns the text fn appends to an empty buffer taken from
// encodeBuffers. The text is copied out before the buffer goes back to
// the pool, where another goroutine may take it and write over it at
// once. Only a value outside the Doc contract (a malformed json.Number, a
// channel, a NaN) fails to encode: the caller's input, not the store, so
// fn's error is returned as storage.ErrInvalid.
func encodeText(fn func(dst []byte) ([]byte, error)) (string, error) {
	buf := encodeBuffers.Get().(*[]byte)
	out, err := fn((*buf)[:0])
	text := string(out)
	if cap(out) <= maxPooledBuffer {
		*buf = out
		encodeBuffers.Put(buf)
	}
	if err != nil {
		return "", fmt.Errorf("storage/sqlite: encode: %w: %w", storage.ErrInvalid, err)
	}
	return text, nil
}

// docText is a document's stored JSON text and where each of its
// top-level members' values lies in it, so that encoding the record's
// next version can copy the text of the members the two share.
type docText struct {
	text    string
	members []docMember // in name order, as written
}

// docMember is a top-level member of a document as encoded: its value and
// where that value's text is.
type docMember struct {
	name       string
	value      any
	start, end int
}

// encodeDoc returns the stored text of doc: exactly encodeJSON(doc,
// false). Where prev, the text of the record's previous version, has a
// top-level member of the same name whose value is the very same object or
// array (the same memory, not equal contents), it copies that member's
// text instead of encoding it again. Documents are never modified in place
// (storage.Updater: values shared between versions are read-only, and
// package merge builds new versions copy-on-write), so the same memory
// holds the same contents, and an update that changes a few fields encodes
// only the top level and what changed.
func encodeDoc(doc map[string]any, prev *docText) (docText, error) {
	if doc == nil {
		text, err := encodeJSON(doc, false)
		s, _ := text.(string)
		return docText{text: s}, err
	}
	var stack [32]string
	names := jsontext.SortedNames(stack[:0], doc)

	members := make([]docMember, len(names))
	var old []docMember
	if prev != nil {
		old = prev.members
	}
	text, err := encodeText(func(out []byte) ([]byte, error) {
		out = append(out, '{')
		for i, name := range names {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(docJSON.AppendString(out, name), ':')
			v := doc[name]
			m := docMember{name: name, value: v, start: len(out)}
			// Both lists are in name order: skip the old members before name.
			for len(old) > 0 && old[0].name < name {
				old = old[1:]
			}
			if len(old) > 0 && old[0].name == name && sameMemory(v, old[0].value) {
				out = append(out, prev.text[old[0].start:old[0].end]...)
			} else {
				var err error
				if out, err = appendJSON(out, v); err != nil {
					return out, err
				}
			}
			m.end = len(out)
			members[i] = m
		}
		return append(out, '}'), nil
	})
	if err != nil {
		return docText{}, err
	}
	return docText{text: text, members: members}, nil
}

// sameMemory reports whether a and b are the same non-empty object or
// array: the same map, or slices of one length starting at one element.
func sameMemory(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && len(x) > 0 && len(x) == len(y) &&
			reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) > 0 && len(x) == len(y) && &x[0] == &y[0]
	}
	return false
}
