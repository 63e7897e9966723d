// Package jsonval holds the value semantics the storage backends share:
// exact decimal comparison, simple case folding, RFC 3339 instants, sort
// keys and listing cursors.
package jsonval

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Decimal is an exact decimal number: (-1 if Neg) × 0.Digits × 10^Exp.
// Digits has no leading or trailing zeros; zero is the Decimal with no
// Digits (and Neg false).
type Decimal struct {
	Neg    bool
	Digits string
	Exp    int64
}

// maxExp is where parsed exponents saturate, far beyond any number a
// backend can hold, so arithmetic on it cannot overflow.
const maxExp = 1 << 60

// ParseDecimal parses a JSON number (RFC 8259 grammar). ok is false when s
// is not one.
func ParseDecimal(s string) (d Decimal, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		d.Neg = true
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[intStart:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return Decimal{}, false
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return Decimal{}, false
		}
		frac = s[start:i]
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < maxExp {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return Decimal{}, false
		}
		exp = min(exp, maxExp)
		if neg {
			exp = -exp
		}
	}
	if i != len(s) {
		return Decimal{}, false
	}
	digits := intPart + frac
	point := int64(len(intPart))
	trimmed := strings.TrimLeft(digits, "0")
	point -= int64(len(digits) - len(trimmed))
	trimmed = strings.TrimRight(trimmed, "0")
	if trimmed == "" {
		return Decimal{}, true
	}
	d.Digits = trimmed
	d.Exp = point + exp
	return d, true
}

func (d Decimal) sign() int {
	switch {
	case d.Digits == "":
		return 0
	case d.Neg:
		return -1
	}
	return 1
}

// Cmp returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a Decimal) Cmp(b Decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb || sa == 0 {
		return cmpInt(sa, sb)
	}
	c := cmpInt64(a.Exp, b.Exp)
	if c == 0 {
		c = strings.Compare(a.Digits, b.Digits)
	}
	return c * sa
}

// Key returns bytes that sort (bytes.Compare) as the numbers do.
func (d Decimal) Key() []byte {
	var b [9]byte
	switch d.sign() {
	case 0:
		return []byte{2}
	case 1:
		b[0] = 3
		binary.BigEndian.PutUint64(b[1:], uint64(d.Exp)+1<<63)
		return append(b[:], d.Digits...)
	}
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:], ^(uint64(d.Exp) + 1<<63))
	out := append([]byte(nil), b[:]...)
	for i := 0; i < len(d.Digits); i++ {
		out = append(out, 0xff-d.Digits[i])
	}
	// A shorter digit string is a smaller magnitude, so a larger negative
	// number: the terminator sorts above every complemented digit.
	return append(out, 0xff)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// NumberText returns the JSON text of v if v is a number of a decoded
// document: json.Number, float64, int or int64.
func NumberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// Number returns v as a Decimal if v is a number.
func Number(v any) (Decimal, bool) {
	s, ok := NumberText(v)
	if !ok {
		return Decimal{}, false
	}
	return ParseDecimal(s)
}

// canon maps a rune to the smallest rune of its simple case folding orbit,
// so that two strings are equal under simple case folding exactly when
// their canonical forms are equal.
func canon(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// Fold returns s with every rune replaced by the canonical member of its
// simple case folding orbit (the one with the smallest code point): "k",
// "K" and the Kelvin sign all become "K". Runes outside any orbit stay.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 'a' && c <= 'z') {
			return strings.Map(canon, s)
		}
	}
	return s
}

var foldTable struct {
	once     sync.Once
	from, to string
}

// FoldTable returns two strings of equal rune count: every rune Fold
// changes, in code point order, and what it becomes. SQL's
// translate(s, from, to) then computes Fold(s).
func FoldTable() (from, to string) {
	foldTable.once.Do(func() {
		var f, t strings.Builder
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			if c := canon(r); c != r {
				f.WriteRune(r)
				t.WriteRune(c)
			}
		}
		foldTable.from, foldTable.to = f.String(), t.String()
	})
	return foldTable.from, foldTable.to
}

var instantRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)

// ParseInstant parses an RFC 3339 date-time of the form the filters accept
// (see storage.Filter). ok is false for any other string.
func ParseInstant(s string) (time.Time, bool) {
	if len(s) > 35 || !instantRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil || t.Year() < 1 {
		return time.Time{}, false
	}
	return t, true
}

// Rank orders the kinds of value in a sort.
const (
	RankNone   = 0 // absent, null, array, object
	RankBool   = 1
	RankNumber = 2
	RankString = 3
)

// SortRank returns v's rank.
func SortRank(v any) int {
	switch v.(type) {
	case bool:
		return RankBool
	case string:
		return RankString
	}
	if _, ok := NumberText(v); ok {
		return RankNumber
	}
	return RankNone
}

// SortKey returns bytes that sort (bytes.Compare) as storage.Sort orders
// values: by rank, then false before true, numbers by value, strings by
// code point (folded when fold is set).
func SortKey(v any, fold bool) []byte {
	switch x := v.(type) {
	case bool:
		if x {
			return []byte{RankBool, 1}
		}
		return []byte{RankBool, 0}
	case string:
		if fold {
			x = Fold(x)
		}
		return append([]byte{RankString}, x...)
	}
	if d, ok := Number(v); ok {
		return append([]byte{RankNumber}, d.Key()...)
	}
	return []byte{RankNone}
}

// Lookup follows segs through the objects of v. Arrays are not indexed.
func Lookup(v any, segs []string) (any, bool) {
	for _, s := range segs {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Decode decodes one JSON value keeping numbers as json.Number.
func Decode(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Cursor is the position after which a listing continues: the sort value
// and ID of the last record returned, and the sort it belongs to.
type Cursor struct {
	Sort  string `json:"s"`
	Value any    `json:"v,omitempty"`
	ID    string `json:"i"`
}

// maxCursor bounds an encoded cursor, which holds one sort value.
const maxCursor = 256 << 10

// ErrCursor is returned by DecodeCursor for anything it did not make.
var ErrCursor = errors.New("not a cursor of this listing")

// EncodeCursor returns c as an opaque string. Only scalar sort values are
// kept; others sort as absent and are dropped.
func EncodeCursor(c Cursor) string {
	if SortRank(c.Value) == RankNone {
		c.Value = nil
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor made by EncodeCursor for the sort named
// sort.
func DecodeCursor(s, sort string) (Cursor, error) {
	if len(s) > maxCursor {
		return Cursor{}, ErrCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var c Cursor
	if err := dec.Decode(&c); err != nil || c.Sort != sort || c.ID == "" || len(c.ID) > 255 {
		return Cursor{}, ErrCursor
	}
	switch v := c.Value.(type) {
	case nil, bool, string:
	case json.Number:
		if _, ok := ParseDecimal(string(v)); !ok {
			return Cursor{}, ErrCursor
		}
	default:
		return Cursor{}, ErrCursor
	}
	return c, nil
}

// SortName names a sort in a cursor, so that a cursor is refused by a
// listing sorted differently. sorted is false for the default order by ID.
func SortName(sorted bool, path string, desc, fold bool) string {
	if !sorted {
		return "id"
	}
	name := "a"
	if desc {
		name = "d"
	}
	if fold {
		name += "f"
	}
	return name + ":" + path
}
