// Package ident maps identifiers and free text to the forms that are stored
// and compared, refusing the code points that let one identity pass for
// another.
package ident

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Profile names a way of preparing and comparing a string value.
//
// A Profile says how a value is prepared for storage (Prepare) and how it is
// compared for uniqueness (Key). A Spec adds the choice to compare UTS #39
// confusable skeletons instead of keys, so that look-alikes written in
// another script clash too.
//
//   - UsernameCaseMapped and UsernameCasePreserved are the PRECIS profiles of
//     RFC 8265: width mapping, NFC, the IdentifierClass of RFC 8264 (no
//     controls, no default-ignorable or unassigned code points, no spaces) and
//     the bidi rule of RFC 5893; the case-mapped one compares lower-cased.
//   - Email refuses controls, bidi controls and default-ignorable code points
//     anywhere in the address, and compares the local part width-folded and
//     lower-cased with the domain in its IDNA 2008 A-label form (UTS #46
//     lookup mapping).
//   - Text keeps free text as typed, in NFC, and refuses controls, bidi
//     embeddings, overrides and isolates, and unassigned, private-use and
//     noncharacter code points.
//
// All functions of the package are safe for concurrent use.
type Profile string

// The profiles.
const (
	// UsernameCaseMapped is RFC 8265's UsernameCaseMapped: "Minnie" and
	// "minnie" are the same key. Prepare keeps the case that was typed.
	UsernameCaseMapped Profile = "username-case-mapped"
	// UsernameCasePreserved is RFC 8265's UsernameCasePreserved: "Minnie"
	// and "minnie" are different keys.
	UsernameCasePreserved Profile = "username-case-preserved"
	// Email is an email address: local part compared lower-cased, domain
	// compared as IDNA 2008 A-labels.
	Email Profile = "email"
	// Text is free text such as a display name, compared in NFC.
	Text Profile = "text"
)

// Profiles lists every profile, in the order the documentation gives them.
var Profiles = []Profile{UsernameCaseMapped, UsernameCasePreserved, Email, Text}

// Bounds, in bytes of UTF-8.
const (
	// MaxKey is the longest key Key returns; storage indexes keys of up to
	// this many bytes.
	MaxKey = 1024
	// MaxIdentifier is the longest value an identifier profile (the
	// usernames and Email) accepts.
	MaxIdentifier = 1024
	// MaxText is the longest value Text accepts.
	MaxText = 64 << 10
)

// Valid reports an error unless p is one of Profiles.
func (p Profile) Valid() error {
	for _, q := range Profiles {
		if p == q {
			return nil
		}
	}
	return fmt.Errorf("ident: unknown profile %q (want one of %q)", string(p), Profiles)
}

// Prepare returns the form of s to store: what was typed, normalized. For
// the username profiles that is RFC 8265's UsernameCasePreserved
// enforcement (width-folded, NFC, case kept); for Email, NFC with the domain
// mapped by UTS #46 and kept in U-label form; for Text, NFC. An error is an
// *Error saying which rule refused s. Prepare(Prepare(s)) == Prepare(s), and
// Key(Prepare(s)) == Key(s).
func (p Profile) Prepare(s string) (string, error) {
	switch p {
	case UsernameCaseMapped, UsernameCasePreserved:
		return username(p, precis.UsernameCasePreserved, s)
	case Email:
		e, err := parseEmail(s)
		if err != nil {
			return "", err
		}
		return e.local + "@" + e.domain, nil
	case Text:
		return text(s)
	}
	return "", p.Valid()
}

// Key returns the form of s that uniqueness compares: two values are the
// same identity exactly when their keys are equal. An error is an *Error
// saying which rule refused s; a key is never empty, is valid UTF-8 without
// NUL, and is at most MaxKey bytes. Key(Key(s)) == Key(s).
func (p Profile) Key(s string) (string, error) {
	var k string
	var err error
	switch p {
	case UsernameCaseMapped:
		k, err = username(p, precis.UsernameCaseMapped, s)
	case UsernameCasePreserved:
		k, err = username(p, precis.UsernameCasePreserved, s)
	case Email:
		var e email
		if e, err = parseEmail(s); err == nil {
			k = e.keyLocal + "@" + e.aDomain
		}
	case Text:
		k, err = text(s)
	default:
		return "", p.Valid()
	}
	if err != nil {
		return "", err
	}
	return checkKey(p, k)
}

func checkKey(p Profile, k string) (string, error) {
	if k == "" {
		return "", &Error{Profile: p, Rule: RuleEmpty, Offset: -1}
	}
	if len(k) > MaxKey {
		return "", &Error{Profile: p, Rule: RuleLength, Offset: -1}
	}
	return k, nil
}

