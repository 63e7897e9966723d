package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idupdate/idupdate/storage/internal/jsonval"
)

// Op is the operator of a Filter node.
type Op string

// The operators. Comparisons (Eq … Le) and Pr test the value at the node's
// Path; And, Or and Not combine sub-filters; Any tests the elements of the
// array at Path.
const (
	Eq  Op = "eq" // equal (Value may be nil: the attribute is absent or null)
	Ne  Op = "ne" // exactly not Eq
	Co  Op = "co" // string contains Value
	Sw  Op = "sw" // string starts with Value
	Ew  Op = "ew" // string ends with Value
	Gt  Op = "gt" // greater than
	Ge  Op = "ge" // greater than or equal
	Lt  Op = "lt" // less than
	Le  Op = "le" // less than or equal
	Pr  Op = "pr" // present: not absent, null, "", [] or {}
	And Op = "and"
	Or  Op = "or"
	Not Op = "not"
	Any Op = "any" // some element of the array at Path matches Args[0]
)

// Filter is a predicate over a record's document, evaluated the same way by
// every backend (memory in Go, SQLite and PostgreSQL in SQL).
//
// A comparison holds only when the attribute has the type of Value:
//
//   - string Value: the attribute is a JSON string; strings compare by
//     Unicode code point, after simple case folding of both sides when Fold
//     is set (see Fold). Co, Sw and Ew take only strings.
//   - json.Number Value: the attribute is a JSON number; numbers compare
//     exactly, at full decimal precision (1.50 eq 1.5; 0.1 lt
//     0.10000000000000000001).
//   - bool Value: the attribute is true or false; only Eq and Ne.
//   - time.Time Value: the attribute is a string in RFC 3339 form
//     (YYYY-MM-DDThh:mm:ss[.fraction of 1 to 9 digits](Z|±hh:mm), T and Z in
//     either case, year 0001 or later, no leap second); the instants compare
//     to the nanosecond. A string of any other form matches nothing.
//   - nil Value: only Eq and Ne; Eq holds when the attribute is absent or
//     JSON null.
//
// An attribute of another type than Value's, an absent one, or an array or
// object never satisfies a comparison (but does satisfy Ne, which is
// exactly the negation of Eq). Comparisons do not reach into arrays: use Any.
//
// Path is a JSON Pointer (RFC 6901) naming object members only: a segment
// never indexes an array. Inside Any, the paths of Args[0] are relative to
// the element ("" is the element itself).
type Filter struct {
	Op    Op     `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
	// Fold compares strings case-insensitively (simple case folding of both
	// sides). It has no effect on values of other types.
	Fold bool `json:"fold,omitempty"`
	// Key, on an Eq term, says that the records the term matches are among
	// those holding Key (a unique value the caller knows the attribute
	// produces). A term with Key matches a record only if the record holds
	// Key and the comparison holds, so backends may answer from the key
	// index instead of scanning. Ignored on other operators.
	Key *Key `json:"key,omitempty"`
	// Term, on an Eq term, says that the records the term matches are
	// among those holding Term in Record.Terms (an index term the caller
	// knows the compared attribute produces for this value: see
	// IndexTerm). It is honoured only where TermHint finds it; there a
	// record matches only if it holds Term, so backends may answer from
	// the term index. Elsewhere it is ignored, as on other operators.
	Term *Key `json:"term,omitempty"`
	// Args are the sub-filters: two or more for And and Or, exactly one for
	// Not and Any, none otherwise.
	Args []Filter `json:"args,omitempty"`
}

// Sort orders a listing by the value at Path.
//
// Values order by type first — absent, null, arrays and objects; then
// false and true; then numbers (exactly, by value); then strings (by code
// point, case-folded when Fold is set) — and records with equal values by
// ID. Desc reverses the whole order, the ID tie-break included.
type Sort struct {
	Path string `json:"path"`
	Desc bool   `json:"desc,omitempty"`
	Fold bool   `json:"fold,omitempty"`
}

// Query selects a page of records of one type.
type Query struct {
	Type   string  // required
	Filter *Filter // nil matches every record
	Sort   *Sort   // nil orders by ID ascending
	// Limit is the page size: 0 means DefaultLimit; at most MaxLimit.
	Limit int
	// After is the Next cursor of the previous page, empty for the first.
	// A cursor is bound to the Sort it was made with. Paging by cursor is
	// stable under concurrent writes: a record that exists throughout and
	// keeps its sort value is returned exactly once.
	After string
	// Offset skips that many matching records (SCIM's startIndex - 1); at
	// most MaxOffset, and not together with After.
	Offset int
	// Total asks for the number of matching records in Page.Total.
	Total bool
}

// Page is one page of a listing.
type Page struct {
	Records []*Record
	// Next is the cursor of the next page, or empty when this page is the
	// last one.
	Next string
	// Total is the number of records matching the filter when the query
	// asked for it, and -1 otherwise.
	Total int
}

// Bounds of a Query; Validate enforces them.
const (
	DefaultLimit   = 100
	MaxLimit       = 1000
	MaxOffset      = 100_000
	MaxFilterDepth = 16       // nesting of And, Or, Not and Any
	MaxFilterTerms = 256      // nodes in the whole filter
	MaxFilterBytes = 16 << 10 // paths and string values together, in bytes
	// MaxNumberDigits bounds the significant digits of a number in a
	// filter, and MaxNumberExponent the magnitude of its decimal exponent.
	MaxNumberDigits   = 1000
	MaxNumberExponent = 1000
)

// ErrBadQuery is matched (errors.Is) by every *QueryError.
var ErrBadQuery = errors.New("storage: bad query")

// QueryError says what is wrong with a query. It matches ErrBadQuery.
type QueryError struct {
	// Field is where the problem is: "filter", "sort", "limit", "offset",
	// "cursor" or "type".
	Field string
	// Path is the filter term's JSON Pointer, when there is one.
	Path string
	// Reason says what is wrong, in words.
	Reason string
}

func (e *QueryError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("storage: bad query: %s at %q: %s", e.Field, e.Path, e.Reason)
	}
	return fmt.Sprintf("storage: bad query: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrBadQuery) true.
func (e *QueryError) Is(target error) bool { return target == ErrBadQuery }

// Querier is implemented by stores that can list and count records. Every
// backend of this module implements it; detect it with a type assertion.
type Querier interface {
	// List returns one page of the records of q.Type that match q.Filter,
	// in q.Sort order. It returns a *QueryError when q fails Validate or
	// its cursor is not one List made for the same Sort.
	List(ctx context.Context, q Query) (*Page, error)
	// Count returns how many records of typ match f (nil: all). It returns
	// a *QueryError when f fails Validate.
	Count(ctx context.Context, typ string, f *Filter) (int, error)
}

// Validate reports whether q is within the bounds above and well formed.
// The error is a *QueryError.
func (q *Query) Validate() error {
	if err := checkName("type", q.Type); err != nil {
		return &QueryError{Field: "type", Reason: "must be 1 to 255 bytes"}
	}
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return &QueryError{Field: "limit", Reason: fmt.Sprintf("must be 0 (default %d) to %d", DefaultLimit, MaxLimit)}
	case q.Offset < 0 || q.Offset > MaxOffset:
		return &QueryError{Field: "offset", Reason: fmt.Sprintf("must be 0 to %d", MaxOffset)}
	case q.Offset > 0 && q.After != "":
		return &QueryError{Field: "offset", Reason: "cannot be combined with a cursor"}
	}
	if q.Sort != nil {
		if err := checkPointer(q.Sort.Path); err != nil {
			return &QueryError{Field: "sort", Path: q.Sort.Path, Reason: err.Error()}
		}
	}
	if q.Filter != nil {
		return q.Filter.Validate()
	}
	return nil
}

// PageSize is q.Limit with the default applied.
func (q *Query) PageSize() int {
	if q.Limit == 0 {
		return DefaultLimit
	}
	return q.Limit
}

// Validate reports whether f is well formed and within MaxFilterDepth,
// MaxFilterTerms and MaxFilterBytes. The error is a *QueryError naming the
// offending term.
func (f *Filter) Validate() error {
	var b budget
	return f.validate(&b, 0)
}

type budget struct{ terms, bytes int }

func (f *Filter) validate(b *budget, depth int) error {
	bad := func(format string, args ...any) error {
		return &QueryError{Field: "filter", Path: f.Path, Reason: fmt.Sprintf(format, args...)}
	}
	if depth >= MaxFilterDepth {
		return bad("nested deeper than %d", MaxFilterDepth)
	}
	if b.terms++; b.terms > MaxFilterTerms {
		return bad("more than %d terms", MaxFilterTerms)
	}
	if b.bytes += len(f.Path); b.bytes > MaxFilterBytes {
		return bad("paths and values longer than %d bytes", MaxFilterBytes)
	}
	switch f.Op {
	case And, Or:
		if len(f.Args) < 2 {
			return bad("%s needs at least two operands", f.Op)
		}
	case Not:
		if len(f.Args) != 1 {
			return bad("not needs exactly one operand")
		}
	case Any:
		if len(f.Args) != 1 {
			return bad("any needs exactly one sub-filter")
		}
		if err := checkPointer(f.Path); err != nil {
			return bad("%v", err)
		}
	case Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le, Pr:
		if len(f.Args) != 0 {
			return bad("%s takes no operands", f.Op)
		}
		if err := checkPointer(f.Path); err != nil {
			return bad("%v", err)
		}
		if err := f.checkValue(b); err != nil {
			return bad("%v", err)
		}
	default:
		return bad("unknown operator %q", f.Op)
	}
	if f.Op != Eq && f.Key != nil {
		return bad("a key hint is allowed on eq only")
	}
	if f.Key != nil && (f.Key.Name == "" || f.Key.Value == "") {
		return bad("key hint needs a name and a value")
	}
	if f.Op != Eq && f.Term != nil {
		return bad("a term hint is allowed on eq only")
	}
	if t := f.Term; t != nil && (checkKeys("term", []Key{*t}) != nil || !cleanText(t.Name) || !cleanText(t.Value)) {
		return bad("term hint needs a name of 1 to %d bytes and a value of 1 to %d, UTF-8 without NUL", maxNameLen, maxValueLen)
	}
	for i := range f.Args {
		if err := f.Args[i].validate(b, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (f *Filter) checkValue(b *budget) error {
	if f.Op == Pr {
		if f.Value != nil {
			return errors.New("pr takes no value")
		}
		return nil
	}
	switch v := f.Value.(type) {
	case nil:
		if f.Op != Eq && f.Op != Ne {
			return fmt.Errorf("%s cannot compare with null", f.Op)
		}
	case bool:
		if f.Op != Eq && f.Op != Ne {
			return fmt.Errorf("%s cannot compare booleans", f.Op)
		}
	case string:
		if !cleanText(v) {
			return errors.New("string value must be UTF-8 without NUL")
		}
		if b.bytes += len(v); b.bytes > MaxFilterBytes {
			return fmt.Errorf("paths and values longer than %d bytes", MaxFilterBytes)
		}
	case json.Number:
		if f.Op == Co || f.Op == Sw || f.Op == Ew {
			return fmt.Errorf("%s takes a string, not a number", f.Op)
		}
		if err := CheckNumber(string(v)); err != nil {
			return err
		}
	case time.Time:
		if f.Op == Co || f.Op == Sw || f.Op == Ew {
			return fmt.Errorf("%s takes a string, not a date-time", f.Op)
		}
		if v.Year() < 1 || v.Year() > 9999 {
			return errors.New("date-time must be in the years 0001 to 9999")
		}
	default:
		return fmt.Errorf("value of type %T; want string, json.Number, bool, time.Time or nil", f.Value)
	}
	return nil
}

// cleanText reports whether s is UTF-8 without NUL, which every backend
// can hold.
func cleanText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// CheckNumber reports whether s is a JSON number with at most
// MaxNumberDigits significant digits and a value of magnitude between
// 10^-MaxNumberExponent and 10^MaxNumberExponent (or zero).
func CheckNumber(s string) error {
	d, ok := jsonval.ParseDecimal(s)
	if !ok {
		return fmt.Errorf("%q is not a JSON number", s)
	}
	if len(d.Digits) > MaxNumberDigits {
		return fmt.Errorf("number has more than %d significant digits", MaxNumberDigits)
	}
	if len(d.Digits) > 0 && (d.Exp > MaxNumberExponent || d.Exp < -MaxNumberExponent) {
		return fmt.Errorf("number beyond 10^±%d", MaxNumberExponent)
	}
	return nil
}

// checkPointer reports whether p is a JSON Pointer every backend can
// follow: "" or "/"-separated non-empty segments of UTF-8 without control
// characters or double quotes, with "~" only in the escapes "~0" and "~1".
func checkPointer(p string) error {
	if p == "" {
		return nil
	}
	if p[0] != '/' {
		return fmt.Errorf("path %q is not a JSON Pointer", p)
	}
	if !utf8.ValidString(p) {
		return errors.New("path is not UTF-8")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" {
			return fmt.Errorf("path %q has an empty segment", p)
		}
		for i, r := range seg {
			switch {
			case r < 0x20 || r == 0x7f || r == '"':
				return fmt.Errorf("path %q has a control character or a double quote", p)
			case r == '~' && (i+1 >= len(seg) || (seg[i+1] != '0' && seg[i+1] != '1')):
				return fmt.Errorf("path %q has a ~ that is not ~0 or ~1", p)
			}
		}
	}
	return nil
}

// PointerSegments returns the unescaped segments of a pointer that passed
// Validate ("" has none).
func PointerSegments(p string) []string {
	if p == "" {
		return nil
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if strings.Contains(s, "~") {
			segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return segs
}

// cursorName names the order of q in its cursors.
func (q *Query) cursorName() string {
	if q.Sort == nil {
		return jsonval.SortName(false, "", false, false)
	}
	return jsonval.SortName(true, q.Sort.Path, q.Sort.Desc, q.Sort.Fold)
}

// Cursor is a decoded listing position, for backends: the sort value of
// the last record returned (nil when it sorted as absent) and its ID.
type Cursor struct {
	Value any
	ID    string
}

// DecodeCursor returns q.After decoded, or nil when q.After is empty. The
// error is a *QueryError when the cursor was not made by NextCursor for a
// query with the same Sort.
func (q *Query) DecodeCursor() (*Cursor, error) {
	if q.After == "" {
		return nil, nil
	}
	c, err := jsonval.DecodeCursor(q.After, q.cursorName())
	if err != nil {
		return nil, &QueryError{Field: "cursor", Reason: err.Error()}
	}
	return &Cursor{Value: c.Value, ID: c.ID}, nil
}

// NextCursor returns the cursor that continues q after rec, the last
// record of a page.
func (q *Query) NextCursor(rec *Record) string {
	c := jsonval.Cursor{Sort: q.cursorName(), ID: rec.ID}
	if q.Sort != nil {
		c.Value, _ = jsonval.Lookup(rec.Doc, PointerSegments(q.Sort.Path))
	}
	return jsonval.EncodeCursor(c)
}

// IsAfter reports whether rec comes after c in the order of q.
func (q *Query) IsAfter(rec *Record, c *Cursor) bool {
	var cmp int
	if q.Sort == nil {
		cmp = strings.Compare(rec.ID, c.ID)
	} else {
		cmp = bytes.Compare(q.Sort.SortKey(rec), jsonval.SortKey(c.Value, q.Sort.Fold))
		if cmp == 0 {
			cmp = strings.Compare(rec.ID, c.ID)
		}
		if q.Sort.Desc {
			cmp = -cmp
		}
	}
	return cmp > 0
}

// KeyHint returns the Key of f's Eq term that every match must hold: f
// itself, or a direct operand of a top-level And. Backends use it to start
// from the key index. It returns nil when there is none.
func (f *Filter) KeyHint() *Key {
	if f == nil {
		return nil
	}
	if f.Op == Eq && f.Key != nil {
		return f.Key
	}
	if f.Op == And {
		for i := range f.Args {
			if a := &f.Args[i]; a.Op == Eq && a.Key != nil {
				return a.Key
			}
		}
	}
	return nil
}
