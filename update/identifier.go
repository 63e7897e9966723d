package update

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update/ident"
)

// Rule names of the identifier profiles and of the engine's text check.
const (
	// RuleIdentifier: the field's identifier profile refused the value.
	// FieldError.Param names the profile's rule (an ident.Rule such as
	// "default-ignorable" or "nul").
	RuleIdentifier = "identifier"
	// RuleEncoding: a string or member name holds NUL or U+FFFD (which
	// decoders put where the input had invalid UTF-8 or an unpaired
	// surrogate escape such as "\ud800"). No store keeps such text the same
	// way, so every write refuses it.
	RuleEncoding = "encoding"
)

// checkIdentifier checks a field's identifier policy at New.
func checkIdentifier(f *Field) error {
	id := f.Identifier
	if id == nil {
		return nil
	}
	if err := id.Valid(); err != nil {
		return fmt.Errorf("identifier: %w", err)
	}
	if f.Type != TypeString && f.Type != TypeAny {
		return fmt.Errorf("identifier: the field must be of type string, not %q", f.Type)
	}
	if f.Normalize == NormalizePhone {
		return fmt.Errorf("identifier: a phone number takes no identifier profile")
	}
	if f.Secret != nil {
		return fmt.Errorf("identifier: a secret takes no identifier profile")
	}
	return nil
}

// prepareString normalizes a string written to the field of f: first by
// its normalizer, then by its identifier profile.
func prepareString(f *Field, s string) (string, *FieldError) {
	ns, fe := normalizeString(f, s)
	if fe != nil || f.Identifier == nil {
		return ns, fe
	}
	out, err := f.Identifier.Prepare(ns)
	if err != nil {
		return s, identError(err)
	}
	return out, nil
}

// identError turns a profile's refusal into a field error without a path.
func identError(err error) *FieldError {
	var ie *ident.Error
	if errors.As(err, &ie) {
		if ie.Profile == ident.Email && (ie.Rule == ident.RuleForm || ie.Rule == ident.RuleDomain) {
			// Not an address at all: the same answer as the email rule's.
			return &FieldError{Rule: "email", Message: ruleMessage("email", "")}
		}
		return &FieldError{Rule: RuleIdentifier, Param: string(ie.Rule), Message: ie.Reason()}
	}
	return &FieldError{Rule: RuleIdentifier, Message: "is not a valid identifier"}
}

// uniqueKey is the indexed form of the value v of the unique field r: its
// identifier key when r declares a profile, the value itself otherwise.
func (r *rule) uniqueKey(v any) (string, error) {
	if id := r.f.Identifier; id != nil {
		if s, ok := v.(string); ok {
			k, err := id.Key(s)
			if err != nil {
				fe := identError(err)
				fe.Path = r.path
				return "", &Error{Code: Invalid, Message: "a unique value is not a valid identifier", Fields: []FieldError{*fe}}
			}
			return k, nil
		}
	}
	ks, ok := keyString(v)
	if !ok {
		return "", &Error{Code: Invalid, Message: "a unique field must be a string, number or boolean",
			Fields: []FieldError{{Path: r.path, Rule: RuleType, Message: "must be a string, number or boolean to be unique"}}}
	}
	return ks, nil
}

// lookupKey is the key a lookup by value at the unique field r searches
// for, or ok=false when no record can hold value (the profile refuses it).
func (r *rule) lookupKey(value string) (string, bool) {
	nv, fe := normalize(r.f, value)
	if fe != nil {
		return value, true // as before profiles: the raw value, likely not found
	}
	s, _ := nv.(string)
	if r.f.Identifier == nil {
		return s, true
	}
	k, err := r.f.Identifier.Key(s)
	return k, err == nil
}

// badText says what makes s unfit for storage, or "" if nothing does:
// invalid UTF-8, NUL, or U+FFFD.
func badText(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return "holds NUL (U+0000)"
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError {
			if n == 1 {
				return "is not valid UTF-8"
			}
			return "holds U+FFFD, the mark of invalid UTF-8 or an unpaired surrogate"
		}
		i += n
	}
	return ""
}

// checkRequestText refuses a request whose ids, actor, client or key
// values are unfit for storage (see badText), with Malformed: they are not
// fields of the document, and no store must see them.
func checkRequestText(what string, vals ...string) error {
	for _, v := range vals {
		if msg := badText(v); msg != "" {
			return Errorf(Malformed, "the %s %s", what, msg)
		}
	}
	return nil
}

// checkLocatorText is checkRequestText for a Locator.
func checkLocatorText(loc Locator) error {
	if loc.Key != nil {
		return checkRequestText("record key", loc.Key.Name, loc.Key.Value)
	}
	return checkRequestText("record id", loc.ID)
}

// checkKeysText is checkRequestText for external keys.
func checkKeysText(keys []storage.Key) error {
	for _, k := range keys {
		if err := checkRequestText("external key", k.Name, k.Value); err != nil {
			return err
		}
	}
	return nil
}

// textError is the field error of a string or member name at path that
// badText refuses.
func textError(path, msg string) FieldError {
	return FieldError{Path: path, Rule: RuleEncoding, Message: msg}
}

// badMember reports the last segment of segs, a member name, when it is
// unfit for storage.
func badMember(segs []string) string {
	if n := len(segs); n > 0 {
		if msg := badText(segs[n-1]); msg != "" {
			return "its member name " + msg
		}
	}
	return ""
}