// username applies a PRECIS profile after refusing, with a precise rule,
// what the PRECIS errors would only call "disallowed".
func username(p Profile, pp *precis.Profile, s string) (string, error) {
	if err := scan(p, s, MaxIdentifier, refuseIdentifier); err != nil {
		return "", err
	}
	out, err := pp.String(s)
	if err != nil {
		// PRECIS checks the bidi rule before the class, and names
		// neither the code point nor, for the class, the rule.
		if e := firstDisallowed(p, pp, s); e != nil {
			return "", e
		}
		if errors.Is(err, bidirule.ErrInvalid) {
			return "", &Error{Profile: p, Rule: RuleBidi, Offset: -1}
		}
		return "", &Error{Profile: p, Rule: RuleDisallowed, Offset: -1}
	}
	if out == "" {
		return "", &Error{Profile: p, Rule: RuleEmpty, Offset: -1}
	}
	return out, nil
}

// firstDisallowed finds the first code point of s that, width-folded,
// lies outside the IdentifierClass, or returns nil.
func firstDisallowed(p Profile, pp *precis.Profile, s string) *Error {
	allowed := pp.Allowed()
	for i, r := range s {
		for _, m := range width.Fold.String(string(r)) {
			if !allowed.Contains(m) {
				return &Error{Profile: p, Rule: RuleDisallowed, Rune: r, Offset: i}
			}
		}
	}
	return nil
}

// text is the Text profile: NFC of a value with no controls and no bidi
// embeddings, overrides or isolates.
func text(s string) (string, error) {
	if err := scan(Text, s, MaxText, refuseText); err != nil {
		return "", err
	}
	out := norm.NFC.String(s)
	if out == "" {
		return "", &Error{Profile: Text, Rule: RuleEmpty, Offset: -1}
	}
	if len(out) > MaxText {
		return "", &Error{Profile: Text, Rule: RuleLength, Offset: -1}
	}
	return out, nil
}

// email is an address split into its parts.
type email struct {
	local    string // as typed, NFC
	keyLocal string // width-folded, lower-cased, NFC
	domain   string // as stored: aDomain if typed in ASCII, else uDomain
	uDomain  string // UTS #46 mapped, U-labels
	aDomain  string // UTS #46 mapped, A-labels
}

var lower = cases.Lower(language.Und)

func parseEmail(s string) (email, error) {
	if err := scan(Email, s, MaxIdentifier, refuseIdentifier); err != nil {
		return email{}, err
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return email{}, &Error{Profile: Email, Rule: RuleForm, Offset: -1}
	}
	local, typed := norm.NFC.String(s[:at]), s[at+1:]
	a, err := idna.Lookup.ToASCII(typed)
	if err != nil || a == "" || strings.HasSuffix(a, ".") {
		return email{}, &Error{Profile: Email, Rule: RuleDomain, Offset: -1}
	}
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil {
		return email{}, &Error{Profile: Email, Rule: RuleDomain, Offset: -1}
	}
	// Folding can only map to code points the scan would accept (width
	// and case variants of letters), so it is not scanned again.
	keyLocal := norm.NFC.String(lower.String(width.Fold.String(local)))
	e := email{local: local, keyLocal: keyLocal, domain: u, uDomain: u, aDomain: a}
	if isASCII(typed) {
		e.domain = a // typed as A-labels (or plain ASCII): keep them
	}
	return e, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Rule names the reason a profile refused a value.
type Rule string

// The rules.
const (
	RuleUTF8       Rule = "utf8"              // not valid UTF-8 (includes unpaired surrogates)
	RuleNUL        Rule = "nul"               // U+0000
	RuleControl    Rule = "control"           // another control character (general category Cc)
	RuleBidi       Rule = "bidi"              // a bidi control, or mixed directions that RFC 5893 refuses
	RuleIgnorable  Rule = "default-ignorable" // invisible: zero-width spaces and joiners, soft hyphen, variation selectors …
	RuleUnassigned Rule = "unassigned"        // unassigned, private use, surrogate or noncharacter code point
	RuleDisallowed Rule = "disallowed"        // outside the PRECIS IdentifierClass (spaces, symbols, …)
	RuleEmpty      Rule = "empty"             // nothing left
	RuleLength     Rule = "length"            // longer than the profile's bound
	RuleForm       Rule = "form"              // not local@domain
	RuleDomain     Rule = "domain"            // a domain IDNA 2008 refuses
)

// ErrRefused is matched (errors.Is) by every *Error.
var ErrRefused = errors.New("ident: value refused")

// Error says which rule of which profile refused a value. It names the
// offending code point of the caller's own input but never quotes the
// input, so it is safe to return to a client.
type Error struct {
	Profile Profile
	Rule    Rule
	// Rune is the offending code point, when one code point is to blame.
	Rune rune
	// Offset is the byte offset of Rune in the input, or -1.
	Offset int
}

func (e *Error) Error() string {
	return "ident: " + string(e.Profile) + ": " + e.Reason()
}

// Reason is the error without its prefix: the rule broken and, when one
// code point is to blame, which and where ("U+200B at byte 6: invisible
// (default-ignorable) code points are not allowed").
func (e *Error) Reason() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%U at byte %d: %s", e.Rune, e.Offset, e.Rule.describe())
	}
	return e.Rule.describe()
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *Error) Is(target error) bool { return target == ErrRefused }

