package sqlite

import (
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
