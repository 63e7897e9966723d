package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage"
)

// binary builds the importer into a temporary directory once per test.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "importer")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// planted is the file a test imports: the users, and the bad lines with
// the error code the report must give each.
type planted struct {
	path  string
	good  map[int]bool        // line numbers of users to import
	bad   map[int]update_code // line numbers of bad lines
	users int                 // lines that are not blank
}

type update_code = string

// secret is a value planted in bad lines that the report must not repeat.
const secret = "s3cr3t-VALUE-never-in-report"

// writeUsers writes n lines, one user each, except the bad lines planted
// at fixed places (spread over the file, so some fall before the kill and
// some after) and a few blank lines. Emails carry tag, so runs on a shared
// database do not meet.
func writeUsers(t *testing.T, dir string, n int, tag string) planted {
	t.Helper()
	p := planted{path: filepath.Join(dir, "users.jsonl"), good: map[int]bool{}, bad: map[int]update_code{}}
	f, err := os.Create(p.path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	step := n / 7
	for i := 1; i <= n; i++ {
		var line string
		switch {
		case i == step:
			line, p.bad[i] = `{"email": "`+secret+`", "givenName": "A"}`, "invalid"
		case i == 2*step:
			line, p.bad[i] = `{"email": "x@example.com", "givenName": `, "malformed"
		case i == 3*step:
			line, p.bad[i] = `{"email": "u3@`+tag+`.example.com", "shoeSize": "`+secret+`"}`, "invalid"
		case i == 4*step:
			line, p.bad[i] = `["not", "an", "object"]`, "malformed"
		case i == 5*step:
			// The email of line 1, far enough back that line 1 is settled.
			line, p.bad[i] = fmt.Sprintf(`{"email": "user1@%s.example.com", "givenName": "Twin"}`, tag), "not_unique"
		case i == 6*step:
			line, p.bad[i] = `{"email": "long@example.com", "givenName": "`+strings.Repeat("x", 5000)+`"}`, "too_large"
		case i%1000 == 500:
			line = "   "
		default:
			line = fmt.Sprintf(`{"email": "user%d@%s.example.com", "givenName": "User %d", "gender": "%s"}`, i, tag, i, []string{"male", "female"}[i%2])
			p.good[i] = true
		}
		if strings.TrimSpace(line) != "" {
			p.users++
		}
		_, err := w.WriteString(line + "\n")
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return p
}

// writePolicy writes a policy with one record type, typ.
func writePolicy(t *testing.T, dir, typ string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/policy.json")
	require.NoError(t, err)
	path := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(b), `"user"`, strconv.Quote(typ))), 0o644))
	return path
}

// backends are the stores the kill-and-resume test runs on.
func backends(t *testing.T) map[string]func(dir string) string {
	b := map[string]func(string) string{
		"SQLite": func(dir string) string { return "sqlite:" + filepath.Join(dir, "users.db") },
	}
	if dsn := os.Getenv("IDUPDATE_POSTGRES_DSN"); dsn != "" {
		b["PostgreSQL"] = func(string) string { return "postgres:" + pgSchema(t, dsn) }
	}
	return b
}

// pgSchema creates a schema of the test's own, dropped when it ends, and
// returns the DSN whose search_path names it, so the importer's store
// keeps its tables there.
func pgSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("importer_test_%d", time.Now().UnixNano())
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		assert.NoError(t, err)
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err, "IDUPDATE_POSTGRES_DSN must be a URL")
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestKilledAndResumed imports 100,000 users (3,000 with -short), kills
// the importer with SIGKILL about halfway, runs it again with the same
// arguments, and checks that every user was imported exactly once and
// that the error report lists exactly the planted bad lines.
func TestKilledAndResumed(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 3_000
	}
	bin := binary(t)
	for name, storeArg := range backends(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tag := fmt.Sprintf("t%d", time.Now().UnixNano())
			typ := "import_test_" + tag
			p := writeUsers(t, dir, n, tag)
			store := storeArg(dir)
			args := []string{"-store", store, "-policy", writePolicy(t, dir, typ), "-type", typ, "-client", "importer",
				"-max-line", "4096", "-workers", "32", "-progress", "lines", "-progress-every", "100ms", "-checkpoint-every", "100ms", p.path}

			// First run: killed once half the users are settled.
			cmd := exec.Command(bin, args...)
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			peakKilled := killHalfway(t, cmd, stderr, p.users)
			err = cmd.Wait()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())

			// Second run: resumes and finishes; status 1 because lines were refused.
			cmd = exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err = cmd.Run()
			require.ErrorAs(t, err, &exit, "stdout: %s\nstderr: %s", out.String(), errOut.String())
			require.Equal(t, 1, exit.ExitCode(), "stderr: %s", errOut.String())
			assert.Contains(t, errOut.String(), "resuming after line")
			assert.Contains(t, errOut.String(), fmt.Sprintf("%d lines were not imported", len(p.bad)))
			peakResumed := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
			t.Logf("%d users: killed run peak RSS %d KiB; resumed run: %s peak RSS %d KiB, peak Go heap %d MB",
				p.users, peakKilled, strings.TrimSpace(out.String()), peakResumed, peakHeap(errOut.String()))

			checkImported(t, store, typ, p)
			checkReport(t, p.path+".errors.jsonl", p.bad)
		})
	}
}

