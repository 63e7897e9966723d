package sqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/idupdate/idupdate/storage"
)

// appendJSON appends the JSON text of v to dst: exactly the bytes
// encoding/json's Encoder writes with SetEscapeHTML(false), without its
// trailing newline. The values a document is made of (map[string]any,
// []any, string, json.Number, bool and nil) and an event's changes are
// written without reflection, which was most of the cost of storing a
// record; anything else goes through encoding/json.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendQuoted(dst, v), nil
	case json.Number:
		s := string(v)
		if s == "" {
			s = "0" // what encoding/json writes for the zero Number
		}
		if !validNumber(s) {
			return dst, fmt.Errorf("json: invalid number literal %q", s)
		}
		return append(dst, s...), nil
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		names := make([]string, 0, len(v))
		for name := range v {
			names = append(names, name)
		}
		slices.Sort(names)
		dst = append(dst, '{')
		for i, name := range names {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, name)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, v[name]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []storage.Change:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, c := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendChange(dst, c); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendChange writes c as encoding/json does from its struct tags: path
// and op always, old and new unless they are nil.
func appendChange(dst []byte, c storage.Change) ([]byte, error) {
	dst = append(dst, `{"path":`...)
	dst = appendQuoted(dst, c.Path)
	dst = append(dst, `,"op":`...)
	dst = appendQuoted(dst, c.Op)
	var err error
	if c.Old != nil {
		dst = append(dst, `,"old":`...)
		if dst, err = appendJSON(dst, c.Old); err != nil {
			return dst, err
		}
	}
	if c.New != nil {
		dst = append(dst, `,"new":`...)
		if dst, err = appendJSON(dst, c.New); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string the way encoding/json writes it
// without HTML escaping: quote and backslash escaped, control characters as
// \b \f \n \r \t or \u00XX, invalid UTF-8 as \ufffd, and U+2028 and U+2029
// escaped because JavaScript cannot hold them raw in a string.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		var esc string
		size := 1
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				esc = `\"`
			case '\\':
				esc = `\\`
			case '\b':
				esc = `\b`
			case '\f':
				esc = `\f`
			case '\n':
				esc = `\n`
			case '\r':
				esc = `\r`
			case '\t':
				esc = `\t`
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			default:
				i += size
				continue
			}
		}
		dst = append(dst, s[done:i]...)
		if esc != "" {
			dst = append(dst, esc...)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number (RFC 8259, section 6):
// an optional minus, an integer part without leading zeros, an optional
// fraction and an optional exponent.
func validNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// encodeBuffers recycles the buffers documents are encoded into, up to
// maxPooledBuffer bytes each, so that a rare huge document does not stay
// in memory.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuffer = 64 << 10
