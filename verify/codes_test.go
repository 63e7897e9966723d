package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func TestCodeSpecWithDefaults(t *testing.T) {
	t.Run("ZeroBecomesDefault", func(t *testing.T) {
		assert.Equal(t, verify.DefaultCodeSpec, verify.CodeSpec{}.WithDefaults())
	})
	t.Run("SetFieldsKept", func(t *testing.T) {
		got := verify.CodeSpec{Length: 8, Alphabet: verify.Digits}.WithDefaults()
		assert.Equal(t, verify.CodeSpec{Length: 8, Alphabet: verify.Digits, TTL: time.Hour}, got)
	})
}

func TestCodeSpecValidate(t *testing.T) {
	ok := verify.DefaultCodeSpec
	with := func(f func(*verify.CodeSpec)) verify.CodeSpec {
		s := ok
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		spec  verify.CodeSpec
		valid bool
	}{
		{"Default", ok, true},
		{"Digits", with(func(s *verify.CodeSpec) { s.Alphabet = verify.Digits }), true},
		{"ShortestLength", with(func(s *verify.CodeSpec) { s.Length = 4 }), true},
		{"LongestLength", with(func(s *verify.CodeSpec) { s.Length = 64 }), true},
		{"TwoLetterAlphabet", with(func(s *verify.CodeSpec) { s.Alphabet = "ab" }), true},
		{"ShortestTTL", with(func(s *verify.CodeSpec) { s.TTL = time.Second }), true},
		{"LongestTTL", with(func(s *verify.CodeSpec) { s.TTL = 30 * 24 * time.Hour }), true},
		{"ErrZero", verify.CodeSpec{}, false},
		{"ErrLength3", with(func(s *verify.CodeSpec) { s.Length = 3 }), false},
		{"ErrLength65", with(func(s *verify.CodeSpec) { s.Length = 65 }), false},
		{"ErrNegativeLength", with(func(s *verify.CodeSpec) { s.Length = -6 }), false},
		{"ErrOneLetterAlphabet", with(func(s *verify.CodeSpec) { s.Alphabet = "A" }), false},
		{"ErrAlphabetOver256", with(func(s *verify.CodeSpec) { s.Alphabet = strings.Repeat("A", 257) }), false},
		{"ErrDuplicate", with(func(s *verify.CodeSpec) { s.Alphabet = "ABCA" }), false},
		{"ErrSpace", with(func(s *verify.CodeSpec) { s.Alphabet = "AB C" }), false},
		{"ErrControl", with(func(s *verify.CodeSpec) { s.Alphabet = "AB\nC" }), false},
		{"ErrNonASCII", with(func(s *verify.CodeSpec) { s.Alphabet = "ABÄ" }), false},
		{"ErrTTLUnderSecond", with(func(s *verify.CodeSpec) { s.TTL = time.Second - 1 }), false},
		{"ErrTTLOver30Days", with(func(s *verify.CodeSpec) { s.TTL = 30*24*time.Hour + 1 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.valid {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, verify.ErrInvalidSpec)
			_, err = verify.NewCode(tt.spec)
			assert.ErrorIs(t, err, verify.ErrInvalidSpec, "NewCode must refuse what Validate refuses")
		})
	}
}

func TestNewCodeShape(t *testing.T) {
	specs := map[string]verify.CodeSpec{
		"Default": verify.DefaultCodeSpec,
		"Digits":  {Length: 4, Alphabet: verify.Digits, TTL: time.Minute},
		"Long":    {Length: 64, Alphabet: "xyz", TTL: time.Minute},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			for range 200 {
				code, err := verify.NewCode(spec)
				require.NoError(t, err)
				require.Len(t, code, spec.Length)
				for _, r := range code {
					require.Contains(t, spec.Alphabet, string(r))
				}
			}
		})
	}
}

// chiSquare draws codes from spec and returns the chi-square statistic of
// the character counts against a uniform distribution.
func chiSquare(tb testing.TB, spec verify.CodeSpec, draws int) float64 {
	tb.Helper()
	counts := make(map[byte]int, len(spec.Alphabet))
	for range draws {
		code, err := verify.NewCode(spec)
		require.NoError(tb, err)
		for i := 0; i < len(code); i++ {
			counts[code[i]]++
		}
	}
	expected := float64(draws*spec.Length) / float64(len(spec.Alphabet))
	var chi float64
	for i := 0; i < len(spec.Alphabet); i++ {
		d := float64(counts[spec.Alphabet[i]]) - expected
		chi += d * d / expected
	}
	return chi
}

// The thresholds sit far in the tail (p < 1e-6 for a uniform source), so a
// correct generator never trips them, while reducing a byte modulo 36
// (which favours four characters by 8/7) scores above 200 at this size.
func TestNewCodeUniform(t *testing.T) {
	tests := []struct {
		name      string
		spec      verify.CodeSpec
		threshold float64 // about mean + 10 standard deviations
	}{
		{"Alphanumeric", verify.DefaultCodeSpec, 35 + 10*8.4},
		{"Digits", verify.CodeSpec{Length: 6, Alphabet: verify.Digits, TTL: time.Hour}, 9 + 10*4.3},
		// 94 characters: 256 % 94 = 68, the largest bias modulo would give.
		{"Printable", verify.CodeSpec{Length: 6, Alphabet: printableASCII(), TTL: time.Hour}, 93 + 10*13.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chi := chiSquare(t, tt.spec, 20000)
			assert.Less(t, chi, tt.threshold, "character counts are not uniform")
		})
	}
}

func printableASCII() string {
	var b strings.Builder
	for c := byte('!'); c <= '~'; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in string
		spec     verify.CodeSpec
		want     string
	}{
		{"UpperCasedForAlphanumeric", " ab12cd\t", verify.DefaultCodeSpec, "AB12CD"},
		{"UpperCasedForZeroSpec", "ab12cd", verify.CodeSpec{}, "AB12CD"},
		{"DigitsTrimmed", " 123456 ", verify.CodeSpec{Alphabet: verify.Digits}, "123456"},
		{"CaseKeptForLowerAlphabet", " aBc ", verify.CodeSpec{Alphabet: "abcABC"}, "aBc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, verify.Normalize(tt.in, tt.spec))
		})
	}
}
