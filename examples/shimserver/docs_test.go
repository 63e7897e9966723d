package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/curltest"
)

// sessionDocs are the documents with curl sessions against the shim
// server, relative to this package.
var sessionDocs = []string{
	"../../README.md",
	"../../adapters/janrain/README.md",
	"../../adapters/druid/README.md",
	"../../adapters/rubiq/README.md",
	"../../adapters/zitadel/README.md",
}

// TestDocumentedSessions replays every curl session of the README and of
// the vendors' documents against a fresh server, as a reader pastes them,
// and compares each answer with the one printed (times, ids, tokens and
// codes by their form).
func TestDocumentedSessions(t *testing.T) {
	for _, doc := range sessionDocs {
		t.Run(strings.TrimPrefix(filepath.ToSlash(doc), "../../"), func(t *testing.T) {
			s := startShim(t, "-store", "sqlite:"+filepath.Join(t.TempDir(), "idupdate.db"))
			replayDoc(t, s, doc)
		})
	}
}

// replayDoc runs the sessions of doc against s and returns the shell,
// which knows the requests it sent.
func replayDoc(t *testing.T, s *shim, doc string) *curltest.Shell {
	t.Helper()
	md, err := os.ReadFile(doc)
	require.NoError(t, err)
	steps := curltest.Steps(string(md))
	require.NotEmpty(t, steps)
	sh := &curltest.Shell{Base: s.base}
	sh.Placeholder = func(name, comment string) string {
		switch {
		case strings.Contains(comment, "from your log"):
			return s.lastCode(t)
		case strings.Contains(comment, "of your answer"):
			var v map[string]any
			require.NoError(t, json.Unmarshal(sh.Last, &v))
			code, _ := v["emailCode"].(string)
			return code
		}
		return ""
	}
	for _, st := range steps {
		got := sh.Run(t, st.Script)
		if st.Output == "" {
			continue
		}
		curltest.Equal(t, st.Output, got, fmt.Sprintf("%s:%d", doc, st.Line))
	}
	return sh
}

// lastCode returns the last code the development dispatcher logged.
func (s *shim) lastCode(tb testing.TB) string {
	tb.Helper()
	code := ""
	for _, l := range s.logLines(tb) {
		if l["msg"] == "verification code" {
			code, _ = l["code"].(string)
		}
	}
	require.NotEmpty(tb, code, "no code logged")
	return code
}

// TestREADMEFlagTable checks that the README's flag table lists exactly
// the server's flags.
func TestREADMEFlagTable(t *testing.T) {
	md, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(-[a-z-]+)").FindAllStringSubmatch(string(md), -1) {
		documented = append(documented, strings.TrimPrefix(m[1], "-"))
	}
	var actual []string
	flagSet(&flags{}, io.Discard).VisitAll(func(f *flag.Flag) { actual = append(actual, f.Name) })
	slices.Sort(documented)
	slices.Sort(actual)
	assert.Equal(t, actual, documented)
}
