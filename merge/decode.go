package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// DecodeLimits bound what Decode accepts. The zero value sets no size limit
// and only the parser's own depth limit.
type DecodeLimits struct {
	// MaxBytes is the largest input accepted, in bytes.
	MaxBytes int
	// MaxDepth is the deepest nesting accepted, counted as Depth counts:
	// a scalar is 0, [] is 1, [[]] is 2. Zero, or a value above 10000,
	// means 10000, the most encoding/json parses.
	MaxDepth int
}

// Decode parses untrusted bytes into a document: exactly one JSON value,
// numbers as json.Number, objects as map[string]any, arrays as []any.
// The checks run cheapest first, so hostile input is refused before it
// costs much: size (ErrTooLarge), then UTF-8 validity (ErrMalformed), then
// one pass over the bytes measuring nesting outside strings (ErrTooDeep,
// so a million "[" are refused before any parsing) and looking for an
// object that repeats a member name (ErrMalformed, with the member's
// path), then the parse itself (ErrMalformed for bad syntax or data after
// the value). Repeated names are refused because
// parsers disagree on them (first wins, last wins, or error): a request
// that means one thing to a gateway and another to this code could slip a
// value past a check. Well-formed input is decoded in a single pass that
// makes all these checks as it goes; input that fails one is looked at
// again, cheapest check first, so the error is always the one above.
// Decode is safe for concurrent use.
func Decode(data []byte, lim DecodeLimits) (any, error) {
	if err := precheck(data, lim); err != nil {
		return nil, err
	}
	if v, ok := parseOnce(data, lim); ok {
		return v, nil
	}
	return decodeChecked(data, lim)
}

// DecodeQuick is Decode without its second look: the document and true
// when Decode accepts data, and false, without saying why, when Decode
// refuses it. Refused input costs one pass that stops where the input
// goes wrong, not Decode's checks that find its error. It is for callers
// that answer bad input with another decoder's error, which they would
// get by parsing the input again anyway.
func DecodeQuick(data []byte, lim DecodeLimits) (any, bool) {
	if precheck(data, lim) == nil {
		if v, ok := parseOnce(data, lim); ok {
			return v, true
		}
	}
	return nil, false
}

// parseOnce is Decode's single pass, after precheck. On false, the value
// is whatever the pass had built and is of no use.
func parseOnce(data []byte, lim DecodeLimits) (any, bool) {
	stack := memberStacks.Get().(*[]member)
	p := parser{data: data, maxDepth: depthLimit(lim.MaxDepth), members: (*stack)[:0]}
	v, ok := p.parse()
	if cap(p.members) <= maxPooledMembers {
		// Cleared, so the pool holds on to none of the decoded values.
		*stack = p.members[:cap(p.members)]
		clear(*stack)
		memberStacks.Put(stack)
	}
	return v, ok
}

// memberStacks keeps the parser's member stacks between calls of Decode,
// which otherwise allocates one per call. A stack that grew past
// maxPooledMembers for a large input is left to the garbage collector.
var memberStacks = sync.Pool{New: func() any {
	s := make([]member, 0, 16)
	return &s
}}

const maxPooledMembers = 256

// Validate reports what Decode would refuse data for, with the same
// error, or nil when Decode would accept it. It builds no value, so it
// costs less than Decode for callers that decode the bytes some other way
// (into a struct, say) and want Decode's checks first.
func Validate(data []byte, lim DecodeLimits) error {
	if err := precheck(data, lim); err != nil {
		return err
	}
	p := parser{data: data, maxDepth: depthLimit(lim.MaxDepth), check: true}
	if _, ok := p.parse(); ok {
		return nil
	}
	_, err := decodeChecked(data, lim)
	return err
}

// precheck runs the checks that come before any parsing: size, then
// UTF-8 validity.
func precheck(data []byte, lim DecodeLimits) error {
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return newErr(ErrTooLarge, "", "%d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if !utf8.Valid(data) {
		return newErr(ErrMalformed, "", "the input is not valid UTF-8")
	}
	return nil
}

