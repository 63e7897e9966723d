package janrain_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/update"
)

// refusedCase is one request of testdata/refused.json that must get a
// Capture error and change nothing.
type refusedCase struct {
	Name        string      `json:"name"`
	Op          string      `json:"op"`
	Method      string      `json:"method"`
	Auth        string      `json:"auth"`
	ContentType *string     `json:"contentType"`
	Form        [][2]string `json:"form"`
	Body        *string     `json:"body"`
	Build       string      `json:"build"`
	Status      int         `json:"status"`
	Code        int         `json:"code"`
	Argument    string      `json:"argument"`
	Description string      `json:"description"`
}

func loadRefused(tb testing.TB) []refusedCase {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "refused.json"))
	require.NoError(tb, err)
	var cases []refusedCase
	require.NoError(tb, json.Unmarshal(b, &cases))
	return cases
}

// authHeader turns a case's auth name into an Authorization header.
func authHeader(name string) string {
	switch name {
	case "", "owner":
		return basic(ownerID, ownerSecret)
	case "reader":
		return basic(readerID, readerSecret)
	case "issuer":
		return basic("issuer", "issuer_secret")
	case "login":
		return basic("login", "login_secret")
	case "wrong":
		return basic(ownerID, "not-the-secret")
	case "none":
		return ""
	}
	return name
}

// body builds a case's request body. Bodies built here are the ones a
// fixture file cannot hold well: 10 MB, invalid UTF-8, deep nesting.
func (c refusedCase) body() string {
	v := url.Values{}
	for _, kv := range c.Form {
		v.Add(kv[0], kv[1])
	}
	switch c.Build {
	case "deep":
		v.Set("value", `{"primaryAddress":`+strings.Repeat(`{"city":`, 40)+`"x"`+strings.Repeat("}", 41))
	case "huge":
		v.Set("value", `{"displayName":"`+strings.Repeat("a", 10<<20)+`"}`)
	case "invalid_utf8":
		return "type_name=user&id=5252&value=" + url.QueryEscape(`{"givenName":"`) + "\xff\xfe" + url.QueryEscape(`"}`)
	}
	if c.Body != nil {
		return *c.Body
	}
	return v.Encode()
}

func TestRefusedRequests_GetCaptureErrorsAndChangeNothing(t *testing.T) {
	cases := loadRefused(t)
	require.GreaterOrEqual(t, len(cases), 15)
	e := newEnv(t)
	third, err := e.eng.Create(context.Background(), update.CreateRequest{
		Type: janrain.EntityType, ID: "7000", Client: ownerID,
		Doc: map[string]any{"email": "third@example.com", "username": "taken1"},
	})
	require.NoError(t, err)
	ids := []string{janrain.DemoID, janrain.DemoSecondID, third.ID}

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			before := map[string]snapshot{}
			for _, id := range ids {
				before[id] = e.snapshot(t, id)
			}
			method, contentType := "POST", "application/x-www-form-urlencoded"
			if c.Method != "" {
				method = c.Method
			}
			if c.ContentType != nil {
				contentType = *c.ContentType
			}

			r := e.do(t, method, c.Op, authHeader(c.Auth), contentType, c.body())

			assert.Equal(t, c.Status, r.status, "status; body %s", r.raw)
			assert.Equal(t, "error", r.body["stat"])
			assert.Equal(t, json.Number(itoa(c.Code)), r.body["code"], "code; body %s", r.raw)
			assert.Equal(t, janrainErrorName(t, c.Code), r.body["error"])
			assert.NotEmpty(t, r.body["error_description"])
			assert.NotEmpty(t, r.body["request_id"])
			if c.Argument != "" {
				assert.Equal(t, c.Argument, r.body["argument_name"], "argument_name; body %s", r.raw)
			}
			if c.Description != "" {
				assert.Contains(t, r.body["error_description"], c.Description)
			}
			assert.Contains(t, r.header.Get("Content-Type"), "application/json")
			for _, id := range ids {
				assert.Equal(t, before[id], e.snapshot(t, id), "record %s changed", id)
			}
			assert.NotContains(t, string(r.raw), ownerSecret)
		})
	}
}

// janrainErrorName is the vendor table's error name for a code.
func janrainErrorName(tb testing.TB, code int) string {
	tb.Helper()
	names := captureCodes(tb)
	name, ok := names[code]
	require.True(tb, ok, "code %d is not in the vendor table", code)
	return name
}

// captureCodes reads the vendor's error table from testdata.
func captureCodes(tb testing.TB) map[int]string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "codes.json"))
	require.NoError(tb, err)
	var rows []struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	require.NoError(tb, json.Unmarshal(b, &rows))
	m := map[int]string{}
	for _, r := range rows {
		m[r.Code] = r.Error
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }

// applicableCodes lists the vendor codes that apply to the entity
// operations.
func applicableCodes(tb testing.TB) map[int]bool {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "codes.json"))
	require.NoError(tb, err)
	var rows []struct {
		Code    int  `json:"code"`
		Applies bool `json:"applies"`
	}
	require.NoError(tb, json.Unmarshal(b, &rows))
	m := map[int]bool{}
	for _, r := range rows {
		m[r.Code] = r.Applies
	}
	return m
}
