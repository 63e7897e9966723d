package druid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

// checkedUpdate is the checked path the handler runs for a body the
// one-pass reader does not take.
func checkedUpdate(b []byte, maxBytes, maxDepth int, self bool) (*Update, error) {
	v, err := merge.Decode(b, merge.DecodeLimits{MaxBytes: maxBytes, MaxDepth: maxDepth})
	if err != nil {
		return nil, err
	}
	return decodeUpdate(v, self)
}

// checkFastUpdate requires decodeUpdateBody to agree with the checked
// path on b: what it takes, the checked path accepts and decodes to the
// same Update. It reports whether it took b. Bodies that are not UTF-8
// never reach it (httpx.ReadBody refuses them) and are skipped.
func checkFastUpdate(t *testing.T, b []byte, maxDepth int, self bool) bool {
	t.Helper()
	if !utf8.Valid(b) {
		return false
	}
	const maxBytes = 64 << 10
	got, ok := decodeUpdateBody(b, maxBytes, maxDepth, self)
	if !ok {
		return false
	}
	want, err := checkedUpdate(b, maxBytes, maxDepth, self)
	if assert.NoError(t, err, "taken by the one-pass reader but refused by the checked path (depth %d, self %v): %q", maxDepth, self, b) {
		assert.Equal(t, want, got, "%q", b)
	}
	return true
}

