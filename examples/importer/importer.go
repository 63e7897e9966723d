package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// importKey is the external key every imported record carries: its value
// is "IMPORT:LINE", the file's identity and the line number.
const importKey = "ext:import"

// maxDepth bounds the nesting of a line before the engine sees it; the
// profile's own, lower limits apply after.
const maxDepth = 64

// createAttempts bounds the creates of one line whose drawn record id was
// taken (by a record created with an id of its own).
const createAttempts = 4

// outcome is what became of one line.
type outcome int

const (
	blank   outcome = iota // nothing to import
	created                // imported by this run
	existed                // imported by an earlier run
	refused                // listed in the error report
)

// result is one settled line, or a failure that stops the run.
type result struct {
	num   int
	out   outcome
	entry entry
	fatal error
}

// stats count the lines of a run.
type stats struct {
	total   int // users in the file
	resumed int // users settled by earlier runs
	created int
	existed int
	refused int // by this run
	earlier int // refused by earlier runs, kept in the report
	started time.Time
}

// settled returns how many users are settled.
func (s stats) settled() int { return s.resumed + s.created + s.existed + s.refused }

// importer imports the lines of one file.
type importer struct {
	p        *profile
	importID string
	dryRun   bool
	maxLine  int
	workers  int
	// marks keeps the checkpoint; nil on a dry run.
	marks      storage.Bookmarks
	mark       string
	report     *report
	checkEvery time.Duration
	progress   func(stats)
}

// run imports the lines of r after line done (the checkpoint). It stops
// early when ctx is done or a line fails for a reason other than the
// line itself, and returns that failure; the lines settled until then are
// checkpointed, so a new run resumes after them.
func (im *importer) run(ctx context.Context, r io.Reader, done int, st *stats) error {
	// The creates in flight finish even when ctx is cancelled, so the
	// checkpoint can pass them.
	work := context.WithoutCancel(ctx)
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	window := make(chan struct{}, 4*im.workers)
	results, readErr := im.start(readCtx, work, r, done, window)

	c := collector{im: im, frontier: done, saved: done, lastSave: time.Now(), pending: map[int]result{}}
	for res := range results {
		if c.add(work, res, window, st) != nil {
			stopReading()
		}
	}
	fatal := c.fatal
	if fatal == nil && *readErr != nil {
		fatal = fmt.Errorf("read: %w", *readErr)
	}
	if c.frontier > c.saved {
		if err := im.checkpoint(work, c.frontier); err != nil && fatal == nil {
			fatal = err
		}
	}
	if fatal == nil && ctx.Err() != nil {
		fatal = fmt.Errorf("interrupted after line %d; run again with the same arguments to resume", c.frontier)
	}
	return fatal
}

// start starts the reader and the workers. The results channel closes
// when every line sent has a result; *readErr is set by then.
func (im *importer) start(readCtx, work context.Context, r io.Reader, done int, window chan struct{}) (<-chan result, *error) {
	jobs := make(chan line, im.workers)
	results := make(chan result, im.workers)
	readErr := new(error)
	go func() {
		defer close(jobs)
		*readErr = im.read(readCtx, r, done, window, jobs)
	}()
	var wg sync.WaitGroup
	for range im.workers {
		wg.Go(func() {
			for ln := range jobs {
				results <- im.line(work, ln)
			}
		})
	}
	go func() { wg.Wait(); close(results) }()
	return results, readErr
}

// collector settles results in line order: the frontier is the line up
// to which every line is settled.
type collector struct {
	im       *importer
	frontier int
	saved    int // the frontier last checkpointed
	lastSave time.Time
	pending  map[int]result // results past the frontier
	fatal    error
}

// add takes one result and settles every line it makes contiguous,
// freeing their places in the window, and checkpoints now and then. After
// a failure it only frees places. It returns the failure, if any.
func (c *collector) add(ctx context.Context, res result, window chan struct{}, st *stats) error {
	if c.fatal != nil {
		<-window
		return c.fatal
	}
	c.pending[res.num] = res
	for {
		next, ok := c.pending[c.frontier+1]
		if !ok {
			break
		}
		delete(c.pending, c.frontier+1)
		<-window
		if next.fatal != nil {
			c.fatal = fmt.Errorf("line %d: %w", next.num, next.fatal)
		} else {
			c.fatal = c.im.settle(next, st)
		}
		if c.fatal != nil {
			for range c.pending {
				<-window
			}
			clear(c.pending)
			return c.fatal
		}
		c.frontier++
	}
	if c.frontier > c.saved && time.Since(c.lastSave) >= c.im.checkEvery {
		if c.fatal = c.im.checkpoint(ctx, c.frontier); c.fatal != nil {
			return c.fatal
		}
		c.saved, c.lastSave = c.frontier, time.Now()
	}
	c.im.progress(*st)
	return nil
}

