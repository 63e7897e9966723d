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
// no buffer of its own once the pool is warm. A new one has room for a
// typical answer.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 4<<10)
	return &b
}}

// maxPooled is the largest buffer kept for reuse; a rare large answer
// does not pin its buffer.
const maxPooled = 64 << 10

// Buffer returns an empty buffer from the pool answers are encoded into.
// Append the answer to *bp, store the result back in *bp, and hand bp to
// PutBuffer once the bytes are written (ResponseWriter.Write copies
// them); nothing may use the bytes after that.
func Buffer() *[]byte {
	bp := buffers.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// PutBuffer returns bp, taken from Buffer, to the pool, unless it grew
// past 64 KiB.
func PutBuffer(bp *[]byte) {
	if cap(*bp) <= maxPooled {
		buffers.Put(bp)
	}
}

// The header values every JSON answer carries. Each answer's header gets
// these slices rather than fresh ones: nothing writes into a header value
// in place (Set and Add replace or copy them), and an answer is written on
// every call.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noSniff         = []string{"nosniff"}
)

// WriteJSON writes v as the JSON body with the status: v as json.Marshal
// encodes it, and a newline. It is written by AppendJSON, without
// reflection for the values AppendJSON knows.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	bp := Buffer()
	defer PutBuffer(bp)
	b, err := AppendJSON(*bp, v)
	*bp = b
	if err != nil {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	*bp = append(b, '\n')
	WriteBody(w, status, *bp)
}

// WriteBody writes b, JSON text ending in a newline as WriteJSON writes
// it, as the body with the status and WriteJSON's headers. Answers that
// are encoded ahead of time, or appended without reflection, go through
// it.
func WriteBody(w http.ResponseWriter, status int, b []byte) {
	WriteTyped(w, status, jsonContentType, b)
}

// WriteTyped writes b as the body with the status, the content type
// given as a header value slice the caller shares between answers (so it
// must never be written into), and the nosniff header every answer here
// carries. It is WriteBody for media types other than plain JSON, such
// as SCIM's.
func WriteTyped(w http.ResponseWriter, status int, contentType []string, b []byte) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Encode returns the bytes WriteJSON writes for v, for answers encoded
// ahead of time and written with WriteBody. It panics if v cannot be
// encoded: it is meant for fixed values known when a package starts.
func Encode(v any) []byte {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		panic("httpx: " + err.Error())
	}
	return buf.Bytes()
}
