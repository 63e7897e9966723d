package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// DecodeLimits bound what Decode accepts. Zero means no limit.
type DecodeLimits struct {
	// MaxBytes is the largest input accepted, in bytes.
	MaxBytes int
	// MaxDepth is the deepest nesting accepted, counted as Depth counts:
	// a scalar is 0, [] is 1, [[]] is 2.
	MaxDepth int
}

// Decode parses untrusted bytes into a document: exactly one JSON value,
// numbers as json.Number, objects as map[string]any, arrays as []any.
// The checks run cheapest first, so hostile input is refused before it
// costs much: size (ErrTooLarge), then UTF-8 validity (ErrMalformed), then
// one pass over the bytes measuring nesting outside strings (ErrTooDeep,
// so a million "[" are refused before any parsing), then the parse itself
// (ErrMalformed for bad syntax, trailing data after the value, or an
// object that repeats a member name). Repeated names are refused because
// parsers disagree on them (first wins, last wins, or error): a request
// that means one thing to a gateway and another to this code could slip a
// value past a check. Decode is safe for concurrent use.
func Decode(data []byte, lim DecodeLimits) (any, error) {
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return nil, newErr(ErrTooLarge, "", "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if !utf8.Valid(data) {
		return nil, newErr(ErrMalformed, "", "the input is not valid UTF-8")
	}
	if lim.MaxDepth > 0 {
		if err := checkDepth(data, lim.MaxDepth); err != nil {
			return nil, err
		}
	}
	return decodeValue(data)
}

// checkDepth scans once for brackets outside strings and stops at the
// first one past max.
func checkDepth(data []byte, max int) error {
	depth := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return newErr(ErrTooDeep, "", "nesting passes %d levels at byte %d", max, i)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

// frame is one open object or array while decoding.
type frame struct {
	obj     map[string]any
	arr     []any
	isObj   bool
	key     string
	haveKey bool
	path    string
}

// decodeValue builds the value from the token stream with an explicit
// stack, so nesting depth never turns into Go call depth, and checks each
// member name against the names already seen in its object.
func decodeValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	path := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].path
	}
	var root any
	done := false
	for !done {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, newErr(ErrMalformed, path(), "unexpected end of input")
			}
			return nil, &Error{Kind: ErrMalformed, Path: path(), Msg: err.Error()}
		}
		var v any
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				p := ""
				if len(stack) > 0 {
					top := stack[len(stack)-1]
					if top.isObj {
						p = child(top.path, top.key)
					} else {
						p = childIndex(top.path, len(top.arr))
					}
				}
				f := &frame{isObj: t == '{', path: p}
				if f.isObj {
					f.obj = map[string]any{}
				} else {
					f.arr = []any{}
				}
				stack = append(stack, f)
				continue
			default:
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if f.isObj {
					v = f.obj
				} else {
					v = f.arr
				}
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].isObj && !stack[n-1].haveKey {
				top := stack[n-1]
				if _, dup := top.obj[t]; dup {
					return nil, newErr(ErrMalformed, child(top.path, t), "member %q appears twice", t)
				}
				top.key, top.haveKey = t, true
				continue
			}
			v = t
		default:
			v = tok
		}
		if len(stack) == 0 {
			root, done = v, true
			continue
		}
		top := stack[len(stack)-1]
		if top.isObj {
			top.obj[top.key] = v
			top.haveKey = false
		} else {
			top.arr = append(top.arr, v)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, newErr(ErrMalformed, "", "data after the value")
	}
	return root, nil
}
