package sqlite

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/storagetest"
)

// stdJSON is what encodeJSON wrote before appendJSON: encoding/json
// without HTML escaping and without the trailing newline.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// assertSameAsStd checks that appendJSON writes v byte for byte as
// encoding/json does, and fails where it fails.
func assertSameAsStd(t *testing.T, v any) {
	t.Helper()
	want, wantErr := stdJSON(v)
	got, err := appendJSON(nil, v)
	if wantErr != nil {
		assert.Error(t, err, "encoding/json refuses %#v", v)
		return
	}
	require.NoError(t, err, "%#v", v)
	assert.Equal(t, string(want), string(got), "%#v", v)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", `quote " backslash \ slash /`,
		"<html> & 'single'", "\x00\x01\x07\b\f\n\r\t\x1f\x7f", "ünïcødé 日本 🎉",
		"bad \xff utf8 \xc3", "line\u2028para\u2029end", "\xed\xa0\x80 surrogate",
		json.Number("0"), json.Number("-0"), json.Number("12.5e-3"), json.Number("1E+9"),
		json.Number(""), json.Number("01"), json.Number("1."), json.Number(".5"), json.Number("1e"),
		json.Number("-"), json.Number("+1"), json.Number("0x10"), json.Number("NaN"), json.Number("1 "),
		map[string]any(nil), map[string]any{}, []any(nil), []any{},
		map[string]any{"b": 1.5, "a": []any{"x", nil, map[string]any{"\u2028": true}}, "": json.Number("3")},
		[]any{map[string]any{"z": "1", "y": []any{[]any{}}}},
		// Outside the document contract: encoding/json's answer stands.
		3, 2.5, math.Inf(1), map[string]string{"/password": "hash"}, []string{"a"},
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), struct{ A int }{1}, make(chan int),
		map[string]any{"nested": math.NaN()}, []any{json.Number("bad")},
		[]storage.Change{{Path: "/a", Op: "replace", Old: "x", New: map[string]any{"<": ">"}}},
		[]storage.Change{{Path: "", Op: "add", New: []any{}}, {Path: "/\u2028", Op: "remove", Old: map[string]any(nil)}},
		[]storage.Change{{Op: "replace", Old: json.Number("1x")}}, []storage.Change(nil), []storage.Change{},
		storagetest.UserDoc2K(),
	}
	for _, v := range values {
		assertSameAsStd(t, v)
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "1.5e3", "-0", "日本"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		assertSameAsStd(t, value)
		assertSameAsStd(t, json.Number(value))
		assertSameAsStd(t, map[string]any{key: []any{value, json.Number("1")}, "k": value})
		assertSameAsStd(t, []storage.Change{{Path: key, Op: value, Old: value}, {New: json.Number(key)}})
	})
}

// BenchmarkEncodeDoc is the encoding of the 2 KB document beside its
// baseline, encoding/json.
func BenchmarkEncodeDoc(b *testing.B) {
	doc := storagetest.UserDoc2K()
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stdJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encodeJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeJSON(doc, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The next version of the document, three top-level fields changed,
	// encoded with the text of the one before, as an update does.
	b.Run("encodeDoc-next", func(b *testing.B) {
		prev, err := encodeDoc(doc, nil)
		require.NoError(b, err)
		next := maps.Clone(doc)
		next["displayName"], next["givenName"], next["loginCount"] = "Ada King", "Augusta", json.Number("43")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeDoc(next, &prev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEncodeJSONConcurrent encodes different documents at once: each text
// must be its own, though the encoding buffers are shared through a pool.
func TestEncodeJSONConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				doc := map[string]any{"g": json.Number(strconv.Itoa(g)), "i": json.Number(strconv.Itoa(i)),
					"pad": strings.Repeat("x", 64*g)}
				want, err := stdJSON(doc)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := encodeJSON(doc, false)
				if err != nil || got != string(want) {
					t.Errorf("goroutine %d: got %v (%v), want %s", g, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestEncodeDocReusesSharedMembers builds versions of a document copy on
// write, as package merge does, and checks that encoding each with the
// text of the one before gives exactly what encoding it afresh gives, and
// that members shared with the version before are copied, not encoded.
func TestEncodeDocReusesSharedMembers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	doc := storagetest.UserDoc2K()
	prev, err := encodeDoc(doc, nil)
	require.NoError(t, err)
	copied := 0
	for round := range 2000 {
		next := maps.Clone(doc)
		names := slices.Sorted(maps.Keys(next))
		name := names[rng.IntN(len(names))]
		switch rng.IntN(7) {
		case 0: // a new scalar
			next[name] = json.Number(strconv.Itoa(round))
		case 1: // a changed copy of an object, or a new one
			m, _ := next[name].(map[string]any)
			m = maps.Clone(m)
			if m == nil {
				m = map[string]any{}
			}
			m["r"+strconv.Itoa(round%5)] = "<&>\u2028" + strconv.Itoa(round)
			next[name] = m
		case 2: // removed
			if len(next) > 3 {
				delete(next, name)
			}
		case 3: // added
			next["added"+strconv.Itoa(round%40)] = map[string]any{"n": json.Number(strconv.Itoa(round))}
		case 4: // an array in new memory, as long as the one it replaces
			if a, ok := next[name].([]any); ok && len(a) > 0 {
				b := slices.Clone(a)
				b[0] = "changed" + strconv.Itoa(round)
				next[name] = b
			} else {
				next[name] = []any{"a", json.Number("1"), map[string]any{"b": true}}
			}
		case 5: // a shorter array over the same memory
			if a, ok := next[name].([]any); ok && len(a) > 1 {
				next[name] = a[:len(a)-1]
			}
		case 6: // an empty object or array in place of anything
			if round%2 == 0 {
				next[name] = map[string]any{}
			} else {
				next[name] = []any{}
			}
		}
		// With every member's text of prev overwritten by marks, the
		// members shared with prev must come out as marks: copied, not
		// encoded. The others must come out encoded.
		marked := prev
		b := []byte(prev.text)
		for _, m := range prev.members {
			copy(b[m.start:m.end], strings.Repeat("#", m.end-m.start))
		}
		marked.text = string(b)
		mg, err := encodeDoc(next, &marked)
		require.NoError(t, err)
		for _, m := range mg.members {
			span := mg.text[m.start:m.end]
			if sameMemory(m.value, doc[m.name]) {
				require.Equal(t, strings.Repeat("#", len(span)), span, "round %d, member %q copied", round, m.name)
				copied++
				continue
			}
			v, err := encodeJSON(m.value, false)
			require.NoError(t, err)
			require.Equal(t, v, span, "round %d, member %q encoded", round, m.name)
		}

		got, err := encodeDoc(next, &prev)
		require.NoError(t, err)
		want, err := encodeJSON(next, false)
		require.NoError(t, err)
		require.Equal(t, want, got.text, "round %d", round)
		for _, m := range got.members {
			assertSameAsStd(t, m.value)
			v, err := encodeJSON(m.value, false)
			require.NoError(t, err)
			require.Equal(t, v, got.text[m.start:m.end], "round %d, member %q", round, m.name)
		}
		doc, prev = next, got
	}
	assert.Greater(t, copied, 2000, "most members were shared and copied")
}
