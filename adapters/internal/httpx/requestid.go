package httpx

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
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
	id := r.Header.Get(RequestIDHeader)
	if id == "" || len(id) > 64 || !isPlain(id) {
		// An id must be unique, not secret: the runtime's generator
		// (seeded from the system's, per thread) costs nanoseconds where
		// crypto/rand costs a system call.
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], rand.Uint64())
		var x [16]byte
		hex.Encode(x[:], b[:])
		id = string(x[:])
	}
	h[RequestIDHeader] = []string{id}
	return id
}

func isPlain(s string) bool {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