// read sends the lines after line done to jobs, each once a place in the
// window is free, until the end of r or until ctx is done.
func (im *importer) read(ctx context.Context, r io.Reader, done int, window chan struct{}, jobs chan<- line) error {
	lr := newLineReader(r, im.maxLine)
	for {
		ln, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if ln.num <= done {
			continue
		}
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		select {
		case jobs <- ln:
		case <-ctx.Done():
			<-window
			return nil
		}
	}
}

// settle counts a line in order and reports it when refused.
func (im *importer) settle(res result, st *stats) error {
	switch res.out {
	case created:
		st.created++
	case existed:
		st.existed++
	case refused:
		st.refused++
		if err := im.report.add(res.entry); err != nil {
			return fmt.Errorf("error report: %w", err)
		}
	}
	return nil
}

// checkpoint makes the report durable up to line n, then saves n as the
// line up to which the file is done. The order matters: a crash between
// the two leaves report entries past the checkpoint, which the next run
// cuts off, never a checkpoint past entries that were lost.
func (im *importer) checkpoint(ctx context.Context, n int) error {
	if err := im.report.sync(); err != nil {
		return err
	}
	if im.marks == nil {
		return nil
	}
	if err := im.marks.SetBookmark(ctx, im.mark, uint64(n)); err != nil {
		return fmt.Errorf("save the checkpoint: %w", err)
	}
	return nil
}

// line imports one line.
func (im *importer) line(ctx context.Context, ln line) result {
	res := result{num: ln.num}
	switch {
	case ln.blank:
		return res
	case ln.tooLong:
		res.out = refused
		res.entry = entry{Line: ln.num, Code: update.TooLarge, Message: fmt.Sprintf("the line is longer than %d bytes", im.maxLine)}
		return res
	}
	key := storage.Key{Name: importKey, Value: im.importID + ":" + strconv.Itoa(ln.num)}
	var err error
	for range createAttempts {
		var req update.CreateRequest
		if req, err = im.p.request(ln.data); err != nil {
			res.out, res.entry = refused, newEntry(ln.num, err)
			return res
		}
		req.ExternalKeys = append(req.ExternalKeys, key)
		req.DryRun = im.dryRun
		_, err = im.p.eng.Create(ctx, req)
		if !errors.Is(err, storage.ErrExists) || req.ID != "" {
			break
		}
	}
	switch code := update.ErrorCode(err); {
	case err == nil:
		res.out = created
	case code == update.Internal, errors.Is(err, storage.ErrExists):
		res.fatal = err
	case (code == update.NotUnique || code == update.Conflict) && !im.dryRun:
		// An earlier run may have created this line's record before it
		// could save its checkpoint.
		_, gerr := im.p.eng.Get(ctx, im.p.typ, update.ByKey(key.Name, key.Value))
		switch update.ErrorCode(gerr) {
		case "":
			res.out = existed
		case update.NotFound:
			res.out, res.entry = refused, newEntry(ln.num, err)
		default:
			res.fatal = gerr
		}
	default:
		res.out, res.entry = refused, newEntry(ln.num, err)
	}
	return res
}

// decodeLine parses one line into a document, with the bounds of
// merge.Decode, as an engine error.
func decodeLine(data []byte, maxBytes int) (map[string]any, error) {
	v, err := merge.Decode(data, merge.DecodeLimits{MaxBytes: maxBytes, MaxDepth: maxDepth})
	switch {
	case errors.Is(err, merge.ErrTooLarge), errors.Is(err, merge.ErrTooDeep):
		return nil, update.Errorf(update.TooLarge, "the line is too large: %v", err)
	case err != nil:
		return nil, update.Errorf(update.Malformed, "the line is not JSON: %v", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, update.Errorf(update.Malformed, "the line is not a JSON object")
	}
	return doc, nil
}
