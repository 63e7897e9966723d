package httpx_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
)

// appendCases are values whose JSON text AppendJSON must write exactly as
// json.Marshal does.
var appendCases = []any{
	nil, true, false, "", "plain", 0, -42, int64(1) << 62, uint64(1) << 63,
	"quote\" backslash\\ slash/", "\b\f\n\r\t\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "\u2028\u2029", "é日本\U0001F600", "bad\xffutf8\xc3", "\xed\xa0\x80",
	json.Number("12"), json.Number("-0.5e+10"), json.Number(""),
	map[string]any{}, map[string]any(nil), []any(nil), []string(nil), []any{}, []string{"a", "<b>"},
	map[string]any{"b": 1, "a": []any{"x", nil, true, json.Number("3"), map[string]any{"z<": "&"}}, "\xff": "k"},
	map[string]any{"when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "f": 1.5e21, "small": 1e-7},
	map[string]string{"s": "t"},
}

func TestAppendJSON(t *testing.T) {
	for _, v := range appendCases {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, err := httpx.AppendJSON([]byte("prefix"), v)
		require.NoError(t, err)
		assert.Equal(t, "prefix"+string(want), string(got), "%#v", v)
	}
}

func TestAppendJSONInvalidNumber(t *testing.T) {
	_, wantErr := json.Marshal(json.Number("1x"))
	require.Error(t, wantErr)
	_, err := httpx.AppendJSON(nil, map[string]any{"n": json.Number("1x")})
	assert.Error(t, err)
}

// TestWriteJSON checks the whole answer: json.Marshal's bytes and a
// newline, with the JSON headers.
func TestWriteJSON(t *testing.T) {
	for _, v := range appendCases {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		w := httptest.NewRecorder()
		httpx.WriteJSON(w, 201, v)
		assert.Equal(t, 201, w.Code)
		assert.Equal(t, string(want)+"\n", w.Body.String())
		assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	}
}