// decodeChecked is Decode for input the single-pass parser did not
// accept: it finds what is wrong, cheapest check first, and says so.
func decodeChecked(data []byte, lim DecodeLimits) (any, error) {
	if err := scan(data, lim.MaxDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Kind: ErrMalformed, Msg: err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, newErr(ErrMalformed, "", "data after the value")
	}
	return v, nil
}

// parserDepth is the deepest nesting encoding/json parses; scan refuses
// deeper input itself so that it never keeps more frames than that.
const parserDepth = 10000

// depthLimit is the nesting Decode accepts for DecodeLimits.MaxDepth.
func depthLimit(maxDepth int) int {
	if maxDepth <= 0 || maxDepth > parserDepth {
		return parserDepth
	}
	return maxDepth
}

// scanFrame is one open object or array during scan.
type scanFrame struct {
	isObj     bool
	expectKey bool
	index     int      // elements seen so far (arrays)
	last      string   // the member being read (objects)
	small     []string // member names, while few
	names     map[string]struct{}
}

// smallObject is how many names an object holds before scan switches from
// a linear search to a map.
const smallObject = 8

// scan walks data once, tracking nesting outside strings and the member
// names of each open object. It trusts nothing: on malformed input it may
// stop early or miss things, and the parse that follows reports the syntax
// error; on well-formed input it is exact.
func scan(data []byte, maxDepth int) error {
	maxDepth = depthLimit(maxDepth)
	var stack []scanFrame
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			end, escaped := stringEnd(data, i)
			if n := len(stack); n > 0 && stack[n-1].isObj && stack[n-1].expectKey {
				name, ok := memberName(data[i:end+1], escaped)
				if ok {
					top := &stack[n-1]
					if top.seen(name) {
						top.last = name
						return newErr(ErrMalformed, scanPath(stack), "member %q appears twice", name)
					}
					top.last = name
					top.expectKey = false
				}
			}
			i = end
		case '{', '[':
			if len(stack) >= maxDepth {
				return newErr(ErrTooDeep, "", "nesting passes %d levels at byte %d", maxDepth, i)
			}
			stack = append(stack, scanFrame{isObj: c == '{', expectKey: c == '{'})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].isObj {
					stack[n-1].expectKey = true
				} else {
					stack[n-1].index++
				}
			}
		}
	}
	return nil
}

// stringEnd returns the index of the quote closing the string that opens
// at start (or the last index when it never closes) and whether the string
// holds escapes.
func stringEnd(data []byte, start int) (int, bool) {
	escaped := false
	for j := start + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return len(data) - 1, escaped
}

// memberName returns the text of a quoted name; escapes are resolved by
// encoding/json itself so "\u0041" and "A" are the same name, as they are
// once decoded.
func memberName(quoted []byte, escaped bool) (string, bool) {
	if !escaped {
		if len(quoted) < 2 {
			return "", false
		}
		return string(quoted[1 : len(quoted)-1]), true
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", false
	}
	return s, true
}

func (f *scanFrame) seen(name string) bool {
	if f.names != nil {
		if _, ok := f.names[name]; ok {
			return true
		}
		f.names[name] = struct{}{}
		return false
	}
	for _, n := range f.small {
		if n == name {
			return true
		}
	}
	if len(f.small) < smallObject {
		f.small = append(f.small, name)
		return false
	}
	f.names = make(map[string]struct{}, 2*smallObject)
	for _, n := range f.small {
		f.names[n] = struct{}{}
	}
	f.names[name] = struct{}{}
	f.small = nil
	return false
}

// scanPath is the pointer of the member or element being read.
func scanPath(stack []scanFrame) string {
	p := ""
	for _, f := range stack {
		if f.isObj {
			p = child(p, f.last)
		} else {
			p = childIndex(p, f.index)
		}
	}
	return p
}