// fastBodies are update bodies the one-pass reader takes.
func fastBodies(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range []string{"update_datas.json", "update_full.json", "update_no_datas.json", "update_password.json", "flow_update.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		out = append(out, b)
	}
	for _, s := range []string{
		`{"actor":{"id":"demo-app","objectType":"application"},"verb":"create","object":{"objectType":"user","id":"u"},"source":{"id":"itv","objectType":"device"}}`,
		`{"source":{"objectType":"device","id":"pc"},"object":{"id":"u","objectType":"user","ids":{}},"verb":"update","actor":{"objectType":"application","id":"a"}}`,
		" \n{ \"actor\" : { \"id\" : \"a\" , \"objectType\" : \"application\" } ,\t\"verb\":\"update\",\r\"object\":{\"objectType\":\"user\",\"id\":\"u\",\"password\":\"\"},\"source\":{\"id\":\"pc\",\"objectType\":\"device\"} } \n",
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u","ids":{"national_id":{"value":"X1"},"screen_name":{"value":"s","confirmed":false},"email":{"value":"é@example.com","confirmed":true,"objectType":"user_id"}},"datas":{},"assertions":{"a":{"b":[1,2.5e3,null,true,"\u00e9\"x"]}},"addresses":[]},"source":{"id":"unknown","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u","datas":{"k":"v\\\"}]"},"addresses":[{},{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}]},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"` + strings.Repeat("i", maxNameLen) + `","datas":{"` + strings.Repeat("n", maxNameLen) + `":1}},"source":{"id":"pc","objectType":"device"}}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestDecodeUpdateBodyAgreesWithCheckedPath runs checkFastUpdate on the
// bodies the reader takes, every prefix of them, every one-byte change,
// drop and insertion, bodies it must leave to the checked path, and the
// hostile fixtures, at several depth limits, with and without a user's
// own token.
func TestDecodeUpdateBodyAgreesWithCheckedPath(t *testing.T) {
	bodies := fastBodies(t)
	for _, b := range bodies {
		require.True(t, checkFastUpdate(t, b, 12, false), "%s", b)
		require.True(t, checkFastUpdate(t, b, 0, false), "%s", b)
	}
	self, err := os.ReadFile(filepath.Join("testdata", "self_update.json"))
	require.NoError(t, err)
	require.True(t, checkFastUpdate(t, self, 12, true))
	assert.False(t, checkFastUpdate(t, self, 12, false), "object.id is required of an administrative update")

	bytesToTry := []byte{' ', '"', ',', ':', '[', ']', '{', '}', '\\', '0', 'n', 't', 'x', '/', '~', 0x1f}
	for _, b := range append(bodies, self) {
		for i := range b {
			checkFastUpdate(t, b[:i], 12, false)
			drop := append(append([]byte{}, b[:i]...), b[i+1:]...)
			checkFastUpdate(t, drop, 12, false)
			checkFastUpdate(t, drop, 12, true)
			for _, c := range bytesToTry {
				mut := append([]byte{}, b...)
				mut[i] = c
				checkFastUpdate(t, mut, 12, false)
				checkFastUpdate(t, mut, 12, true)
				checkFastUpdate(t, append(append(append([]byte{}, b[:i]...), c), b[i:]...), 12, false)
			}
		}
		for _, depth := range []int{2, 3, 4, 5, 6, 7} {
			checkFastUpdate(t, b, depth, false)
			checkFastUpdate(t, b, depth, true)
		}
	}

	envelope := func(object string) string {
		return `{"actor":{"id":"a","objectType":"application"},"verb":"update","object":` + object + `,"source":{"id":"pc","objectType":"device"}}`
	}
	// Bodies the checked path may accept or refuse, but the reader leaves
	// to it: escapes and nulls in the envelope, repeats, wrong values.
	leftToChecked := []string{
		envelope(`{"objectType":"user","id":"u\u0031"}`),
		envelope(`{"objectType":"user","id":"u","password":null}`),
		envelope(`{"objectType":"user","id":"u","datas":null}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":null}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e","confirmed":null}}}`),
		envelope(`{"objectType":"user","id":"u","id":"v"}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e"},"email":{"value":"f"}}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e","value":"f"}}}`),
		envelope(`{"objectType":"user","id":"u","datas":{"a":1,"a":2}}`),
		envelope(`{"objectType":"user","id":"u","datas":{"a/b":1}}`),
		envelope(`{"objectType":"user","id":"u","datas":{"":1}}`),
		envelope(`{"objectType":"user","id":"u","datas":[]}`),
		envelope(`{"objectType":"user","id":"u","addresses":[1]}`),
		envelope(`{"objectType":"user","id":"u","addresses":{}}`),
		envelope(`{"objectType":"user","id":"u","createdOn":"x"}`),
		envelope(`{"objectType":"user","id":"u","ids":{"phone":{"value":"1"}}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":""}}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e","objectType":"id"}}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e","confirmed":"yes"}}}`),
		envelope(`{"objectType":"user","id":"u","ids":{"email":{"value":"e","confirmed":truex}}}`),
		envelope(`{"objectType":"user","id":"` + strings.Repeat("i", maxNameLen+1) + `"}`),
		envelope(`{"objectType":"user","id":""}`),
		envelope(`{"objectType":"user","id":"u"}`) + ` x`,
		envelope(`{"objectType":"user","id":"u"}`) + `{}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u"}}`,
		`{"actor":{"id":"","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"delete","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"phone","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"app"},"verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a"},"verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"}}`,
		`{"actor":{"id":"a","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"u"},"source":{"id":"pc","objectType":"device"},"extra":1}`,
		`[]`, `{}`, `null`, ``,
	}
	for _, s := range leftToChecked {
		for _, depth := range []int{12, 0} {
			assert.False(t, checkFastUpdate(t, []byte(s), depth, false), "%s", s)
		}
	}
	// 13 deep: past the default limit of 12, within the parser's own.
	deep := envelope(`{"objectType":"user","id":"u","datas":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{}}}}}}}}}}}}`)
	assert.False(t, checkFastUpdate(t, []byte(deep), 12, false))
	assert.True(t, checkFastUpdate(t, []byte(deep), 13, false))
	assert.True(t, checkFastUpdate(t, []byte(deep), 0, false))
	hostile, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, hostile)
	for _, name := range hostile {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		checkFastUpdate(t, b, 12, false)
		checkFastUpdate(t, b, 12, true)
	}
}

// FuzzDecodeUpdateBody checks decodeUpdateBody against the checked path
// on any body.
func FuzzDecodeUpdateBody(f *testing.F) {
	for _, name := range []string{"update_datas.json", "update_full.json", "self_update.json", "update_bad_structure.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 12, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, depth int, self bool) {
		checkFastUpdate(t, b, depth%16, self)
	})
}

// BenchmarkDecodeUpdateBody measures reading an update body in one pass
// beside the checked path (merge.Decode, then DecodeUpdate).
func BenchmarkDecodeUpdateBody(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "update_full.json"))
	require.NoError(b, err)
	b.Run("baseline-checked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := checkedUpdate(body, 64<<10, 12, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeUpdateBody(body, 64<<10, 12, false); !ok {
				b.Fatal("not taken")
			}
		}
	})
}
