package druid

import (
	"strings"

	"github.com/idupdate/idupdate/merge"
)

// decodeUpdateBody reads an update body in one pass: the activity's
// envelope, the user's members and ids straight into an Update, and only
// datas, assertions and addresses decoded as documents (merge.Decode).
// b is a body as httpx.ReadBody returns it (at most maxBytes, valid
// UTF-8); maxDepth is Config.MaxDepth.
//
// It takes only a body that the checked path (merge.Decode, then
// DecodeUpdate or DecodeSelfUpdate) accepts, and then gives the Update
// that path gives; it reports false for anything else (an escape in a
// member of the envelope, a null, a member out of place, a wrong value,
// a repeated name, bad syntax, nesting near the limit...), and the
// caller runs the checked path, so every error answer is that path's.
func decodeUpdateBody(b []byte, maxBytes, maxDepth int, self bool) (*Update, bool) {
	if maxDepth <= 0 || maxDepth > 10000 {
		maxDepth = 10000 // as merge.DecodeLimits reads it
	}
	// The envelope nests 4 deep (the body, object, ids, one id), and
	// datas, assertions and addresses sit 2 deep.
	if maxDepth < 4 {
		return nil, false
	}
	d := fastDecoder{data: b, lim: merge.DecodeLimits{MaxBytes: maxBytes, MaxDepth: maxDepth - 2}}
	u := &Update{}
	var seen, want uint8 // actor, verb, object, source
	want = 1<<4 - 1
	ok := d.object(func(name []byte) bool {
		switch string(name) {
		case "actor":
			return d.once(&seen, 1) && d.envelope("application", func() bool {
				u.Actor = d.plain()
				return u.Actor != ""
			})
		case "verb":
			u.Verb = d.oneOf(verbsUpdate)
			return d.once(&seen, 2) && u.Verb != ""
		case "object":
			return d.once(&seen, 4) && d.user(u, self)
		case "source":
			return d.once(&seen, 8) && d.envelope("device", func() bool {
				u.Source = d.oneOf(sourceIDs)
				return u.Source != ""
			})
		}
		return false
	})
	if !ok || seen != want {
		return nil, false
	}
	d.space()
	if d.i != len(d.data) {
		return nil, false
	}
	return u, true
}

// fastDecoder is decodeUpdateBody's reader. Its methods report false, or
// leave ok false, at the first thing they do not take.
type fastDecoder struct {
	data []byte
	i    int
	// lim bounds the documents (datas, assertions, addresses).
	lim merge.DecodeLimits
}