func (r Rule) describe() string {
	switch r {
	case RuleUTF8:
		return "not valid UTF-8"
	case RuleNUL:
		return "NUL is not allowed"
	case RuleControl:
		return "control characters are not allowed"
	case RuleBidi:
		return "bidirectional controls or mixed directions are not allowed"
	case RuleIgnorable:
		return "invisible (default-ignorable) code points are not allowed"
	case RuleUnassigned:
		return "unassigned, private-use or noncharacter code points are not allowed"
	case RuleDisallowed:
		return "contains a character not allowed in an identifier"
	case RuleEmpty:
		return "must not be empty"
	case RuleLength:
		return "too long"
	case RuleForm:
		return "must be local-part@domain"
	case RuleDomain:
		return "the domain is not a valid internationalized domain name"
	}
	return string(r)
}

// scan refuses s if it is too long, not UTF-8, or holds a code point that
// refuse names a rule for.
func scan(p Profile, s string, max int, refuse func(rune) Rule) error {
	if len(s) > max {
		return &Error{Profile: p, Rule: RuleLength, Offset: -1}
	}
	if s == "" {
		return &Error{Profile: p, Rule: RuleEmpty, Offset: -1}
	}
	for i, r := range s {
		if r < utf8.RuneSelf && r >= 0x20 && r != 0x7F {
			continue // printable ASCII: no profile refuses it here
		}
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return &Error{Profile: p, Rule: RuleUTF8, Rune: r, Offset: i}
			}
		}
		if rule := refuse(r); rule != "" {
			return &Error{Profile: p, Rule: rule, Rune: r, Offset: i}
		}
	}
	return nil
}

// refuseText is the Text profile's code point rule.
func refuseText(r rune) Rule {
	switch {
	case r == 0:
		return RuleNUL
	case unicode.Is(unicode.Cc, r):
		return RuleControl
	case isBidiOverride(r):
		return RuleBidi
	case isUnassigned(r):
		return RuleUnassigned
	}
	return ""
}

// refuseIdentifier is the code point rule of Email and, ahead of PRECIS so
// that their errors say which rule refused, of the username profiles.
func refuseIdentifier(r rune) Rule {
	switch {
	case r == 0:
		return RuleNUL
	case unicode.Is(unicode.Cc, r):
		return RuleControl
	case unicode.Is(unicode.Bidi_Control, r):
		return RuleBidi
	case IsDefaultIgnorable(r):
		return RuleIgnorable
	case isUnassigned(r):
		return RuleUnassigned
	}
	return ""
}

// assigned are the general categories of assigned code points, Cn left out.
var assigned = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs}

// isUnassigned reports code points that are unassigned (their meaning may
// change with a later Unicode version), private use, surrogates or
// noncharacters.
func isUnassigned(r rune) bool {
	return !unicode.In(r, assigned...) || unicode.In(r, unicode.Co, unicode.Cs, unicode.Noncharacter_Code_Point)
}

// isBidiOverride reports the bidi embeddings, overrides and isolates
// (U+202A..U+202E, U+2066..U+2069): the controls that reorder what follows
// them. The implicit marks (LRM, RLM, ALM) are left to free text.
func isBidiOverride(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// IsDefaultIgnorable reports whether r has the derived Unicode property
// Default_Ignorable_Code_Point: code points that render as nothing, such
// as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN and the variation
// selectors. It follows DerivedCoreProperties.txt: Other_DICP, Cf and
// Variation_Selector, less White_Space, U+FFF9..U+FFFB, U+13430..U+1343F
// and Prepended_Concatenation_Mark.
func IsDefaultIgnorable(r rune) bool {
	switch {
	case unicode.Is(unicode.White_Space, r),
		r >= 0xFFF9 && r <= 0xFFFB,
		r >= 0x13430 && r <= 0x1343F,
		unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		return false
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector)
}
