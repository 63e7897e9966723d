package httpx

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"unsafe"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the id of the request: the one already set on w's
// header by an earlier call, else the request's X-Request-Id if it is at
// most 64 plain characters, else a fresh random id. It sets the id on w's
// header, so the answer carries it and every log line of the request
// names the same id.
func RequestID(w http.ResponseWriter, r *http.Request) string {
	h := w.Header()
	if v := h[RequestIDHeader]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	// Indexed by its canonical name, as Header.Get would look it up.
	if v := r.Header[RequestIDHeader]; len(v) > 0 && v[0] != "" && len(v[0]) <= 64 && isPlain(v[0]) {
		h[RequestIDHeader] = v[:1:1]
		return v[0]
	}
	// An id must be unique, not secret: the runtime's generator (seeded
	// from the system's, per thread) costs nanoseconds where crypto/rand
	// costs a system call. The id's text and the header value holding it
	// are one allocation.
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], rand.Uint64())
	f := new(freshID)
	hex.Encode(f.text[:], raw[:])
	f.value[0] = unsafe.String(&f.text[0], len(f.text))
	h[RequestIDHeader] = f.value[:]
	return f.value[0]
}

// freshID holds a fresh request id: its hex text and the header value
// naming that text. Nothing writes the text after the id is made, so the
// string over it stays immutable.
type freshID struct {
	value [1]string
	text  [16]byte
}

func isPlain(s string) bool {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
