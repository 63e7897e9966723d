// Package jsontext appends JSON text exactly as encoding/json writes it,
// without reflection for the values JSON documents are made of.
package jsontext

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encoder appends values as encoding/json's Encoder writes them, without
// its trailing newline. The zero Encoder does not escape HTML characters,
// as Encoder.SetEscapeHTML(false) does not. An Encoder is safe for
// concurrent use.
type Encoder struct {
	// EscapeHTML writes <, > and & as \u003c, \u003e and \u0026, as
	// json.Marshal does.
	EscapeHTML bool
	// Other, when set, is offered every value of a type Append does not
	// know before encoding/json is: it appends v and reports true, or
	// reports false and leaves it to encoding/json. It must write what
	// encoding/json would.
	Other func(e *Encoder, dst []byte, v any) ([]byte, bool, error)
}

// Append appends the JSON text of v to dst, and encoding/json's error for
// a value it refuses. The values JSON documents are made of
// (map[string]any, []any, []string, string, json.Number, bool, nil, int,
// int64 and uint64) are written without reflection; others go to Other,
// then to encoding/json.
func (e *Encoder) Append(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case string:
		return e.AppendString(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case json.Number:
		if v == "" {
			return append(dst, '0'), nil // encoding/json's zero Number
		}
		if validNumber(string(v)) {
			return append(dst, v...), nil
		}
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		// Most objects have few members: their names are sorted on the
		// stack, without an allocation per object.
		var stack [32]string
		names := SortedNames(stack[:0], v)
		dst = append(dst, '{')
		for i, name := range names {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(e.AppendString(dst, name), ':')
			var err error
			if dst, err = e.Append(dst, v[name]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, el := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.Append(dst, el); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.AppendStrings(dst, v), nil
	default:
		if e.Other != nil {
			out, ok, err := e.Other(e, dst, v)
			if ok || err != nil {
				return out, err
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(e.EscapeHTML)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// SortedNames returns the member names of m in the order Append writes
// them, in names' memory when it has room for them all.
func SortedNames(names []string, m map[string]any) []string {
	names = names[:0]
	if cap(names) < len(m) {
		names = make([]string, 0, len(m))
	}
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// AppendStrings appends ss as a JSON array of strings.
func (e *Encoder) AppendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = e.AppendString(dst, s)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way encoding/json writes it:
// quote and backslash escaped; \b \f \n \r \t, other control characters as
// \u00XX; with EscapeHTML <, > and & as \u003c, \u003e and \u0026; invalid
// UTF-8 as \ufffd; U+2028 and U+2029 escaped, because JavaScript cannot
// hold them raw in a string.
func (e *Encoder) AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!e.EscapeHTML || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
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
		dst = append(append(dst, s[done:i]...), esc...)
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
