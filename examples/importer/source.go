package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// survey is what a first pass over the input finds.
type survey struct {
	// id identifies the file's contents: the first 16 bytes of its
	// SHA-256, in hex.
	id string
	// users is the number of lines that are not blank.
	users int
}

// surveyFile reads the file once, in constant memory, for its identity
// and its number of users (the progress display's total).
func surveyFile(path string) (survey, error) {
	f, err := os.Open(path)
	if err != nil {
		return survey{}, err
	}
	defer f.Close()
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 64<<10)
	n, blank := 0, true
	for {
		chunk, err := r.ReadSlice('\n')
		if blank && len(bytes.TrimSpace(chunk)) > 0 {
			blank = false
		}
		end := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if end || (errors.Is(err, io.EOF) && len(chunk) > 0) {
			if !blank {
				n++
			}
			blank = true
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return survey{id: hex.EncodeToString(h.Sum(nil)[:16]), users: n}, nil
		default:
			return survey{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// line is one line of the input.
type line struct {
	num  int    // 1-based
	data []byte // the line without its end; nil when too long or blank
	// tooLong: the line is longer than the limit; its bytes were passed
	// over without being kept.
	tooLong bool
	blank   bool
}

// lineReader reads lines of at most max bytes, in constant memory
// whatever the input holds.
type lineReader struct {
	r   *bufio.Reader
	max int
	num int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, or io.EOF after the last.
func (l *lineReader) next() (line, error) {
	var buf []byte
	tooLong, seen := false, false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(chunk) > 0 {
			seen = true
		}
		if !tooLong {
			if len(buf)+len(chunk) > l.max+2 { // room for "\r\n"
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return line{}, err
		case errors.Is(err, io.EOF) && !seen:
			return line{}, io.EOF
		}
		l.num++
		ln := line{num: l.num, tooLong: tooLong}
		if !tooLong {
			buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
			if len(buf) > l.max {
				ln.tooLong = true
			} else if len(bytes.TrimSpace(buf)) == 0 {
				ln.blank = true
			} else {
				ln.data = buf
			}
		}
		return ln, nil
	}
}
