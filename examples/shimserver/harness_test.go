package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// shim is one in-process run of the server on a random loopback port.
type shim struct {
	base           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
	stopped        bool
}

// startShim runs the server with args (plus -addr 127.0.0.1:0 and JSON
// logs) and waits until it accepts requests. The server is stopped at the
// end of the test unless the test stops it first.
func startShim(tb testing.TB, args ...string) *shim {
	tb.Helper()
	return startShimEnv(tb, map[string]string{}, args...)
}

// startShimEnv is startShim with the given environment variables.
func startShimEnv(tb testing.TB, env map[string]string, args ...string) *shim {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &shim{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-log", "json"}, args...)
	getenv := func(k string) string { return env[k] }
	go func() {
		s.done <- run(ctx, args, getenv, s.stdout, s.stderr, func(addr string) { ready <- addr })
	}()
	select {
	case addr := <-ready:
		s.base = "http://" + addr
	case err := <-s.done:
		cancel()
		tb.Fatalf("server did not start: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatalf("server did not start within 30s\nstderr:\n%s", s.stderr)
	}
	tb.Cleanup(func() {
		if !s.stopped {
			s.stop(tb)
		}
	})
	return s
}

// stop ends the server as a signal would and requires a clean exit.
func (s *shim) stop(tb testing.TB) {
	tb.Helper()
	s.stopped = true
	s.cancel()
	select {
	case err := <-s.done:
		require.NoError(tb, err, "stderr:\n%s", s.stderr)
	case <-time.After(30 * time.Second):
		tb.Fatal("server did not stop within 30s")
	}
}

// response is what a test keeps of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value, numbers as json.Number.
func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	require.NoError(tb, dec.Decode(&v), "body %q", r.body)
	return v
}

// send sends req to the server and reads the whole answer.
func (s *shim) send(tb testing.TB, req *http.Request) response {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(tb, err)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// do sends one request with the given headers ("Name: value" strings).
func (s *shim) do(tb testing.TB, method, path string, body []byte, headers ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	require.NoError(tb, err)
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		require.True(tb, ok, "header %q", h)
		req.Header.Set(name, strings.TrimSpace(value))
	}
	return s.send(tb, req)
}

// logLines returns the server's JSON log lines.
func (s *shim) logLines(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line map[string]any
		require.NoError(tb, json.Unmarshal(sc.Bytes(), &line), "log line %q", sc.Text())
		out = append(out, line)
	}
	require.NoError(tb, sc.Err())
	return out
}

// codeFor returns the last verification code the development dispatcher
// logged for the address to.
func (s *shim) codeFor(tb testing.TB, to string) string {
	tb.Helper()
	code := ""
	for _, l := range s.logLines(tb) {
		if l["msg"] == "verification code" && l["to"] == to {
			code, _ = l["code"].(string)
		}
	}
	require.NotEmpty(tb, code, "no code logged for %s", to)
	return code
}

// fixture returns a file of testdata.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

// updateGolden rewrites golden files instead of comparing with them.
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the file at path, or writes it with -update.
func golden(tb testing.TB, path, got string) {
	tb.Helper()
	if *updateGolden {
		require.NoError(tb, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(tb, err)
	assert.Equal(tb, string(want), got, "go test -update rewrites %s", path)
}
