package ident_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update/ident"
)

var (
	caseMapped     = ident.Spec{Profile: ident.UsernameCaseMapped}
	casePreserved  = ident.Spec{Profile: ident.UsernameCasePreserved}
	email          = ident.Spec{Profile: ident.Email}
	text           = ident.Spec{Profile: ident.Text}
	caseMappedSkel = ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}
	casePresSkel   = ident.Spec{Profile: ident.UsernameCasePreserved, Skeleton: true}
	emailSkel      = ident.Spec{Profile: ident.Email, Skeleton: true}
	textSkel       = ident.Spec{Profile: ident.Text, Skeleton: true}
)

// pairs states, for two values under one spec, whether they are the same
// key, and why.
var pairs = []struct {
	spec ident.Spec
	a, b string
	same bool
	why  string
}{
	// Case.
	{caseMapped, "minnie", "Minnie", true, "case-mapped compares lower-cased"},
	{caseMapped, "minnie", "MINNIE", true, "case-mapped compares lower-cased"},
	{casePreserved, "minnie", "Minnie", false, "case-preserved keeps case"},
	{caseMapped, "Σοφία", "σοφία", true, "Greek capital sigma lower-cases to σ"},
	{caseMapped, "σοφια", "ςοφια", false, "final sigma is its own letter; lower-casing never produces it"},
	{caseMapped, "ÆSIR", "æsir", true, "Æ lower-cases to æ"},
	// Width.
	{caseMapped, "minnie", "ｍｉｎｎｉｅ", true, "fullwidth letters fold to ASCII"},
	{caseMapped, "minnie", "ｍinnie", true, "one fullwidth letter folds to ASCII"},
	{casePreserved, "Minnie", "Ｍinnie", true, "width folds even when case is kept"},
	{caseMapped, "ｶﾀｶﾅ", "カタカナ", true, "halfwidth katakana fold to their standard forms"},
	{email, "gjack@example.com", "ｇjack@example.com", true, "the local part is width-folded"},
	{email, "gjack@example.com", "gjack@ｅxample.com", true, "UTS #46 maps the fullwidth domain letter"},
	{text, "Ann", "Ａnn", false, "free text keeps width"},
	// Normalization forms.
	{caseMapped, "café", "cafe\u0301", true, "NFD composes to NFC"},
	{casePreserved, "Café", "Cafe\u0301", true, "NFD composes to NFC"},
	{caseMapped, "\u2126mega", "\u03a9mega", true, "OHM SIGN is canonically Ω"},
	{caseMapped, "\u212bngstrom", "\u00c5ngstrom", true, "ANGSTROM SIGN is canonically Å"},
	{email, "jose\u0301@example.com", "josé@example.com", true, "the local part is compared in NFC"},
	{email, "x@bu\u0308cher.de", "x@bücher.de", true, "the domain is compared after NFC"},
	{text, "Zoë", "Zoe\u0308", true, "free text is compared in NFC"},
	{text, "Zoë", "zoë", false, "free text keeps case"},
	{text, "Ann Lee", "Ann  Lee", false, "free text keeps spaces"},
	// Look-alikes in other scripts, without skeletons: different keys.
	{caseMapped, "minnie", "mіnnie", false, "Cyrillic і is another letter unless skeletons are compared"},
	{caseMapped, "paypal", "раураl", false, "Cyrillic р, а, у are other letters unless skeletons are compared"},
	{email, "gjack@example.com", "gjack@exаmple.com", false, "the Cyrillic а gives another A-label"},
	{text, "Ann", "Аnn", false, "Cyrillic А is another letter unless skeletons are compared"},
	// Skeletons.
	{caseMappedSkel, "minnie", "mіnnie", true, "Cyrillic і has the skeleton i"},
	{caseMappedSkel, "paypal", "раураl", true, "Cyrillic р, а, у have the skeletons p, a, y"},
	{caseMappedSkel, "paypal", "PAYPAL", true, "case mapped before the skeleton"},
	{caseMappedSkel, "scope", "ѕсоре", true, "all-Cyrillic look-alike"},
	{caseMappedSkel, "google", "gооgle", true, "Cyrillic о has the skeleton o"},
	{caseMappedSkel, "alpha", "αlpha", true, "Greek α has the skeleton a"},
	{caseMappedSkel, "vova", "νova", true, "Greek ν has the skeleton v"},
	{caseMappedSkel, "kappa", "κappa", false, "Greek κ's prototype is ĸ (kra), not k"},
	{caseMappedSkel, "modern", "rnodern", true, "m and rn have one skeleton"},
	{caseMappedSkel, "user1", "userl", true, "digit one and l have one skeleton"},
	{caseMappedSkel, "bobo", "bob0", false, "the prototype of 0 is capital O; case was mapped before, so o stays o"},
	{casePresSkel, "BOBO", "BOB0", true, "with case kept, 0 and O share the skeleton O"},
	{caseMappedSkel, "minnie", "mimmie", false, "m is not confusable with n"},
	{caseMappedSkel, "mіnnie", "ｍіnnie", true, "width folding and the skeleton together"},
	{emailSkel, "gjack@example.com", "gjack@exаmple.com", true, "the skeleton is taken of the domain's U-labels"},
	{emailSkel, "paypal@example.com", "раураl@example.com", true, "the local part's skeleton"},
	{emailSkel, "gjack@example.com", "gjack@examp1e.com", true, "digit one in the domain has the skeleton l"},
	{emailSkel, "x@example.com", "x@xn--exmple-4nf.com", true, "an A-label is compared by the skeleton of its U-label"},
	{emailSkel, "gjack@example.com", "gjack@example.org", false, "different top-level domains"},
	{textSkel, "Ann", "Аnn", true, "Cyrillic А has the skeleton A"},
	// Turkish dotless i and dotted capital I (no locale: Unicode default case mapping).
	{caseMapped, "i", "ı", false, "dotless ı is its own letter"},
	{caseMapped, "I", "i", true, "default lower-casing maps I to i, not to ı"},
	{caseMapped, "İstanbul", "istanbul", false, "İ lower-cases to i + U+0307 COMBINING DOT ABOVE"},
	{caseMapped, "İstanbul", "i\u0307stanbul", true, "İ lower-cases to i + U+0307 COMBINING DOT ABOVE"},
	{caseMappedSkel, "i", "ı", true, "ı has the skeleton i"},
	{email, "ILKER@example.com", "ılker@example.com", false, "dotless ı in a local part is its own letter"},
	// German sharp s.
	{caseMapped, "straße", "strasse", false, "lower-casing keeps ß (RFC 8265 maps case, it does not fold it)"},
	{caseMapped, "STRAẞE", "straße", true, "capital ẞ lower-cases to ß"},
	{caseMappedSkel, "straße", "strasse", false, "ß has no prototype of two s"},
	{caseMappedSkel, "straße", "straβe", true, "Greek β's prototype is ß"},
	{email, "x@faß.de", "x@fass.de", false, "IDNA 2008 (non-transitional) keeps ß in domains"},
	{email, "x@straße.de", "x@xn--strae-oqa.de", true, "U-label and A-label of one domain"},
	// IDN domains in U- and A-label form.
	{email, "x@bücher.de", "x@xn--bcher-kva.de", true, "U-label and A-label of one domain"},
	{email, "x@BÜCHER.de", "x@bücher.de", true, "UTS #46 lower-cases the domain"},
	{email, "x@bücher.de", "x@bucher.de", false, "ü and u are different letters"},
	{email, "x@例え.テスト", "x@xn--r8jz45g.xn--zckzah", true, "U-label and A-label of one domain"},
	{email, "x@例え。テスト", "x@例え.テスト", true, "UTS #46 maps the ideographic full stop to a dot"},
	{email, "gjack@Example.COM", "gjack@example.com", true, "domains compare without case"},
	{email, "GJack@example.com", "gjack@example.com", true, "local parts compare lower-cased"},
	{email, "gjack+a@example.com", "gjack@example.com", false, "no provider rules: a subaddress is another address"},
	{email, "g.jack@example.com", "gjack@example.com", false, "no provider rules: dots count"},
	// Bidi: right-to-left identifiers that pass RFC 5893 compare as usual.
	{caseMapped, "שלום", "שלום", true, "an all-Hebrew username passes the bidi rule"},
	{caseMapped, "مرحبا1", "مرحبا1", true, "Arabic letters with a trailing European digit pass the bidi rule"},
}

