package druid

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grants are grants the adapter could store, with every kind of character
// json.Marshal escapes or replaces.
var grants = []grant{
	{Client: "demo-app", Scopes: []string{"update"}, Method: methodS256, Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
	{Client: "plain-app", Scopes: []string{"update", "read", "admin"}, Method: methodPlain, Challenge: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
	{Client: "", Scopes: nil, Method: "", Challenge: ""},
	{Client: "x", Scopes: []string{}, Method: "S256", Challenge: "c"},
	{Client: `a"b\c/d<e>f&g`, Scopes: []string{"\n\t\r\b\f", "\x00\x1f\x7f"}, Method: "plain", Challenge: "\u2028\u2029"},
	{Client: "Ünïcødé 客户 😀", Scopes: []string{"ü", "😀", ""}, Method: "\xff", Challenge: "a\xc3(b\xed\xa0\x80"},
}

// TestGrantStoredFormIsJSONMarshal checks that a grant is stored as the
// bytes json.Marshal writes for it, as the adapter has always stored it,
// and read back as json.Unmarshal reads them.
func TestGrantStoredFormIsJSONMarshal(t *testing.T) {
	for _, g := range grants {
		want, err := json.Marshal(g)
		require.NoError(t, err)
		got := g.appendJSON(nil)
		require.Equal(t, string(want), string(got))
		var std grant
		require.NoError(t, json.Unmarshal(got, &std))
		back, err := decodeGrant(got)
		require.NoError(t, err, "%s", got)
		assert.Equal(t, std, back, "%s", got)
	}
}

// checkDecodeGrant requires decodeGrant to agree with json.Unmarshal on
// data: what it accepts, json.Unmarshal accepts and reads to the same
// grant (so what json.Unmarshal refuses, it refuses). It reports whether
// decodeGrant accepted.
func checkDecodeGrant(t *testing.T, data []byte) bool {
	t.Helper()
	got, err := decodeGrant(data)
	var std grant
	stdErr := json.Unmarshal(data, &std)
	if err != nil {
		assert.ErrorIs(t, err, errGrant)
		return false
	}
	if assert.NoError(t, stdErr, "decodeGrant accepts what json.Unmarshal refuses: %q", data) {
		assert.Equal(t, std, got, "%q", data)
	}
	return true
}

// TestDecodeGrantAgreesWithUnmarshal runs checkDecodeGrant on every
// stored form of grants, every prefix of it, every one-byte change, drop
// and insertion, and forms the adapter never wrote.
func TestDecodeGrantAgreesWithUnmarshal(t *testing.T) {
	bytesToTry := []byte{0, 0x1f, ' ', '"', ',', ':', '[', ']', '{', '}', '\\', '/', 'u', 'n', '0', 'a', 'D', 0x7f, 0x80, 0xc3, 0xff}
	for _, g := range grants {
		data := g.appendJSON(nil)
		require.True(t, checkDecodeGrant(t, data), "%s", data)
		for i := range data {
			checkDecodeGrant(t, data[:i])
			checkDecodeGrant(t, append(append([]byte{}, data[:i]...), data[i+1:]...))
			for _, c := range bytesToTry {
				mut := append([]byte{}, data...)
				mut[i] = c
				checkDecodeGrant(t, mut)
				checkDecodeGrant(t, append(append(append([]byte{}, data[:i]...), c), data[i:]...))
			}
		}
	}
	accepted := []string{
		`{"client":"a\u0062\/\"\\\b\f\n\r\t","scopes":["update"],"method":"plain","challenge":"c"}`,
		`{"client":"\ud83d\ude00","scopes":["\uD83D\uDE00"],"method":"\u0053256","challenge":""}`,
		`{"client":"\ud800","scopes":["\udc00\ud800x","\ud800\u0041","\ud800\ud800"],"method":"","challenge":"\udfff"}`,
		`{"client":"a","scopes":[],"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":["",""],"method":"m","challenge":"c"}`,
	}
	for _, s := range accepted {
		assert.True(t, checkDecodeGrant(t, []byte(s)), "%s", s)
	}
	// Forms json.Unmarshal reads but the adapter never wrote: refused.
	neverWritten := []string{
		` {"client":"a","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":null,"method":"m","challenge":"c"} `,
		`{"client": "a","scopes":null,"method":"m","challenge":"c"}`,
		`{"scopes":null,"client":"a","method":"m","challenge":"c"}`,
		`{"Client":"a","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":null,"method":"m","challenge":"c","extra":1}`,
		`{"client":"a","client":"b","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":null,"scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":[null],"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":[ "x"],"method":"m","challenge":"c"}`,
		`{"client":"a","method":"m","challenge":"c"}`,
		`null`, `{}`,
		`{"client":"` + "\xff\xfe" + `","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":["\u00e9` + "\xed\xa0\x80" + `"],"method":"m","challenge":"c"}`,
	}
	for _, s := range neverWritten {
		assert.False(t, checkDecodeGrant(t, []byte(s)), "%s", s)
	}
	// Malformed JSON: refused by both.
	malformed := []string{
		``, `{`, `{"client":"a\x","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a\u12","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a` + "\n" + `","scopes":null,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":["x",],"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":["x""y"],"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":nul,"method":"m","challenge":"c"}`,
		`{"client":"a","scopes":null,"method":"m","challenge":"c"}}`,
		`{"client":"a","scopes":null,"method":"m","challenge":"c`,
	}
	for _, s := range malformed {
		assert.False(t, checkDecodeGrant(t, []byte(s)), "%s", s)
		var std grant
		assert.Error(t, json.Unmarshal([]byte(s), &std), "%s", s)
	}
}

// FuzzDecodeGrant checks decodeGrant against json.Unmarshal on any input,
// and that every grant's stored form is read back as json.Unmarshal
// reads it.
func FuzzDecodeGrant(f *testing.F) {
	for _, g := range grants {
		f.Add(g.appendJSON(nil), g.Client, g.Challenge)
	}
	f.Fuzz(func(t *testing.T, data []byte, client, challenge string) {
		checkDecodeGrant(t, data)
		g := grant{Client: client, Scopes: []string{challenge, client}, Method: methodS256, Challenge: challenge}
		stored := g.appendJSON(nil)
		want, err := json.Marshal(g)
		require.NoError(t, err)
		require.Equal(t, string(want), string(stored))
		require.True(t, checkDecodeGrant(t, stored), "%q", stored)
	})
}

// BenchmarkDecodeGrant measures reading a stored grant, beside
// json.Unmarshal of the same bytes.
func BenchmarkDecodeGrant(b *testing.B) {
	data := grants[0].appendJSON(nil)
	b.Run("baseline-json-unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var g grant
			if err := json.Unmarshal(data, &g); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeGrant", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeGrant(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
