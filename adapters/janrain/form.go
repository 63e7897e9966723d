package janrain

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// param is one parameter of the record operations (all but entity.find
// and entity.count): its index in writeParams, which lists every one.
type param uint8

// The parameters, in the order of writeParams.
const (
	pTypeName param = iota
	pUUID
	pID
	pKeyAttribute
	pKeyValue
	pAttributeName
	pValue
	pAttributes
	pCreated
	pLastUpdated
	pIncludeRecord
	numParams
)

// paramSet is a set of params, one bit each.
type paramSet uint16

func (s paramSet) has(p param) bool { return s&(1<<p) != 0 }

// setOf returns the set of the parameters names, each of writeParams.
func setOf(names []string) paramSet {
	var s paramSet
	for _, name := range names {
		s |= 1 << slices.Index(writeParams, name)
	}
	return s
}

// The sets of the parameter lists of Op.params, built once.
var (
	readSet   = setOf(readParams)
	createSet = setOf(createParams)
	deleteSet = setOf(deleteParams)
	writeSet  = setOf(writeParams)
)

// accepts returns the set of the parameters op takes (Op.params).
func (op Op) accepts() paramSet {
	switch op {
	case OpRead:
		return readSet
	case OpCreate:
		return createSet
	case OpDelete:
		return deleteSet
	}
	return writeSet
}

// paramOf returns the param named name, and whether there is one.
func paramOf(name []byte) (param, bool) {
	for i, p := range writeParams {
		if string(name) == p {
			return param(i), true
		}
	}
	return 0, false
}

// args are the parameters of a record call, each sent at most once and
// each one the operation takes: the form after parseArgs, or DecodeForm,
// has checked it. text holds the values and span where each is; raw,
// when not nil, is text as bytes, so a JSON value is decoded without
// a copy.
type args struct {
	text string
	raw  []byte
	span [numParams]struct{ from, to int }
	set  paramSet
}

// has reports whether p was sent, with any value, empty included.
func (a *args) has(p param) bool { return a.set.has(p) }

// get returns the value of p, "" when it was not sent.
func (a *args) get(p param) string { return a.text[a.span[p].from:a.span[p].to] }

// bytes returns the value of p as bytes; the caller does not change them.
func (a *args) bytes(p param) []byte {
	if a.raw == nil {
		return []byte(a.get(p))
	}
	return a.raw[a.span[p].from:a.span[p].to:a.span[p].to]
}

// argsOf returns the args of a form whose parameters checkParams has
// accepted for op.
func argsOf(form url.Values) args {
	var a args
	var text strings.Builder
	for i, name := range writeParams {
		vs, ok := form[name]
		if !ok {
			continue
		}
		a.set |= 1 << i
		a.span[i].from = text.Len()
		if len(vs) > 0 {
			text.WriteString(vs[0])
		}
		a.span[i].to = text.Len()
	}
	a.text = text.String()
	return a
}

// parseArgs parses the form body b of a record call of op into a, as
// parseForm and then checkParams do, with the same error for every body:
// a badly escaped name or value, or one not UTF-8 once unescaped, in the
// order the pairs come; then the least parameter op does not take; then
// the first given twice in op.params. It unescapes b in place (nothing
// else reads it afterwards) and keeps no map: a body costs one string,
// which holds every value, and an unescaped JSON value is decoded from b
// itself.
func parseArgs(a *args, op Op, b []byte) error {
	accepts := op.accepts()
	unknown, hasUnknown := "", false
	var repeated paramSet
	w := 0 // b[:w] is what is unescaped so far
	for r := 0; r < len(b); {
		end := bytes.IndexByte(b[r:], '&')
		if end < 0 {
			end = len(b)
		} else {
			end += r
		}
		if end == r {
			r++ // an empty pair, as "a=1&&b=2" has
			continue
		}
		eq := bytes.IndexByte(b[r:end], '=')
		keyTo, valueFrom := end, end
		if eq >= 0 {
			keyTo, valueFrom = r+eq, r+eq+1
		}
		ks := w
		var ok bool
		if w, ok = unescapeAt(b, w, r, keyTo); !ok {
			return newArgError(update.Malformed, "", "", "the request body is not a valid form: a parameter name is badly escaped")
		}
		ke := w
		if w, ok = unescapeAt(b, w, valueFrom, end); !ok {
			key := string(b[ks:ke])
			return newArgError(update.Malformed, "", key, key+" is badly escaped in the form body")
		}
		if !utf8.Valid(b[ks:ke]) || !utf8.Valid(b[ke:w]) {
			// The body was valid UTF-8, but %-escapes can still encode invalid bytes.
			return newArgError(update.Malformed, "", "", "a form parameter is not valid UTF-8 once unescaped")
		}
		r = end + 1
		switch p, known := paramOf(b[ks:ke]); {
		case !known || !accepts.has(p):
			if !hasUnknown || string(b[ks:ke]) < unknown {
				unknown, hasUnknown = string(b[ks:ke]), true
			}
		case a.set.has(p):
			repeated |= 1 << p
		default:
			a.set |= 1 << p
			a.span[p].from, a.span[p].to = ke, w
		}
	}
	if hasUnknown || repeated != 0 {
		dup := ""
		for _, name := range op.params() {
			if repeated.has(param(slices.Index(writeParams, name))) {
				dup = name
				break
			}
		}
		return refuseParams(op, unknown, hasUnknown, dup)
	}
	a.raw = b[:w]
	a.text = string(a.raw)
	return nil
}

// unescapeAt unescapes b[from:to] as url.QueryUnescape does ('+' is a
// space, %XX the byte XX), writing it to b from w on, and returns where it
// ends; ok is false for a badly escaped one. w is at most from, and
// unescaping never lengthens text, so nothing is written over bytes still
// to be read.
func unescapeAt(b []byte, w, from, to int) (end int, ok bool) {
	i := from
	if w == from {
		// Until the first escape, the text stays where it is.
		for i < to && b[i] != '%' && b[i] != '+' {
			i++
		}
		w = i
	}
	for i < to {
		c := b[i]
		switch c {
		case '%':
			if i+2 >= to || !isHex(b[i+1]) || !isHex(b[i+2]) {
				return w, false
			}
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 3
		case '+':
			c = ' '
			i++
		default:
			i++
		}
		b[w] = c
		w++
	}
	return w, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex is the value of the hex digit c.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// refuseParams is the error for a form naming parameters op does not
// take, the least of them unknown, or naming dup more than once (dup ""
// for none): unknown ones are refused first.
func refuseParams(op Op, unknown string, hasUnknown bool, dup string) error {
	if hasUnknown {
		name := httpx.Clip(unknown, httpx.MaxNameEcho)
		return newArgError(update.Malformed, ruleUnknownArg, name, name+" is not a parameter of "+op.String())
	}
	if dup != "" {
		return newArgError(update.Malformed, ruleDuplicate, dup, dup+" was given more than once")
	}
	return nil
}
