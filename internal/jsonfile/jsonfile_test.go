package jsonfile_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/jsonfile"
)

var update = flag.Bool("update", false, "rewrite testdata/errors.golden")

// config is a small file format with the shapes real ones have.
type config struct {
	Name    string            `json:"name"`
	Clients []client          `json:"clients,omitempty"`
	Limits  map[string]int    `json:"limits,omitempty"`
	TTL     duration          `json:"ttl,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Nested  *struct {
		Enabled bool `json:"enabled"`
	} `json:"nested,omitempty"`
}

type client struct {
	ID    string `json:"id"`
	Class class  `json:"class"`
}

type class string

func (c *class) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	names := []string{"owner", "reader"}
	for _, n := range names {
		if s == n {
			*c = class(s)
			return nil
		}
	}
	return jsonfile.OneOf("permission class", s, names)
}

type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"90s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &jsonfile.ValueError{Problem: fmt.Sprintf("%q is not a duration", s), Expected: `a duration such as "90s", "15m" or "24h"`}
	}
	*d = duration(v)
	return nil
}

// TestDecodeErrors decodes each testdata/bad-*.json and compares the
// errors with testdata/errors.golden (go test -update rewrites it).
func TestDecodeErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var got strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var c config
		err = jsonfile.Decode(f, data, &c)
		var e *jsonfile.Error
		require.ErrorAs(t, err, &e, f)
		assert.Equal(t, config{}, c, "%s: nothing decoded on error", f)
		got.WriteString(err.Error() + "\n")
	}
	golden := filepath.Join("testdata", "errors.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got.String())
}

func TestDecodeGood(t *testing.T) {
	data := []byte(`{"name": "x", "clients": [{"id": "a", "class": "owner"}], "ttl": "90s", "limits": {"n": 3}, "nested": {"enabled": true}}`)
	var c config
	require.NoError(t, jsonfile.Decode("good.json", data, &c))
	assert.Equal(t, class("owner"), c.Clients[0].Class)
	assert.Equal(t, duration(90*time.Second), c.TTL)
	assert.True(t, c.Nested.Enabled)
}

func TestAtPlacesAProblemFoundLater(t *testing.T) {
	data := []byte("{\n  \"clients\": [\n    {\"id\": \"a\"},\n    {\"id\": \"a\"}\n  ]\n}\n")
	err := jsonfile.At("c.json", data, []any{"clients", 1, "id"}, errors.New(`client id "a" is listed twice`))
	assert.Equal(t, `c.json:4:12: $.clients[1].id: client id "a" is listed twice`, err.Error())
	err = jsonfile.At("c.json", data, []any{"nowhere"}, jsonfile.OneOf("x", "y", []string{"z"}))
	assert.Equal(t, `c.json:1:1: $.nowhere: unknown x "y"; expected one of z`, err.Error())
}

func TestClosest(t *testing.T) {
	names := []string{"clients", "maxBody", "maxDepth", "email", "required"}
	for in, want := range map[string]string{
		"client": "clients", "maxbody": "maxBody", "emial": "email", "requird": "required",
		"zzz": "", "max": "maxBody", "": "",
	} {
		assert.Equal(t, want, jsonfile.Closest(in, names), in)
	}
}

func TestAtPathThenLocate(t *testing.T) {
	data := []byte("{\n  \"types\": {\"user\": {\"fields\": {\"/email\": {\"rules\": \"emial\"}}}}\n}\n")
	err := fmt.Errorf("policy: %w", jsonfile.AtPath([]any{"types", "user", "fields", "/email", "rules"},
		&jsonfile.ValueError{Problem: `unknown rule "emial"`, Suggestion: "email"}))
	assert.Equal(t, `policy: $.types.user.fields["/email"].rules: unknown rule "emial"; did you mean "email"?`, err.Error())
	err = jsonfile.Locate(err, "p.json", data)
	assert.Equal(t, `policy: p.json:2:53: $.types.user.fields["/email"].rules: unknown rule "emial"; did you mean "email"?`, err.Error())
	plain := errors.New("x")
	assert.Equal(t, plain, jsonfile.Locate(plain, "p.json", data))
}
