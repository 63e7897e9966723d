package jsontext_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/jsontext"
)

var values = []any{
	nil, true, false, "", "plain", `quote " backslash \ slash /`, "<html> & 'single'",
	"\x00\x01\x07\b\f\n\r\t\x1f\x7f", "ünïcødé 日本 🎉", "bad \xff utf8 \xc3", "line\u2028para\u2029end",
	0, -7, int64(math.MinInt64), uint64(math.MaxUint64),
	json.Number("0"), json.Number("-0"), json.Number("12.5e-3"), json.Number("1E+9"), json.Number(""),
	json.Number("01"), json.Number("1."), json.Number(".5"), json.Number("1e"), json.Number("-"), json.Number("+1"),
	map[string]any(nil), map[string]any{}, []any(nil), []any{}, []string(nil), []string{"<a>", "b"},
	map[string]any{"b": 1.5, "a": []any{"x", nil, map[string]any{"\u2028<": true}}, "": json.Number("3")},
	3.25, math.Inf(1), map[string]string{"k": "v&"}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	struct{ A int }{1}, make(chan int), map[string]any{"nested": math.NaN()}, []any{json.Number("bad")},
}

// std is what encoding/json's Encoder writes, without its newline.
func std(v any, html bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, html := range []bool{false, true} {
		e := &jsontext.Encoder{EscapeHTML: html}
		for _, v := range values {
			want, wantErr := std(v, html)
			got, err := e.Append([]byte("x"), v)
			if wantErr != nil {
				assert.Error(t, err, "encoding/json refuses %#v", v)
				continue
			}
			require.NoError(t, err, "%#v", v)
			assert.Equal(t, "x"+string(want), string(got), "html %v, %#v", html, v)
		}
	}
}

func TestOther(t *testing.T) {
	type point struct{ X int }
	e := &jsontext.Encoder{Other: func(_ *jsontext.Encoder, dst []byte, v any) ([]byte, bool, error) {
		if p, ok := v.(point); ok {
			return append(dst, byte('0'+p.X)), true, nil
		}
		return dst, false, nil
	}}
	got, err := e.Append(nil, []any{point{X: 7}, struct{ Y int }{2}})
	require.NoError(t, err)
	assert.Equal(t, `[7,{"Y":2}]`, string(got))
}

func FuzzAppendString(f *testing.F) {
	for _, v := range values {
		if s, ok := v.(string); ok {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			want, err := std(map[string]any{s: []any{s}}, html)
			require.NoError(t, err)
			got, err := (&jsontext.Encoder{EscapeHTML: html}).Append(nil, map[string]any{s: []any{s}})
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	})
}
