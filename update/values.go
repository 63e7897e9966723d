package update

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/idupdate/idupdate/merge"
	"github.com/nyaruka/phonenumbers"
)

// normalize rewrites a value by the rule's normalizer. Only strings are
// normalized; other types are left for the type check to refuse.
func normalize(f *Field, v any) (any, *FieldError) {
	s, ok := v.(string)
	if !ok || f.Normalize == NormalizeNone {
		return v, nil
	}
	return normalizeString(f, s)
}

// normalizeString is normalize for a string, which stays a string.
func normalizeString(f *Field, s string) (string, *FieldError) {
	switch f.Normalize {
	case NormalizeTrim:
		return strings.TrimSpace(s), nil
	case NormalizeEmail, NormalizeLower:
		s = strings.TrimSpace(s)
		at := strings.LastIndexByte(s, '@')
		if at < 0 {
			return s, nil // the email rule, if any, refuses it
		}
		if f.Normalize == NormalizeLower {
			return strings.ToLower(s), nil
		}
		return s[:at+1] + strings.ToLower(s[at+1:]), nil
	case NormalizePhone:
		return normalizePhone(s, f.Region)
	}
	return s, nil
}

// PhoneE164 returns the E.164 form of a phone number, parsed with the
// default region for numbers written without a leading +. It returns an
// error if the number is not valid for its region.
func PhoneE164(number, region string) (string, error) {
	s := strings.TrimSpace(number)
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("not a phone number")
	}
	if region == "" {
		region = "ZZ"
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("not a phone number: %w", err)
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", errors.New("not a valid phone number")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

func normalizePhone(s, region string) (string, *FieldError) {
	out, err := PhoneE164(s, region)
	if err != nil {
		return s, &FieldError{Rule: RuleNormalize, Param: "phone", Message: "is not a valid phone number"}
	}
	return out, nil
}

// typeOK reports whether v has the JSON type t. Null passes: whether a
// field may be absent is the required rule's business.
func typeOK(t JSONType, v any) bool {
	if v == nil || t == TypeAny {
		return true
	}
	switch t {
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeNumber:
		return isNumber(v)
	case TypeInteger:
		n, ok := v.(json.Number)
		if ok {
			_, err := n.Int64()
			return err == nil || !strings.ContainsAny(string(n), ".eE")
		}
		switch x := v.(type) {
		case int, int64:
			return true
		case float64:
			return x == float64(int64(x))
		}
		return false
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeObject:
		_, ok := v.(map[string]any)
		return ok
	case TypeArray:
		_, ok := v.([]any)
		return ok
	}
	return false
}

func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, int, int64:
		return true
	}
	return false
}

// runRules applies the validator tags of r to one value and returns one
// FieldError per failing tag.
func (e *Engine) runRules(path string, r *rule, v any) (out []FieldError) {
	tags := r.f.Rules
	if tags == "" || v == nil {
		return nil
	}
	if r.bound != nil {
		if ok, checked := r.bound.check(v); checked {
			if ok {
				return nil
			}
			return []FieldError{{Path: path, Rule: r.bound.tag, Param: r.bound.param, Message: ruleMessage(r.bound.tag, r.bound.param)}}
		}
	}
	// validator panics when a tag meets a type it cannot check (oneof on an
	// object, say); for a field without a declared type that is bad input.
	defer func() {
		if p := recover(); p != nil {
			out = []FieldError{{Path: path, Rule: RuleType, Message: "has a type its rules cannot check"}}
		}
	}()
	var target any = v
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return []FieldError{{Path: path, Rule: RuleType, Message: "is not a usable number"}}
		}
		target = f
	}
	err := e.validate.Var(target, tags)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return []FieldError{{Path: path, Rule: RuleType, Message: "cannot be checked against " + tags}}
	}
	out = make([]FieldError, 0, len(ves))
	for _, fe := range ves {
		out = append(out, FieldError{Path: path, Rule: fe.Tag(), Param: fe.Param(), Message: ruleMessage(fe.Tag(), fe.Param())})
	}
	return out
}

// bound is a rule whose tags are one max, min, lte or gte with a
// decimal integer, which the engine checks itself on the values that need
// no reflection: strings (their length in runes) and numbers. It answers
// exactly as validator/v10 does, which parses the parameter as an int64
// for strings and as a float64 for float64 values (a JSON number is
// checked as its float64); other values go to validator.
type bound struct {
	tag, param string
	atLeast    bool    // min and gte; max and lte are at most
	n          int64   // param for a string
	f          float64 // param for a number
}

// compileBound returns tags as a bound, or nil when validator must check
// them: other tags, several tags, a parameter other than a plain decimal
// integer (validator rewrites some before parsing), or a tag the engine's
// options registered a validation of their own for.
func compileBound(tags string, own map[string]validator.Func) *bound {
	tag, param, ok := strings.Cut(tags, "=")
	if !ok || param == "" {
		return nil
	}
	if _, taken := own[tag]; taken {
		return nil
	}
	b := &bound{tag: tag, param: param}
	switch tag {
	case "min", "gte":
		b.atLeast = true
	case "max", "lte":
	default:
		return nil
	}
	digits := strings.TrimPrefix(param, "-")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return nil
	}
	n, err := strconv.ParseInt(param, 0, 64)
	if err != nil {
		return nil
	}
	f, err := strconv.ParseFloat(param, 64)
	if err != nil {
		return nil
	}
	b.n, b.f = n, f
	return b
}

// check reports whether v passes, and checked=false for a value it
// leaves to validator.
func (b *bound) check(v any) (ok, checked bool) {
	switch x := v.(type) {
	case string:
		n := int64(utf8.RuneCountInString(x))
		if b.atLeast {
			return n >= b.n, true
		}
		return n <= b.n, true
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return false, false // validator's path says why
		}
		return b.checkFloat(f), true
	case float64:
		return b.checkFloat(x), true
	}
	return false, false
}

func (b *bound) checkFloat(f float64) bool {
	if b.atLeast {
		return f >= b.f
	}
	return f <= b.f
}

func ruleMessage(tag, param string) string {
	switch tag {
	case "required":
		return "is required"
	case "email":
		return "is not a valid email address"
	case "max", "lte":
		return "is longer or larger than " + param
	case "min", "gte":
		return "is shorter or smaller than " + param
	case "len":
		return "must have length " + param
	case "oneof":
		return "must be one of: " + param
	case "e164":
		return "is not an E.164 phone number"
	case "alpha", "alphaunicode":
		return "may contain letters only"
	case "alphanum", "alphanumunicode":
		return "may contain letters and digits only"
	case "bcp47_language_tag":
		return "is not a BCP 47 language tag"
	}
	if param != "" {
		return fmt.Sprintf("fails rule %s=%s", tag, param)
	}
	return "fails rule " + tag
}

// builtinValidators are tags the engine adds to validator/v10's set.
var builtinValidators = map[string]validator.Func{
	// printunicode: every rune is printable (letters, marks, numbers,
	// punctuation, symbols, spaces).
	"printunicode": func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		for _, r := range s {
			if !unicode.IsPrint(r) {
				return false
			}
		}
		return true
	},
	// phone: a number libphonenumber accepts as valid (E.164 or national
	// with a region prefix); pair it with Normalize "phone".
	"phone": func(fl validator.FieldLevel) bool {
		_, err := PhoneE164(fl.Field().String(), "ZZ")
		return err == nil
	},
}

func rawEqual(raw json.RawMessage, v any) bool {
	x, err := decodeValue(raw)
	return err == nil && merge.Equal(x, v)
}

func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Code: Internal, Message: "internal error", Err: err}
	}
	return v, nil
}

func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
