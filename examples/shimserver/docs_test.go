package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
	"../../adapters/scim/README.md",
}

// TestDocumentedSessions replays every curl session of the README and of
// the vendors' documents against a fresh server, as a reader pastes them,
// and compares each answer with the one printed (times, ids, tokens and
// codes by their form). Then it scrapes /metrics and checks that the
// request counters match the requests sent.
func TestDocumentedSessions(t *testing.T) {
	for _, doc := range sessionDocs {
		t.Run(strings.TrimPrefix(filepath.ToSlash(doc), "../../"), func(t *testing.T) {
			s := startShim(t, "-store", "sqlite:"+filepath.Join(t.TempDir(), "idupdate.db"), "-metrics-addr", "127.0.0.1:0")
			sh := replayDoc(t, s, doc)
			vendor := "rubiq" // the README's session
			if v := filepath.Base(filepath.Dir(doc)); v != ".." {
				vendor = v
			}
			t.Run("MetricsCountTheRequests", func(t *testing.T) { checkRequestMetrics(t, s, sh, vendor) })
		})
	}
}

// checkRequestMetrics scrapes s's /metrics and compares the request
// counters (and the latency histogram's counts) with the statuses of the
// requests sh sent, all of them to vendor.
func checkRequestMetrics(t *testing.T, s *shim, sh *curltest.Shell, vendor string) {
	m := regexp.MustCompile(`metrics    (http://\S+/metrics)`).FindStringSubmatch(s.stdout.String())
	require.NotNil(t, m, "the banner names the metrics address")
	scrape := func() map[string]float64 {
		r, err := http.Get(m[1])
		require.NoError(t, err)
		defer r.Body.Close()
		require.Equal(t, 200, r.StatusCode)
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		return parseMetrics(t, string(body))
	}
	got := scrape()
	want := map[string]float64{}
	for _, st := range sh.Status {
		want[fmt.Sprint(st)]++
	}
	byStatus := map[string]float64{}
	histCount := map[string]float64{}
	for series, v := range got {
		labels := seriesLabels(series)
		switch {
		case strings.HasPrefix(series, "idupdate_http_requests_total{") && labels["vendor"] == vendor:
			byStatus[labels["status"]] += v
			assert.NotEmpty(t, labels["route"])
			assert.NotContains(t, labels["route"], "69629026806489455", "routes are patterns, not paths")
		case strings.HasPrefix(series, "idupdate_http_request_duration_seconds_count{") && labels["vendor"] == vendor:
			histCount[labels["status"]] += v
		case strings.HasPrefix(series, "idupdate_http_requests_total{") && labels["vendor"] != vendor:
			t.Errorf("a request counted for another vendor: %s %v", series, v)
		}
	}
	assert.Equal(t, want, byStatus, "requests by status")
	assert.Equal(t, want, histCount, "latency observations by status")
	var ops float64
	for series, v := range got {
		if strings.HasPrefix(series, "idupdate_engine_operations_total{") {
			ops += v
		}
	}
	assert.Positive(t, ops, "the engines report their outcomes")
	assert.Contains(t, got, "go_goroutines", "the Go runtime's metrics")
}

// parseMetrics reads the Prometheus text format into series → value.
func parseMetrics(t *testing.T, text string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "metrics line %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "metrics line %q", line)
		out[line[:i]] = v
	}
	return out
}

// seriesLabels returns the labels of a series name{a="x",b="y"}.
func seriesLabels(series string) map[string]string {
	labels := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(series, -1) {
		labels[m[1]] = m[2]
	}
	return labels
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