func (d *fastDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after space, or 0 at the end.
func (d *fastDecoder) peek() byte {
	d.space()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

// byteIs reads c after space.
func (d *fastDecoder) byteIs(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// raw reads a string without escapes or control characters and returns
// its bytes, nil for anything else; "" is read as empty, not nil.
func (d *fastDecoder) raw() []byte {
	if d.peek() != '"' {
		return nil
	}
	start := d.i + 1
	for j := start; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			d.i = j + 1
			return d.data[start:j:j]
		case c == '\\' || c < 0x20:
			return nil
		}
	}
	return nil
}

// plain is raw as a string, "" for what raw refuses (which the callers
// all refuse, as none takes "").
func (d *fastDecoder) plain() string { return string(d.raw()) }

// is reads a plain string and reports whether it is want.
func (d *fastDecoder) is(want string) bool {
	b := d.raw()
	return b != nil && string(b) == want
}

// oneOf reads a plain string and returns the element of list it equals,
// "" for none.
func (d *fastDecoder) oneOf(list []string) string {
	b := d.raw()
	for _, s := range list {
		if string(b) == s {
			return s
		}
	}
	return ""
}

// object reads an object, calling member with each member's name with
// the reader at its value. Names must be plain and not empty; member
// reads the value and says whether it took it.
func (d *fastDecoder) object(member func(name []byte) bool) bool {
	if !d.byteIs('{') {
		return false
	}
	if d.byteIs('}') {
		return true
	}
	for {
		name := d.raw()
		if len(name) == 0 || !d.byteIs(':') || !member(name) {
			return false
		}
		if d.byteIs('}') {
			return true
		}
		if !d.byteIs(',') {
			return false
		}
	}
}

// once marks bit in seen, reporting false when it was already marked: a
// repeated member.
func (d *fastDecoder) once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// envelope reads actor or source: an object of exactly id, which id
// reads, and objectType, which must be objectType.
func (d *fastDecoder) envelope(objectType string, id func() bool) bool {
	var seen uint8
	return d.object(func(name []byte) bool {
		switch string(name) {
		case "id":
			return d.once(&seen, 1) && id()
		case "objectType":
			return d.once(&seen, 2) && d.is(objectType)
		}
		return false
	}) && seen == 3
}

// The members of the object member (decodeUser), as bits.
const (
	userObjectType = 1 << iota
	userID
	userPassword
	userIDs
	userDatas
	userAssertions
	userAddresses
)

// user reads the object member into u as decodeUser does.
func (d *fastDecoder) user(u *Update, self bool) bool {
	var seen uint8
	ok := d.object(func(name []byte) bool {
		switch string(name) {
		case "objectType":
			return d.once(&seen, userObjectType) && d.is("user")
		case "id":
			u.UserID = d.plain()
			return d.once(&seen, userID) && u.UserID != "" && len(u.UserID) <= maxNameLen
		case "password":
			if !d.once(&seen, userPassword) || d.peek() != '"' {
				return false
			}
			start := d.i
			p := d.plain()
			if d.i == start { // not plain; "" is a password too
				return false
			}
			u.Password = &p
			return true
		case "ids":
			return d.once(&seen, userIDs) && d.ids(u)
		case "datas":
			return d.once(&seen, userDatas) && d.named(&u.Datas)
		case "assertions":
			return d.once(&seen, userAssertions) && d.named(&u.Assertions)
		case "addresses":
			return d.once(&seen, userAddresses) && d.addresses(&u.Addresses)
		}
		return false
	})
	return ok && seen&userObjectType != 0 && (self || seen&userID != 0)
}

// ids reads object.ids as decodeIDs does, every id a known one sent as
// a user_id object.
func (d *fastDecoder) ids(u *Update) bool {
	u.IDs = make(map[string]ID, len(idFields))
	return d.object(func(raw []byte) bool {
		f, known := idByName(string(raw))
		name := f.name
		if _, repeated := u.IDs[name]; !known || repeated {
			return false
		}
		var (
			id   ID
			seen uint8
		)
		ok := d.object(func(member []byte) bool {
			switch string(member) {
			case "objectType":
				return d.once(&seen, 1) && d.is("user_id")
			case "value":
				id.Value = d.plain()
				return d.once(&seen, 2) && id.Value != ""
			case "confirmed":
				if !d.once(&seen, 4) {
					return false
				}
				switch {
				case d.literal("true"):
					id.Confirmed = true
				case d.literal("false"):
				default:
					return false
				}
				return true
			}
			return false
		})
		if !ok || seen&2 == 0 {
			return false
		}
		u.IDs[name] = id
		return true
	})
}

// literal reads word (true, false) after space.
func (d *fastDecoder) literal(word string) bool {
	d.space()
	end := d.i + len(word)
	if end > len(d.data) || string(d.data[d.i:end]) != word {
		return false
	}
	if end < len(d.data) && !strings.ContainsRune(" \t\r\n,}]", rune(d.data[end])) {
		return false
	}
	d.i = end
	return true
}

// named reads datas or assertions as named does: an object whose member
// names are 1 to maxNameLen characters without / or ~.
func (d *fastDecoder) named(to *map[string]any) bool {
	if d.peek() != '{' {
		return false
	}
	v, ok := d.document()
	m, isObj := v.(map[string]any)
	if !ok || !isObj {
		return false
	}
	for k := range m {
		if k == "" || len(k) > maxNameLen || strings.ContainsAny(k, "/~") {
			return false
		}
	}
	*to = m
	return true
}

// addresses reads object.addresses as addresses does: an array of
// objects.
func (d *fastDecoder) addresses(to *[]any) bool {
	if d.peek() != '[' {
		return false
	}
	v, ok := d.document()
	arr, isArr := v.([]any)
	if !ok || !isArr {
		return false
	}
	for _, a := range arr {
		if _, isObj := a.(map[string]any); !isObj {
			return false
		}
	}
	*to = arr
	return true
}

// document decodes the object or array at the reader with merge.Decode,
// which checks it as it would as part of the body (its nesting counted
// from where it sits), and moves past it.
func (d *fastDecoder) document() (any, bool) {
	end, ok := d.skip()
	if !ok {
		return nil, false
	}
	v, err := merge.Decode(d.data[d.i:end], d.lim)
	if err != nil {
		return nil, false
	}
	d.i = end
	return v, true
}

// skip returns where the object or array at the reader ends: its
// brackets matched outside strings. What it spans is checked by
// merge.Decode.
func (d *fastDecoder) skip() (int, bool) {
	depth := 0
	for j := d.i; j < len(d.data); j++ {
		switch d.data[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		case '"':
			for j++; j < len(d.data) && d.data[j] != '"'; j++ {
				if d.data[j] == '\\' {
					j++
				}
			}
		}
	}
	return 0, false
}
