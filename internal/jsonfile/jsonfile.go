// Package jsonfile decodes JSON configuration files strictly and reports
// each error with the file, line and column, the JSON path, what was
// expected there and the closest valid name.
//
// The shim server's -config file and update's policy files share it, so
// every configuration error reads the same way:
//
//	config.json:3:5: $.janrain.client: unknown member "client"; expected one of clients, maxBody, maxDepth; did you mean "clients"?
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a configuration error at one place of one file.
type Error struct {
	File   string // the file's name as given; empty when decoding bytes of no file
	Line   int    // 1-based; 0 when the place is unknown
	Column int    // 1-based, in characters
	Path   string // JSON path of the value, "$" for the whole document
	// Problem says what is wrong, e.g. `unknown member "client"`.
	Problem string
	// Expected says what would be right, e.g. "one of clients, maxBody"
	// or "a duration such as \"90s\""; empty when there is nothing to add.
	Expected string
	// Suggestion is the closest valid name, if one is close enough.
	Suggestion string
	// Err is the underlying error, if any.
	Err error

	path []any // set by AtPath until Locate places the error
}

// Error formats e as FILE:LINE:COL: PATH: PROBLEM; expected EXPECTED; did you mean "SUGGESTION"?
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Problem)
	if e.Expected != "" {
		b.WriteString("; expected " + e.Expected)
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, "; did you mean %q?", e.Suggestion)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ValueError is what a type's UnmarshalJSON returns to say that a value is
// not one it accepts; Decode places it at the value. Its fields mean what
// Error's do.
type ValueError struct {
	Problem    string
	Expected   string
	Suggestion string
}

func (e *ValueError) Error() string {
	s := e.Problem
	if e.Expected != "" {
		s += "; expected " + e.Expected
	}
	if e.Suggestion != "" {
		s += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return s
}

// OneOf returns a ValueError for a value that must be one of names: the
// problem names what and the value, the expectation lists names and the
// suggestion is the closest of them.
func OneOf(what, value string, names []string) *ValueError {
	return &ValueError{
		Problem:    fmt.Sprintf("unknown %s %q", what, value),
		Expected:   "one of " + strings.Join(names, ", "),
		Suggestion: Closest(value, names),
	}
}

// Place returns the line and 1-based column (in characters) of byte
// offset off in data.
func Place(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// At returns an Error placed at the value that path names in data (the
// member names and element indexes from the top), for a problem found
// after decoding, such as a client list an adapter refuses. When path
// cannot be found the error is placed at the top of the file.
func At(file string, data []byte, path []any, problem error) *Error {
	e := &Error{File: file, Path: FormatPath(path), Err: problem}
	var ve *ValueError
	if errors.As(problem, &ve) {
		e.Problem, e.Expected, e.Suggestion = ve.Problem, ve.Expected, ve.Suggestion
	} else {
		e.Problem = problem.Error()
	}
	off, ok := locate(data, path)
	if !ok {
		off = skipSpace(data, 0)
	}
	e.Line, e.Column = Place(data, off)
	return e
}

// FormatPath writes a path as $.name[0]["/not an identifier"].
func FormatPath(path []any) string {
	var b strings.Builder
	b.WriteString("$")
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if isIdent(p) {
				b.WriteString("." + p)
			} else {
				b.WriteString("[" + strconv.Quote(p) + "]")
			}
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// skipSpace returns the offset of the first byte at or after off that is
// not white space, a comma or a colon: where the next token begins.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// Closest returns the name in names nearest to s, when near enough to be
// a likely slip: equal ignoring case, or within an edit distance of about
// a third of its length (at least 1 from three characters on, at most 3),
// or a name it begins or that begins it. It returns "" otherwise.
func Closest(s string, names []string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if strings.EqualFold(s, n) {
			return n
		}
		if d := distance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	limit := min(utf8.RuneCountInString(s)/3, 3)
	if utf8.RuneCountInString(s) >= 3 {
		limit = max(limit, 1)
	}
	if bestD <= limit {
		return best
	}
	// A name that s starts or ends (a plural dropped, a prefix forgotten).
	for _, n := range names {
		ls, ln := strings.ToLower(s), strings.ToLower(n)
		if len(ls) >= 3 && (strings.HasPrefix(ln, ls) || strings.HasPrefix(ls, ln) && len(ln) >= 3) {
			return n
		}
	}
	return ""
}

// distance is the optimal string alignment distance between a and b, by
// characters: insertions, deletions, substitutions and swaps of two
// neighbours each count one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// locate finds the offset where the value at path begins.
func locate(data []byte, path []any) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for _, step := range path {
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		switch step := step.(type) {
		case string:
			if tok != json.Delim('{') {
				return 0, false
			}
			for {
				if !dec.More() {
					return 0, false
				}
				k, err := dec.Token()
				if err != nil {
					return 0, false
				}
				if k == step {
					break
				}
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return 0, false
				}
			}
		case int:
			if tok != json.Delim('[') {
				return 0, false
			}
			for i := 0; i < step; i++ {
				if !dec.More() {
					return 0, false
				}
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return 0, false
				}
			}
			if !dec.More() {
				return 0, false
			}
		}
	}
	return skipSpace(data, int(dec.InputOffset())), true
}

// AtPath returns an Error for a problem found after decoding, at the value
// path names, without a position yet: Locate fills in the file, line and
// column once the file's contents are at hand.
func AtPath(path []any, problem error) *Error {
	e := At("", nil, path, problem)
	e.Line, e.Column = 0, 0
	e.path = path
	return e
}

// Locate places err, when it is or wraps an *Error from AtPath, in file
// (whose contents are data), and returns err, wrappers and all; other
// errors come back as they are.
func Locate(err error, file string, data []byte) error {
	var e *Error
	if !errors.As(err, &e) || e.path == nil || e.Line > 0 {
		return err
	}
	// Wrappers made with fmt.Errorf keep their text, so the placed
	// error is wrapped again with the same prefix.
	prefix, ok := strings.CutSuffix(err.Error(), e.Error())
	if !ok {
		prefix = ""
	}
	placed := At(file, data, e.path, e)
	placed.Problem, placed.Expected, placed.Suggestion, placed.Err = e.Problem, e.Expected, e.Suggestion, e.Err
	return fmt.Errorf("%s%w", prefix, placed)
}