func TestPairs(t *testing.T) {
	require.GreaterOrEqual(t, len(pairs), 60)
	for _, p := range pairs {
		t.Run(p.spec.String()+"/"+p.a+"~"+p.b, func(t *testing.T) {
			ka, err := p.spec.Key(p.a)
			require.NoError(t, err, p.a)
			kb, err := p.spec.Key(p.b)
			require.NoError(t, err, p.b)
			assert.Equal(t, p.same, ka == kb, "%s: keys %+q and %+q", p.why, ka, kb)
		})
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		spec ident.Spec
		in   string
		rule ident.Rule
		r    rune // the code point blamed, or -1 for none
	}{
		{caseMapped, "min\x00nie", ident.RuleNUL, 0},
		{caseMapped, "minnie\u200b", ident.RuleIgnorable, 0x200B},
		{caseMapped, "min\u200dnie", ident.RuleIgnorable, 0x200D},
		{caseMapped, "mi\u00adnnie", ident.RuleIgnorable, 0xAD},
		{caseMapped, "minnie\ufe0f", ident.RuleIgnorable, 0xFE0F},
		{caseMapped, "minnie\U000E0041", ident.RuleIgnorable, 0xE0041},
		{caseMapped, "minnie\u202e", ident.RuleBidi, 0x202E},
		{caseMapped, "minnie\u200f", ident.RuleBidi, 0x200F},
		{caseMapped, "min\anie", ident.RuleControl, 7},
		{caseMapped, "min\u0085nie", ident.RuleControl, 0x85},
		{caseMapped, "min\xffnie", ident.RuleUTF8, utf8.RuneError},
		{caseMapped, "min\xed\xa0\x80nie", ident.RuleUTF8, utf8.RuneError},
		{caseMapped, "min\u0378nie", ident.RuleUnassigned, 0x378},
		{caseMapped, "min\ue000nie", ident.RuleUnassigned, 0xE000},
		{caseMapped, "min\ufffenie", ident.RuleUnassigned, 0xFFFE},
		{caseMapped, "min nie", ident.RuleDisallowed, ' '},
		{caseMapped, "ﬁnnie", ident.RuleDisallowed, 'ﬁ'},
		{caseMapped, "minnie☺", ident.RuleDisallowed, '☺'},
		{caseMapped, "ǄUR", ident.RuleDisallowed, 'Ǆ'},
		{caseMapped, "abcשלום", ident.RuleBidi, -1},
		{caseMapped, "", ident.RuleEmpty, -1},
		{caseMapped, strings.Repeat("a", ident.MaxIdentifier+1), ident.RuleLength, -1},
		{casePreserved, "Min\x00nie", ident.RuleNUL, 0},
		{email, "gjack@example.com\u200b", ident.RuleIgnorable, 0x200B},
		{email, "gjack\u200b@example.com", ident.RuleIgnorable, 0x200B},
		{email, "g\u202ejack@example.com", ident.RuleBidi, 0x202E},
		{email, "gjack@exa\x00mple.com", ident.RuleNUL, 0},
		{email, "gj\tack@example.com", ident.RuleControl, '\t'},
		{email, "gjack@exa_mple.com", ident.RuleDomain, -1},
		{email, "gjack@example.com.", ident.RuleDomain, -1},
		{email, "gjack@-example.com", ident.RuleDomain, -1},
		{email, "gjack", ident.RuleForm, -1},
		{email, "@example.com", ident.RuleForm, -1},
		{email, "gjack@", ident.RuleDomain, -1},
		{text, "Ann\x00", ident.RuleNUL, 0},
		{text, "Ann\nLee", ident.RuleControl, '\n'},
		{text, "Ann\u202eeeL", ident.RuleBidi, 0x202E},
		{text, "Ann\u2067Lee", ident.RuleBidi, 0x2067},
		{text, "", ident.RuleEmpty, -1},
		{text, "Ann\u0378", ident.RuleUnassigned, 0x378},
		{textSkel, "\u200d", ident.RuleEmpty, -1},
		{text, strings.Repeat("a", ident.MaxText+1), ident.RuleLength, -1},
		{caseMappedSkel, "m\u0456nnie\u200b", ident.RuleIgnorable, 0x200B},
	} {
		t.Run(c.spec.String()+"/"+string(c.rule), func(t *testing.T) {
			for name, f := range map[string]func(string) (string, error){"Key": c.spec.Key, "Prepare": c.spec.Prepare} {
				out, err := f(c.in)
				assert.Empty(t, out, name)
				var ie *ident.Error
				require.ErrorAs(t, err, &ie, name)
				assert.ErrorIs(t, err, ident.ErrRefused)
				assert.Equal(t, c.rule, ie.Rule, "%s: %v", name, err)
				assert.Equal(t, c.spec.Profile, ie.Profile)
				if c.r >= 0 {
					assert.Equal(t, c.r, ie.Rune, name)
					assert.Equal(t, c.r, []rune(c.in[ie.Offset:])[0], "the offset points at the code point")
				} else {
					assert.Equal(t, -1, ie.Offset)
				}
				if len(c.in) > 3 && len(c.in) < 100 {
					assert.NotContains(t, err.Error(), c.in, "an error never quotes the value")
				}
			}
		})
	}
}

