package merge

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Equal reports whether a and b are the same JSON value. Objects are equal
// when they hold the same member names with equal values, arrays when they
// hold equal elements in the same order. Numbers compare by exact numeric
// value, so json.Number("1"), json.Number("1.0"), json.Number("1e0"),
// float64(1) and int(1) are all equal; no precision is lost for large or
// long numbers because the decimal text is compared, never a float64. A
// NaN or infinite float64 equals nothing. Values of other Go types compare
// with reflect.DeepEqual. Equal is safe for concurrent use.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer() {
			return true
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		if y, ok := b.(json.Number); ok {
			if x == y {
				return true
			}
			if canonicalInt(string(x)) && canonicalInt(string(y)) {
				return false // one value has one such text
			}
		}
	}
	xs, xok := numberText(a)
	ys, yok := numberText(b)
	if xok || yok {
		if !xok || !yok {
			return false
		}
		xc, ok1 := parseDecimal(xs)
		yc, ok2 := parseDecimal(ys)
		if !ok1 || !ok2 {
			return false
		}
		return xc.equal(yc)
	}
	return reflect.DeepEqual(a, b)
}

// canonicalInt reports whether s is an integer written the one way
// RFC 8259 allows for its value: digits without a leading zero, after a
// minus sign unless the value is zero.
func canonicalInt(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
		if s == "0" {
			return false // -0 is 0
		}
	}
	if s == "" || s[0] == '0' && len(s) > 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberText returns the decimal text of a number of any supported type.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "NaN", true // parseDecimal rejects it, so it equals nothing
		}
		return strconv.FormatFloat(n, 'g', -1, 64), true
	case float32:
		f := float64(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "NaN", true
		}
		return strconv.FormatFloat(f, 'g', -1, 32), true
	case int:
		return strconv.FormatInt(int64(n), 10), true
	case int8:
		return strconv.FormatInt(int64(n), 10), true
	case int16:
		return strconv.FormatInt(int64(n), 10), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case uint:
		return strconv.FormatUint(uint64(n), 10), true
	case uint8:
		return strconv.FormatUint(uint64(n), 10), true
	case uint16:
		return strconv.FormatUint(uint64(n), 10), true
	case uint32:
		return strconv.FormatUint(uint64(n), 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	}
	return "", false
}

// decimal is a number in canonical form: value = sign 0.digits × 10^exp,
// digits without leading or trailing zeros; zero has no digits. The exponent
// is kept as a big.Int only when it does not fit comfortably in an int64, so
// "1e999999999999999999999" costs nothing special yet compares exactly.
type decimal struct {
	neg    bool
	digits string
	exp    int64
	bigExp *big.Int
}

func (d decimal) equal(o decimal) bool {
	if d.neg != o.neg || d.digits != o.digits {
		return false
	}
	if d.bigExp == nil && o.bigExp == nil {
		return d.exp == o.exp
	}
	return d.exponent().Cmp(o.exponent()) == 0
}

func (d decimal) exponent() *big.Int {
	if d.bigExp != nil {
		return d.bigExp
	}
	return big.NewInt(d.exp)
}

// parseDecimal reads -?digits[.digits][(e|E)[+-]digits]. Leading zeros in
// the integer part are accepted so that numbers from Go callers parse too.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
		if frac == "" {
			return d, false
		}
	}
	if intPart == "" {
		return d, false
	}
	expText := "0"
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ds := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == ds {
			return d, false
		}
		expText = s[es:i]
	}
	if i != len(s) {
		return d, false
	}
	all := intPart + frac
	lead := len(all) - len(strings.TrimLeft(all, "0"))
	digits := strings.TrimRight(all[lead:], "0")
	if digits == "" {
		return decimal{}, true // every zero, including -0 and 0e7, is the same value
	}
	d.digits = digits
	// value = 0.digits × 10^(exp + len(intPart) - lead)
	shift := int64(len(intPart) - lead)
	e, err := strconv.ParseInt(strings.TrimPrefix(expText, "+"), 10, 64)
	if err == nil && e > -(1<<60) && e < 1<<60 {
		d.exp = e + shift
		return d, true
	}
	be, ok := new(big.Int).SetString(strings.TrimPrefix(expText, "+"), 10)
	if !ok {
		return d, false
	}
	d.bigExp = be.Add(be, big.NewInt(shift))
	return d, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// keyText is the form under which ArrayUpsert indexes a key: numbers in a
// canonical decimal form, strings that spell a JSON number in that same
// form, other strings as they are, booleans as "true"/"false". So 5253,
// 5253.0, 5.253e3 and "5253" all index as "5253". Objects and arrays cannot
// be keys.
func keyText(v any) (string, bool) {
	switch k := v.(type) {
	case json.Number:
		if plainInteger(string(k)) {
			return string(k), true // already canonical; the common case
		}
	case string:
		if plainInteger(k) {
			return k, true
		}
		if d, ok := parseDecimal(k); ok && isJSONNumber(k) {
			return d.text(), true
		}
		return k, true
	case bool:
		return strconv.FormatBool(k), true
	case map[string]any, []any, nil:
		return "", false
	}
	if s, ok := numberText(v); ok {
		if d, ok := parseDecimal(s); ok {
			return d.text(), true
		}
		return s, true
	}
	return "", false
}

// plainInteger reports whether s is an integer that d.text would render
// unchanged: optional "-", no leading zero, at most 32 digits, not "-0".
func plainInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 32 || (digits[0] == '0' && (len(digits) > 1 || len(s) > 1)) {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return false
		}
	}
	return true
}

// text renders d as a plain integer when it is one of modest size, else as
// 0.<digits>e<exp>; equal values always give equal text.
func (d decimal) text() string {
	if d.digits == "" {
		return "0"
	}
	sign := ""
	if d.neg {
		sign = "-"
	}
	n := int64(len(d.digits))
	if d.bigExp == nil && d.exp >= n && d.exp-n <= 32 {
		return sign + d.digits + strings.Repeat("0", int(d.exp-n))
	}
	return sign + "0." + d.digits + "e" + d.exponent().String()
}

// isJSONNumber reports whether s follows the RFC 8259 number grammar, which
// is stricter than parseDecimal (no leading zeros, no leading "+").
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	return jsonNumberTail(s[i:])
}

func jsonNumberTail(s string) bool {
	i := 0
	if i < len(s) && s[i] == '.' {
		i++
		st := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == st {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		st := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == st {
			return false
		}
	}
	return i == len(s)
}

// Clone returns a deep copy of v: every map[string]any and []any is copied,
// other values are returned as they are (strings, numbers and bools are
// immutable). Clone(nil) is nil.
func Clone(v any) any {
	switch c := v.(type) {
	case map[string]any:
		if c == nil {
			return c
		}
		out := make(map[string]any, len(c))
		for k, e := range c {
			out[k] = Clone(e)
		}
		return out
	case []any:
		if c == nil {
			return c
		}
		out := make([]any, len(c))
		for i, e := range c {
			out[i] = Clone(e)
		}
		return out
	}
	return v
}

// Depth returns how deeply v nests: 0 for a scalar, 1 for an object or
// array holding only scalars (or nothing), one more for each level below.
// It counts the same way as DecodeLimits.MaxDepth.
func Depth(v any) int {
	best := 0
	switch c := v.(type) {
	case map[string]any:
		for _, e := range c {
			best = max(best, Depth(e))
		}
		return best + 1
	case []any:
		for _, e := range c {
			best = max(best, Depth(e))
		}
		return best + 1
	}
	return 0
}
