package jsonval

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDecimal(t *testing.T) {
	for _, bad := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.5.", "0x10", "NaN", " 1"} {
		_, ok := ParseDecimal(bad)
		assert.False(t, ok, "%q", bad)
	}
	for s, want := range map[string]Decimal{
		"0":      {},
		"-0.000": {},
		"1.50":   {Digits: "15", Exp: 1},
		"150e-2": {Digits: "15", Exp: 1},
		"-0.012": {Neg: true, Digits: "12", Exp: -1},
		"1E2":    {Digits: "1", Exp: 3},
	} {
		got, ok := ParseDecimal(s)
		require.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
}

// TestDecimalOrder checks Cmp and Key against math/big on random numbers
// written in every JSON form.
func TestDecimalOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteByte('-')
		}
		b.WriteString([]string{"0", "1", "9", "10", "12345678901234567890", "5"}[r.IntN(6)])
		if r.IntN(2) == 0 {
			b.WriteString("." + []string{"0", "5", "50", "0001", "99999999999999999999"}[r.IntN(5)])
		}
		if r.IntN(2) == 0 {
			b.WriteString([]string{"e", "E"}[r.IntN(2)] + []string{"", "+", "-"}[r.IntN(3)] + []string{"0", "1", "2", "25"}[r.IntN(4)])
		}
		return b.String()
	}
	for range 20000 {
		a, b := gen(), gen()
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		da, ok1 := ParseDecimal(a)
		db, ok2 := ParseDecimal(b)
		require.True(t, ok1 && ok2, "%s %s", a, b)
		want := ra.Cmp(rb)
		assert.Equal(t, want, da.Cmp(db), "%s vs %s", a, b)
		assert.Equal(t, want, bytes.Compare(da.Key(), db.Key()), "keys of %s vs %s", a, b)
	}
}

// TestFoldTable checks that translating by the table is Fold, which is
// what lets PostgreSQL fold as Go does.
func TestFoldTable(t *testing.T) {
	from, to := FoldTable()
	require.Equal(t, utf8.RuneCountInString(from), utf8.RuneCountInString(to))
	m := map[rune]rune{}
	tr := []rune(to)
	for i, r := range []rune(from) {
		m[r] = tr[i]
	}
	translate := func(s string) string {
		return strings.Map(func(r rune) rune {
			if c, ok := m[r]; ok {
				return c
			}
			return r
		}, s)
	}
	for _, s := range []string{"Kelvin \u212a", "straße STRASSE ẞ", "ǅǆǄ", "σςΣ", "İiıI", "Ω ω Ω", "😀 abc"} {
		assert.Equal(t, Fold(s), translate(s), s)
	}
	assert.Equal(t, Fold("k"), Fold("\u212a"))
	assert.Equal(t, Fold("σ"), Fold("ς"))
	assert.NotEqual(t, Fold("ß"), Fold("ss"), "simple folding maps one rune to one rune")
}

func TestParseInstant(t *testing.T) {
	for _, ok := range []string{"2026-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T01:00:00.123456789+01:00", "0001-01-01T00:00:00Z"} {
		_, good := ParseInstant(ok)
		assert.True(t, good, ok)
	}
	for _, bad := range []string{"2026-01-01", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "0000-01-01T00:00:00Z",
		"2026-01-01T00:00:60Z", "2026-01-01T00:00:00.1234567891Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00"} {
		_, good := ParseInstant(bad)
		assert.False(t, good, bad)
	}
	a, _ := ParseInstant("2026-01-01T01:00:00+01:00")
	b, _ := ParseInstant("2026-01-01T00:00:00Z")
	assert.True(t, a.Equal(b))
}

func TestCursor(t *testing.T) {
	c := Cursor{Sort: "a:/n", Value: "x", ID: "u1"}
	got, err := DecodeCursor(EncodeCursor(c), "a:/n")
	require.NoError(t, err)
	assert.Equal(t, c, got)
	_, err = DecodeCursor(EncodeCursor(c), "d:/n")
	assert.ErrorIs(t, err, ErrCursor)
	_, err = DecodeCursor("!!", "a:/n")
	assert.ErrorIs(t, err, ErrCursor)
}