func TestPrepareKeepsWhatWasTyped(t *testing.T) {
	for _, c := range []struct {
		spec     ident.Spec
		in, want string
	}{
		{caseMapped, "Minnie", "Minnie"},
		{caseMapped, "Ｍinnie", "Minnie"},
		{caseMapped, "Cafe\u0301", "Café"},
		{email, "GJack@Example.COM", "GJack@example.com"},
		{email, "Jose\u0301@example.com", "José@example.com"},
		{email, "x@xn--bcher-kva.de", "x@xn--bcher-kva.de"},
		{email, "x@Bücher.de", "x@bücher.de"},
		{email, "x@ｅxample.com", "x@example.com"},
		{text, "Zoe\u0308 O'Neil\u200f", "Zoë O'Neil\u200f"},
	} {
		got, err := c.spec.Prepare(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}

func TestProfileValid(t *testing.T) {
	for _, p := range ident.Profiles {
		assert.NoError(t, p.Valid())
	}
	for _, p := range []ident.Profile{"", "username", "Email"} {
		err := p.Valid()
		assert.Error(t, err)
		_, kerr := p.Key("x")
		assert.Error(t, kerr)
		_, perr := p.Prepare("x")
		assert.Error(t, perr)
	}
}

func TestIsDefaultIgnorable(t *testing.T) {
	for _, r := range []rune{0xAD, 0x34F, 0x61C, 0x115F, 0x180B, 0x180E, 0x200B, 0x200D, 0x2060, 0x2064, 0x3164, 0xFE00, 0xFEFF, 0xFFA0, 0x1D173, 0xE0001, 0xE0FFF} {
		assert.True(t, ident.IsDefaultIgnorable(r), "%U", r)
	}
	for _, r := range []rune{'a', ' ', 0x600, 0x6DD, 0xFFF9, 0x13430, 0x2028, 0xFFFD} {
		assert.False(t, ident.IsDefaultIgnorable(r), "%U", r)
	}
}

func TestErrorIsNotOtherErrors(t *testing.T) {
	_, err := caseMapped.Key("a\x00")
	assert.False(t, errors.Is(err, storage.ErrInvalid))
}
