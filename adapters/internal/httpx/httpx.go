// Package httpx is the HTTP plumbing the vendor adapters share: bounded
// bodies, strict JSON, strict parameters, credentials and request ids.
package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// buffers holds the buffers answers are encoded into, so an answer costs
// no buffer of its own once the pool is warm.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer kept for reuse; a rare large answer
// does not pin its buffer.
const maxPooled = 64 << 10

// WriteJSON writes v as the JSON body with the status: v as json.Marshal
// encodes it, and a newline.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooled {
			buf.Reset()
			buffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
