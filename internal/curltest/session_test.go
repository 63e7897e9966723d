package curltest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStepsPairsShellBlocksWithTheirOutput(t *testing.T) {
	md := "intro\n\n```sh\ncurl -s http://x/a\n```\n```json\n{\"a\":1}\n```\n\n```\nlog line, not a step\n```\n\n```sh\nA=1\n```\ntext\n```\nnot its output\n```\n"
	steps := Steps(md)
	require.Len(t, steps, 2)
	assert.Equal(t, Step{Line: 3, Script: "curl -s http://x/a", Output: `{"a":1}`, JSON: true}, steps[0])
	assert.Equal(t, Step{Line: 14, Script: "A=1"}, steps[1])
}

func TestShellRunsTheSessionsSubset(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		got = append(got, fmt.Sprintf("%s %s %s %s %s:%s", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), body, u, p))
		if r.URL.Path == "/token" {
			fmt.Fprint(w, `{"access_token":"tok-1","expires_in":60}`)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer srv.Close()
	sh := &Shell{Base: srv.URL, Placeholder: func(name, comment string) string {
		if comment == "the code from your log" {
			return "C0DE"
		}
		return ""
	}}
	out := sh.Run(t, `V=v-$(date +%s)-x
TOKEN=$(curl -s -d a=1 -d b=$V \
  http://127.0.0.1:8080/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
CODE=XYZ   # the code from your log
curl -s -w '%{http_code}\n' -X PUT "http://127.0.0.1:8080/p?t=$TOKEN" -u u:p \
  -H 'Content-Type: application/json' \
  -d '{
  "code": "'$CODE'"
}'`)
	assert.Equal(t, "{\"ok\":true}201\n", out)
	require.Len(t, got, 2)
	assert.Regexp(t, `^POST /token application/x-www-form-urlencoded a=1&b=v-\d+-x :$`, got[0])
	assert.Equal(t, "PUT /p?t=tok-1 application/json {\n  \"code\": \"C0DE\"\n} u:p", got[1])
}

func TestEqualComparesVolatileValuesByForm(t *testing.T) {
	ok := &testing.T{}
	assert.True(t, Equal(ok, `{"t":"2026-11-22T10:18:21.891Z","request_id":"f00f55873ac15557","n":1}`,
		`{"n":1,"request_id":"0123456789abcdef","t":"2026-12-01T00:00:00Z"}`))
	for _, got := range []string{`{"t":"2026-11-22T10:18:21Z","n":2}`, `{"t":"yesterday","n":1}`, "{\"n\":1}\n204"} {
		mock := &testing.T{}
		assert.False(t, Equal(mock, `{"t":"2026-11-22T10:18:21.891Z","n":1}`, got), got)
	}
}
