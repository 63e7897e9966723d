package zitadel

import (
	"io"
	"net/http"
)

// WithoutGRPCFastPath makes h serve every RPC through connect-go, so
// tests can compare the fast path's answers with connect-go's.
func WithoutGRPCFastPath(h *Handler) { h.fast.on = false }

// CountConnectCalls counts, in the returned counter, the RPC requests h
// hands to connect-go.
func CountConnectCalls(h *Handler) *int {
	n := new(int)
	next := h.fast.fallback
	h.fast.fallback = func(w http.ResponseWriter, r *http.Request, body io.ReadCloser) {
		*n++
		next(w, r, body)
	}
	return n
}

// GRPCPercentEncode is grpcPercentEncode, for tests.
var GRPCPercentEncode = grpcPercentEncode

// ParseGRPCTimeout is parseGRPCTimeout, for tests.
var ParseGRPCTimeout = parseGRPCTimeout

// DecodeUpdateFast is decodeUpdateFast, for tests.
var DecodeUpdateFast = decodeUpdateFast

// DecodeUpdateChecked is DecodeUpdate without its fast path: the checked
// decode every body takes that the fast path does not accept.
func DecodeUpdateChecked(body []byte, maxDepth int) (*UpdateHumanUserRequest, error) {
	var b UpdateHumanUserRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// ReadUpdatePBOK reports whether the one-pass reader reads msg, an
// UpdateHumanUser message, itself rather than leaving it to the checked
// path.
func ReadUpdatePBOK(msg []byte) bool {
	_, _, ok := readUpdatePB(msg)
	return ok
}
