package druid

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"

	"github.com/idupdate/idupdate/update"
)

// bulkTypes are the media types a bulk upload may be sent as.
var bulkTypes = []string{"application/x-ndjson", "application/jsonl"}

// BulkLine is one line of a bulk upload's answer: the input line it
// answers (from 1), the user it named when that was read, and DRUID's
// result for it: status 200 (with pending ids) or 304, or the status and
// errors the same update would get alone.
type BulkLine struct {
	Line   int        `json:"line"`
	ID     string     `json:"id,omitempty"`
	Result BulkResult `json:"result"`
}

// BulkResult is the result member of a BulkLine.
type BulkResult struct {
	Status  int            `json:"status"`
	Pending []string       `json:"pending,omitempty"`
	Errors  []ErrorMessage `json:"errors,omitempty"`
}

// EncodeBulkLine returns the answer to input line n, which named user id
// ("" when unknown): res when the update went through, else err.
func EncodeBulkLine(n int, id string, res *update.Result, err error) BulkLine {
	if err != nil {
		status, body := EncodeError(err, OpBulk)
		return BulkLine{Line: n, ID: id, Result: BulkResult{Status: status, Errors: body.Result.Errors}}
	}
	status, body := EncodeResult(res)
	out := BulkLine{Line: n, ID: res.ID, Result: BulkResult{Status: status}}
	if body != nil {
		out.Result.Pending = body.Result.Pending
	}
	return out
}

// serveBulk serves a bulk upload: one partial update per line, each
// applied alone and in order, each answered by one line as soon as it is
// done. The body is read a line at a time and never held whole, so an
// upload of any length runs in the memory of one line.
func (h *Handler) serveBulk(w http.ResponseWriter, r *http.Request) {
	by, err := h.bulkRequest(r)
	if err != nil {
		h.fail(w, r, OpBulk, err)
		return
	}
	// Answers are written while the body is still being read.
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex() // HTTP/2 is full duplex already
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(statusOK)

	in := bufio.NewReaderSize(r.Body, h.cfg.MaxLineBytes+1)
	out := bufio.NewWriter(w)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	write := func(l BulkLine) error {
		if err := enc.Encode(l); err != nil {
			return err
		}
		// Flush before the next read can wait on the client, so it sees
		// every answer to what it has sent.
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
			return rc.Flush()
		}
		return nil
	}
	defer func() {
		if out.Flush() == nil {
			_ = rc.Flush()
		}
	}()
	for n := 1; ; n++ {
		line, rerr := readLine(in, h.cfg.MaxLineBytes)
		if errors.Is(rerr, io.EOF) && line == nil {
			return // the end of the upload
		}
		var ans BulkLine
		switch {
		case n > h.cfg.MaxBulkLines:
			// The rest of the upload is neither read nor applied.
			ans = EncodeBulkLine(n, "", nil, failure(update.TooLarge,
				fmt.Sprintf("too many lines: at most %d per upload; this line and those after it were not applied", h.cfg.MaxBulkLines)))
			_ = write(ans)
			return
		case errors.Is(rerr, errLineTooLong):
			ans = EncodeBulkLine(n, "", nil, failure(update.TooLarge, fmt.Sprintf("the line is longer than %d bytes", h.cfg.MaxLineBytes)))
		case errors.Is(rerr, io.ErrUnexpectedEOF):
			// The body stopped inside this line: it is not applied.
			_ = write(EncodeBulkLine(n, "", nil, failure(update.Malformed, "the upload ended inside this line; it was not applied")))
			return
		case rerr != nil && !errors.Is(rerr, io.EOF):
			h.cfg.Logger.InfoContext(r.Context(), "druid: bulk upload stopped", "line", n, "error", rerr)
			return // the connection is gone: nobody reads an answer
		default:
			ans = h.bulkLine(r, by, n, line)
		}
		if err := write(ans); err != nil {
			return // the client went away; what it sent after is not read
		}
		if errors.Is(rerr, io.EOF) {
			return // a last line without its newline
		}
	}
}

// bulkRequest authenticates a bulk upload (a challenge-code token, as for
// the administrative update) and checks its media type.
func (h *Handler) bulkRequest(r *http.Request) (Caller, error) {
	verifier, err := DecodeUpdateQuery(r.URL.RawQuery)
	if err != nil {
		return Caller{}, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !slices.Contains(bulkTypes, mt) {
		return Caller{}, failure(update.Malformed, "Content-Type must be application/x-ndjson (one JSON activity per line)")
	}
	client, err := h.redeem(r, verifier)
	if err != nil {
		return Caller{}, err
	}
	entry, err := h.entryPoint(r, client)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Client: client, Actor: entry}, nil
}

// bulkLine applies line n, a partial update, and returns its answer.
func (h *Handler) bulkLine(r *http.Request, by Caller, n int, line []byte) BulkLine {
	if len(bytes.TrimSpace(line)) == 0 {
		return EncodeBulkLine(n, "", nil, failure(update.Malformed, "the line is empty"))
	}
	body, err := h.decodeJSON(line, h.cfg.MaxLineBytes)
	if err != nil {
		return EncodeBulkLine(n, "", nil, err)
	}
	p, err := DecodePatch(body, false)
	if err == nil {
		err = by.checkActor(p.Actor)
	}
	if err != nil {
		id := ""
		if p != nil {
			id = p.UserID
		}
		return EncodeBulkLine(n, id, nil, err)
	}
	res, err := h.eng.Apply(r.Context(), p.Request(by))
	if err != nil {
		return EncodeBulkLine(n, p.UserID, nil, err)
	}
	for _, pi := range res.Pending {
		if pi.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "druid: confirmation code not sent",
				"line", n, "user", res.ID, "path", pi.Path, "error", pi.DispatchError)
		}
	}
	return EncodeBulkLine(n, p.UserID, res, nil)
}

// errLineTooLong reports a line longer than the bound; the line has been
// skipped up to and including its newline.
var errLineTooLong = errors.New("druid: bulk line too long")

// readLine returns the next line of in without its newline (and a
// carriage return before it), in a slice valid until the next read.
//
// A line longer than max is skipped, read through to its end without
// being kept, and reported as errLineTooLong. At the end of the input a
// last line without a newline comes back with io.EOF; a nil line with
// io.EOF is the end. A body that stops early (a Content-Length not
// reached, a chunked body cut off) is io.ErrUnexpectedEOF, with the part
// of the line read dropped. Any other error is the reader's.
func readLine(in *bufio.Reader, max int) ([]byte, error) {
	line, err := in.ReadSlice('\n')
	switch {
	case err == nil:
		line = line[:len(line)-1]
	case errors.Is(err, bufio.ErrBufferFull):
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = in.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, errLineTooLong
	case errors.Is(err, io.EOF):
		if len(line) == 0 {
			return nil, io.EOF
		}
	default:
		return nil, err
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > max {
		return nil, errLineTooLong
	}
	return line, err
}
