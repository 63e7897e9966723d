package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/idupdate/idupdate/update"
)

// ErrTooLarge is wrapped by the error ReadBody returns for a body over its
// limit.
var ErrTooLarge = errors.New("request body too large")

// ErrInvalidUTF8 is wrapped by the errors returned for a body that is not
// valid UTF-8.
var ErrInvalidUTF8 = errors.New("request body is not valid UTF-8")

// ReadBody reads at most max bytes of r's body. Its errors are
// *update.Error with a message a client may see: TooLarge (wrapping
// ErrTooLarge) for a body over max, which is not read further; Malformed
// (wrapping ErrInvalidUTF8) for a body that is not UTF-8; Malformed for a
// body that cannot be read. A request without a body reads as empty.
func ReadBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	b, err := readAtMost(r.Body, r.ContentLength, max+1)
	if err != nil {
		return nil, &update.Error{Code: update.Malformed, Message: "the body could not be read", Err: err}
	}
	if err := CheckBody(b, max); err != nil {
		return nil, err
	}
	return b, nil
}

// CheckBody refuses a body read by other means than a request (a line of
// a file) as ReadBody refuses it: longer than max bytes, or not UTF-8.
func CheckBody(b []byte, max int64) error {
	if int64(len(b)) > max {
		return tooLarge(max)
	}
	if !utf8.Valid(b) {
		return &update.Error{Code: update.Malformed, Message: "the body is not valid UTF-8", Err: ErrInvalidUTF8}
	}
	return nil
}

func tooLarge(max int64) error {
	return &update.Error{
		Code:    update.TooLarge,
		Message: fmt.Sprintf("the request body is too large: it is larger than %d bytes", max),
		Err:     ErrTooLarge,
	}
}

// readAtMost reads body to its end or to limit bytes, whichever comes
// first. A declared length (size, -1 when unknown) sizes the buffer once,
// so a body that keeps its word is read without growing it; the length
// is only a hint, never trusted beyond limit.
func readAtMost(body io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size >= limit {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	// One byte more than declared, so a body longer than its length is
	// noticed at once and read on by ReadAll below.
	b := make([]byte, 0, size+1)
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			rest, err := io.ReadAll(io.LimitReader(body, limit-int64(len(b))))
			return append(b, rest...), err
		}
	}
}

// DecodeStrict decodes one JSON value from b into v: unknown object keys
// are errors, numbers stay json.Number where v holds interfaces, and
// trailing data after the value is an error.
func DecodeStrict(b []byte, v any) error {
	if !utf8.Valid(b) {
		return ErrInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
