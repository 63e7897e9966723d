package merge

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// parser is Decode's single pass over well-formed input. It builds the
// same value encoding/json builds (with UseNumber), and at the same time
// measures nesting and looks for repeated member names. It never reports
// why input is unfit: on anything it does not accept — bad syntax, a
// repeated name, nesting past the limit, data after the value — it gives
// up, and Decode runs its checked path, whose errors are the ones
// documented. So the parser only has to be exact on input it accepts.
type parser struct {
	data     []byte
	i        int
	depth    int
	maxDepth int
	// check: only decide whether the input is acceptable, building no
	// value (Validate).
	check bool
	// members is a stack of the open objects' members: an object's
	// members are collected here and the map is made once, at its size.
	members []member
}

type member struct {
	name  string
	value any
}

// parse returns the value data holds and true, or false when the input
// needs the checked path.
func (p *parser) parse() (any, bool) {
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.data)
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() (any, bool) {
	p.space()
	if p.i >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		if p.check {
			return nil, p.skipStr()
		}
		s, ok := p.str(false)
		return s, ok
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *parser) literal(word string) bool {
	if len(p.data)-p.i < len(word) || string(p.data[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// open enters one level of nesting, unless that passes the limit.
func (p *parser) open() bool {
	if p.depth >= p.maxDepth {
		return false
	}
	p.depth++
	p.i++
	return true
}

func (p *parser) object() (any, bool) {
	if !p.open() {
		return nil, false
	}
	base := len(p.members)
	v, ok := p.members0(base)
	p.members = p.members[:base]
	return v, ok
}

// members0 reads the members of the object just opened onto p.members
// above base and builds its map.
func (p *parser) members0(base int) (any, bool) {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		p.depth--
		return map[string]any{}, true
	}
	var seen map[string]struct{} // for long objects; short ones are searched
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		name, ok := p.str(true)
		if !ok || p.repeated(base, &seen, name) {
			return nil, false // a repeated name: the checked path says where
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		p.members = append(p.members, member{name, v})
		more, ok := p.next('}')
		switch {
		case !ok:
			return nil, false
		case more:
			continue
		case p.check:
			return nil, true
		}
		out := make(map[string]any, len(p.members)-base)
		for _, m := range p.members[base:] {
			out[m.name] = m.value
		}
		return out, true
	}
}

// next reads what follows a member or element: a comma (more, true) or
// the closing byte, which ends the nesting (false, true); anything else
// is not accepted (ok false).
func (p *parser) next(closing byte) (more, ok bool) {
	p.space()
	if p.i >= len(p.data) {
		return false, false
	}
	switch p.data[p.i] {
	case ',':
		p.i++
		return true, true
	case closing:
		p.i++
		p.depth--
		return false, true
	}
	return false, false
}

// repeated reports whether the object whose members start at base
// already has name, and notes it otherwise.
func (p *parser) repeated(base int, seen *map[string]struct{}, name string) bool {
	if *seen != nil {
		if _, dup := (*seen)[name]; dup {
			return true
		}
		(*seen)[name] = struct{}{}
		return false
	}
	ms := p.members[base:]
	for _, m := range ms {
		if m.name == name {
			return true
		}
	}
	if len(ms) >= 2*smallObject {
		*seen = make(map[string]struct{}, 4*smallObject)
		for _, m := range ms {
			(*seen)[m.name] = struct{}{}
		}
		(*seen)[name] = struct{}{}
	}
	return false
}

func (p *parser) array() (any, bool) {
	if !p.open() {
		return nil, false
	}
	var out []any
	if !p.check {
		out = make([]any, 0)
	}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		p.depth--
		return out, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		if !p.check {
			out = append(out, v)
		}
		more, ok := p.next(']')
		switch {
		case !ok:
			return nil, false
		case !more:
			return out, true
		}
	}
}

// number reads a number in RFC 8259's grammar and keeps its text.
func (p *parser) number() (any, bool) {
	start := p.i
	d := p.data
	if p.i < len(d) && d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	case p.i < len(d) && d[p.i] >= '1' && d[p.i] <= '9':
		p.digits()
	default:
		return nil, false
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false
		}
	}
	if p.check {
		return nil, true
	}
	return json.Number(d[start:p.i]), true
}

func (p *parser) digits() int {
	n := 0
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// str reads a string at p.i (an opening quote), resolving escapes as
// encoding/json does: a lone or mismatched surrogate becomes U+FFFD.
// Control characters are refused; the input is known to be valid UTF-8.
// A member name (name) without escapes comes from the intern cache.
func (p *parser) str(name bool) (string, bool) {
	d := p.data
	start := p.i + 1
	j := start
	for ; j < len(d); j++ {
		c := d[j]
		if c == '"' {
			p.i = j + 1
			if name {
				return intern(d[start:j]), true // member names repeat
			}
			return string(d[start:j]), true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", false
		}
	}
	if j >= len(d) {
		return "", false
	}
	buf := make([]byte, 0, j-start+16)
	buf = append(buf, d[start:j]...)
	for j < len(d) {
		c := d[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			j++
			continue
		}
		if j+1 >= len(d) {
			return "", false
		}
		switch e := d[j+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d[j+2:])
			if !ok {
				return "", false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(d[min(j+2, len(d)):]); ok && j+1 < len(d) && d[j] == '\\' && d[j+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						j += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// skipStr passes over the string at p.i as str would read it, building
// nothing.
func (p *parser) skipStr() bool {
	d := p.data
	for j := p.i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '"':
			p.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(d) {
				return false
			}
			switch d[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(d[j+2:]); !ok {
					return false
				}
				j += 5
			default:
				return false
			}
		}
	}
	return false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}