// killHalfway reads the progress lines of a running importer and kills
// it with SIGKILL once half the users are settled. It returns the
// process's peak RSS in KiB, read just before the kill.
func killHalfway(t *testing.T, cmd *exec.Cmd, stderr interface{ Read([]byte) (int, error) }, users int) int {
	t.Helper()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var done, total int
		if _, err := fmt.Sscanf(sc.Text(), "progress: %d/%d users", &done, &total); err != nil {
			continue
		}
		require.Equal(t, users, total)
		if done >= users/2 {
			peak := peakRSS(cmd.Process.Pid)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			go func() { // drain, so the pipe never blocks a dying writer
				for sc.Scan() {
				}
			}()
			return peak
		}
	}
	t.Fatalf("the importer ended before half the users were settled: %v", sc.Err())
	return 0
}

// peakHeap returns the largest heap in MB a gctrace (GODEBUG=gctrace=1)
// reports at the start of a collection.
func peakHeap(trace string) int {
	peak := 0
	for _, m := range regexp.MustCompile(`(\d+)->\d+->\d+ MB`).FindAllStringSubmatch(trace, -1) {
		n, _ := strconv.Atoi(m[1])
		peak = max(peak, n)
	}
	return peak
}

// peakRSS returns VmHWM of the process in KiB, 0 where /proc is missing.
func peakRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// checkImported checks that the store holds exactly one record for each
// good line, found by the line's import key, and none for a bad line.
func checkImported(t *testing.T, storeArg, typ string, p planted) {
	t.Helper()
	ctx := context.Background()
	spec, err := storeopen.ParseSpec(storeArg, "")
	require.NoError(t, err)
	st, err := spec.Open(ctx)
	require.NoError(t, err)
	defer st.Close()
	q := st.(storage.Querier)
	count, err := q.Count(ctx, typ, nil)
	require.NoError(t, err)
	assert.Equal(t, len(p.good), count, "records in the store")

	lines := map[int]int{}
	query := storage.Query{Type: typ, Limit: storage.MaxLimit}
	for {
		page, err := q.List(ctx, query)
		require.NoError(t, err)
		for _, r := range page.Records {
			for _, k := range r.Keys {
				if k.Name != importKey {
					continue
				}
				_, num, ok := strings.Cut(k.Value, ":")
				require.True(t, ok, k.Value)
				n, err := strconv.Atoi(num)
				require.NoError(t, err)
				lines[n]++
			}
		}
		if page.Next == "" {
			break
		}
		query.After = page.Next
	}
	for n := range p.good {
		if !assert.Equal(t, 1, lines[n], "records of line %d", n) {
			return
		}
	}
	for n := range p.bad {
		assert.Zero(t, lines[n], "records of bad line %d", n)
	}
}

// checkReport checks that the report lists exactly the bad lines, in line
// order, with their codes, and never repeats the secret planted in them.
func checkReport(t *testing.T, path string, bad map[int]update_code) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	var got []int
	codes := map[int]string{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var e entry
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		got = append(got, e.Line)
		codes[e.Line] = string(e.Code)
		assert.NotEmpty(t, e.Message)
	}
	var want []int
	for n := range bad {
		want = append(want, n)
	}
	sort.Ints(want)
	assert.Equal(t, want, got, "report lines")
	for n, c := range bad {
		assert.Equal(t, c, codes[n], "code of line %d", n)
	}
}
