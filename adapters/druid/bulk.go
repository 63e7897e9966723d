package druid

import (
	"bufio"
	"bytes"
	"context"
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
// applied alone, each answered by one line in input order as soon as it
// and those before it are done. The body is read a line at a time and
// never held whole: at most Config.BulkConcurrency lines are in flight,
// so an upload of any length runs in the memory of that many lines.
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

	// A line read whole is applied even if the client goes away before
	// its answer: the engine's context is not the request's. stop ends the
	// reading when the answer can no longer be written.
	ctx, stop := context.WithCancel(context.WithoutCancel(r.Context()))
	defer stop()
	// slots carries the lines in input order to the writer; its capacity
	// bounds the lines read ahead of the answers written.
	slots := make(chan *bulkSlot, h.cfg.BulkConcurrency-1)
	written := make(chan struct{})
	go func() {
		defer close(written)
		writeBulk(w, rc, slots, stop)
	}()
	h.readBulk(ctx, r, by, slots)
	close(slots)
	<-written
}

// bulkSlot is one line's place in the answer: done is closed once answer
// is set.
type bulkSlot struct {
	done   chan struct{}
	answer BulkLine
}

// answered returns a slot already answered with l.
func answered(l BulkLine) *bulkSlot {
	s := &bulkSlot{done: make(chan struct{}), answer: l}
	close(s.done)
	return s
}

// readBulk reads the upload line by line and queues a slot for each: an
// answer at once for a line refused before it reaches the engine, else
// the engine's answer from a goroutine of its own. A line waits for the
// line before it on the same user, so one user's lines apply in order.
// It stops at the end of the upload, at its first unreadable part, after
// Config.MaxBulkLines lines, or when ctx ends (the answer cannot be
// written). The writer takes every slot queued, to the last.
func (h *Handler) readBulk(ctx context.Context, r *http.Request, by Caller, slots chan<- *bulkSlot) {
	in := bufio.NewReaderSize(r.Body, h.cfg.MaxLineBytes+1)
	// last holds the done channel of the latest line on each user that
	// may still be in flight; settled ones are pruned, so it stays about
	// as small as the lines in flight.
	last := map[string]chan struct{}{}
	queue := func(s *bulkSlot) bool {
		slots <- s
		return ctx.Err() == nil
	}
	for n := 1; ctx.Err() == nil; n++ {
		line, rerr := readLine(in, h.cfg.MaxLineBytes)
		switch {
		case errors.Is(rerr, io.EOF) && line == nil:
			return // the end of the upload
		case n > h.cfg.MaxBulkLines:
			// The rest of the upload is neither read nor applied.
			queue(answered(EncodeBulkLine(n, "", nil, failure(update.TooLarge,
				fmt.Sprintf("too many lines: at most %d per upload; this line and those after it were not applied", h.cfg.MaxBulkLines)))))
			return
		case errors.Is(rerr, errLineTooLong):
			if !queue(answered(EncodeBulkLine(n, "", nil, failure(update.TooLarge, fmt.Sprintf("the line is longer than %d bytes", h.cfg.MaxLineBytes))))) {
				return
			}
			continue
		case errors.Is(rerr, io.ErrUnexpectedEOF):
			// The body stopped inside this line: it is not applied.
			queue(answered(EncodeBulkLine(n, "", nil, failure(update.Malformed, "the upload ended inside this line; it was not applied"))))
			return
		case rerr != nil && !errors.Is(rerr, io.EOF):
			h.cfg.Logger.InfoContext(ctx, "druid: bulk upload stopped", "line", n, "error", rerr)
			return // the connection is gone: nobody reads an answer
		}
		req, id, err := h.bulkRequestLine(by, line)
		if err != nil {
			if !queue(answered(EncodeBulkLine(n, id, nil, err))) {
				return
			}
		} else {
			s := &bulkSlot{done: make(chan struct{})}
			if !queue(s) {
				return
			}
			prev := last[id]
			last[id] = s.done
			go h.applyLine(ctx, n, id, req, prev, s)
			if len(last) > 2*cap(slots)+2 {
				prune(last)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return // a last line without its newline
		}
	}
}

// prune drops the users whose latest line is done.
func prune(last map[string]chan struct{}) {
	for id, done := range last {
		select {
		case <-done:
			delete(last, id)
		default:
		}
	}
}

// applyLine applies req, line n on user id, once the line before it on
// the same user (prev, nil for none) is done, and answers it in s.
func (h *Handler) applyLine(ctx context.Context, n int, id string, req update.Request, prev chan struct{}, s *bulkSlot) {
	defer close(s.done)
	if prev != nil {
		<-prev
	}
	res, err := h.eng.Apply(ctx, req)
	if update.ErrorCode(err) == update.Internal {
		h.cfg.Logger.ErrorContext(ctx, "druid: bulk line failed", "line", n, "user", id, "error", err)
	}
	if err == nil {
		for _, pi := range res.Pending {
			if pi.DispatchError != "" {
				h.cfg.Logger.WarnContext(ctx, "druid: confirmation code not sent",
					"line", n, "user", res.ID, "path", pi.Path, "error", pi.DispatchError)
			}
		}
	}
	s.answer = EncodeBulkLine(n, id, res, err)
}

// writeBulk writes the answer of each slot in order as it is done. It
// flushes before it waits, so the client sees every answer ready while
// the next is worked on. When a write fails it calls stop and keeps
// waiting for the slots, so that no line is left running when the
// handler returns.
func writeBulk(w io.Writer, rc *http.ResponseController, slots <-chan *bulkSlot, stop func()) {
	out := bufio.NewWriter(w)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var failed error
	flush := func() {
		if failed == nil && out.Buffered() > 0 {
			if failed = out.Flush(); failed == nil {
				failed = rc.Flush()
			}
			if failed != nil {
				stop()
			}
		}
	}
	for {
		var s *bulkSlot
		select {
		case s = <-slots:
		default:
			flush()
			s = <-slots
		}
		if s == nil {
			flush()
			return
		}
		select {
		case <-s.done:
		default:
			flush()
			<-s.done
		}
		if failed == nil {
			if failed = enc.Encode(s.answer); failed != nil {
				stop()
			}
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

// bulkRequestLine decodes one line into the engine's request; id is the
// user it names, when that could be read.
func (h *Handler) bulkRequestLine(by Caller, line []byte) (req update.Request, id string, err error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return req, "", failure(update.Malformed, "the line is empty")
	}
	body, err := h.decodeJSON(line, h.cfg.MaxLineBytes)
	if err != nil {
		return req, "", err
	}
	p, err := DecodePatch(body, false)
	if err != nil {
		return req, "", err
	}
	if err := by.checkActor(p.Actor); err != nil {
		return req, p.UserID, err
	}
	return p.Request(by), p.UserID, nil
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
