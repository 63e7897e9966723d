package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/idupdate/idupdate/update"
)

// entry is one bad line in the error report.
type entry struct {
	Line    int                 `json:"line"`
	Code    update.Code         `json:"code"`
	Message string              `json:"message"`
	Fields  []update.FieldError `json:"fields,omitempty"`
}

// newEntry describes the engine's refusal of a line: its code, message
// and failing fields, as update.Error carries them.
func newEntry(num int, err error) entry {
	return entry{Line: num, Code: update.ErrorCode(err), Message: update.ErrorMessage(err), Fields: update.ErrorFields(err)}
}

// report is the error report file, written in line order.
type report struct {
	f *os.File
	w *bufio.Writer
}

// openReport opens the report of a run that resumes after line done: the
// entries of lines up to done, which an earlier run synced before saving
// its checkpoint, are kept; anything after them (entries of lines that
// will be read again, a torn last line) is cut off. done 0 starts afresh.
// It returns how many entries were kept.
func openReport(path string, done int) (*report, int, error) {
	kept, size := 0, int64(0)
	if done > 0 {
		var err error
		if kept, size, err = keptPrefix(path, done); err != nil {
			return nil, 0, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("error report: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("error report: %w", err)
	}
	if _, err := f.Seek(size, 0); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("error report: %w", err)
	}
	return &report{f: f, w: bufio.NewWriter(f)}, kept, nil
}

// keptPrefix returns how many entries at the start of the report are of
// lines up to done, and their size in bytes.
func keptPrefix(path string, done int) (int, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, fmt.Errorf("error report %s is missing, though the store says lines up to %d were done: restore it, or import into a fresh store", path, done)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("error report: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	kept, size := 0, int64(0)
	for {
		b, err := r.ReadBytes('\n')
		if err != nil { // the end, or a torn last line
			return kept, size, nil
		}
		var e entry
		if json.Unmarshal(b, &e) != nil || e.Line <= 0 || e.Line > done {
			return kept, size, nil
		}
		kept++
		size += int64(len(b))
	}
}

// add writes one entry.
func (r *report) add(e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = r.w.Write(append(b, '\n'))
	return err
}

// sync makes every entry written so far durable.
func (r *report) sync() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("error report: %w", err)
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("error report: %w", err)
	}
	return nil
}

// close syncs and closes the report.
func (r *report) close() error {
	err := r.sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}
