package druid_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/update"
)

// bulkHeader is the header of a bulk upload with tok.
func bulkHeader(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/x-ndjson"}, "From": {druid.DemoEntryPoint}}
}

// bulk uploads body with a fresh demo-app token.
func (e *env) bulk(tb testing.TB, body io.Reader) response {
	tb.Helper()
	tok, verifier := e.demoToken(tb)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+druid.PathBulk+"?code_verifier="+url.QueryEscape(verifier), body)
	require.NoError(tb, err)
	req.Header = bulkHeader(tok)
	return e.do(tb, req)
}

// bulkLines decodes a bulk answer.
func bulkLines(tb testing.TB, body []byte) []druid.BulkLine {
	tb.Helper()
	var out []druid.BulkLine
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	for dec.More() {
		var l druid.BulkLine
		require.NoError(tb, dec.Decode(&l), string(body))
		out = append(out, l)
	}
	return out
}

// activity is one partial update of user's datas, as a bulk line.
func activity(user string, datas string) string {
	return `{"actor":{"id":"demo-app","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"` +
		user + `","datas":` + datas + `},"source":{"id":"pc","objectType":"device"}}`
}

func TestBulk(t *testing.T) {
	t.Run("OneAnswerPerLineInOrder", func(t *testing.T) {
		e := newEnv(t)
		jane, john := e.state(t, druid.DemoUserID), e.state(t, "druid-user-2")
		r := e.bulk(t, bytes.NewReader(fixture(t, "bulk_mixed.jsonl")))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.Equal(t, "application/x-ndjson", r.header.Get("Content-Type"))
		assert.Equal(t, string(fixture(t, "bulk_mixed.answer.jsonl")), string(r.body))
		// Lines 1 and 12 changed Jane, line 7 held John's new address;
		// every refused line changed nothing, line 10 not even its valid half.
		v := e.view(t, druid.DemoUserID)
		assert.Equal(t, map[string]any{"name": "Janet"}, v.Doc["datas"])
		assert.Equal(t, jane.Version+2, v.Version)
		assert.Equal(t, jane.Doc["email"], v.Doc["email"])
		assert.Equal(t, jane.Doc["phone_number"], v.Doc["phone_number"])
		j := e.view(t, "druid-user-2")
		assert.Equal(t, john.Doc["email"], j.Doc["email"], "the old address stays until the new one is confirmed")
		assert.Equal(t, john.Version+1, j.Version)
		msgs := e.rec.Messages()
		require.Len(t, msgs, 1)
		assert.Equal(t, "john.new@example.com", msgs[0].To)
	})
	t.Run("LinesOnOneUserApplyInOrder", func(t *testing.T) {
		e := newEnv(t)
		var b strings.Builder
		for i := 1; i <= 50; i++ {
			fmt.Fprintln(&b, activity(druid.DemoUserID, fmt.Sprintf(`{"n":%d}`, i)))
		}
		r := e.bulk(t, strings.NewReader(b.String()))
		lines := bulkLines(t, r.body)
		require.Len(t, lines, 50)
		for i, l := range lines {
			assert.Equal(t, i+1, l.Line)
			assert.Equal(t, 200, l.Result.Status)
		}
		n := e.view(t, druid.DemoUserID).Doc["datas"].(map[string]any)["n"]
		assert.Equal(t, "50", fmt.Sprint(n))
	})
	t.Run("OneLineAtATimeAnswersTheSame", func(t *testing.T) {
		e := newEnvWith(t, func(c *druid.Config) { c.BulkConcurrency = 1 })
		r := e.bulk(t, bytes.NewReader(fixture(t, "bulk_mixed.jsonl")))
		assert.Equal(t, string(fixture(t, "bulk_mixed.answer.jsonl")), string(r.body))
	})
	t.Run("ManyUsersInterleaved", func(t *testing.T) {
		e := newEnv(t)
		ctx := context.Background()
		const users, rounds = 20, 10
		for u := range users {
			_, err := e.eng.Create(ctx, update.CreateRequest{Type: druid.EntityType, ID: fmt.Sprintf("many-%d", u), Client: druid.DemoClientID,
				Doc: map[string]any{"datas": map[string]any{"n": 0}}})
			require.NoError(t, err)
		}
		var b strings.Builder
		for round := 1; round <= rounds; round++ {
			for u := range users {
				fmt.Fprintln(&b, activity(fmt.Sprintf("many-%d", u), fmt.Sprintf(`{"n":%d}`, round)))
			}
		}
		lines := bulkLines(t, e.bulk(t, strings.NewReader(b.String())).body)
		require.Len(t, lines, users*rounds)
		for i, l := range lines {
			assert.Equal(t, i+1, l.Line)
			assert.Equal(t, fmt.Sprintf("many-%d", i%users), l.ID)
			assert.Equal(t, 200, l.Result.Status)
		}
		for u := range users {
			v := e.view(t, fmt.Sprintf("many-%d", u))
			assert.Equal(t, fmt.Sprint(rounds), fmt.Sprint(v.Doc["datas"].(map[string]any)["n"]), "each user's lines applied in order")
			assert.Equal(t, uint64(rounds+1), v.Version)
		}
	})
	t.Run("ALastLineWithoutNewline", func(t *testing.T) {
		e := newEnv(t)
		r := e.bulk(t, strings.NewReader(activity(druid.DemoUserID, `{"n":1}`)+"\r\n"+activity("druid-user-2", `{"n":2}`)))
		lines := bulkLines(t, r.body)
		require.Len(t, lines, 2)
		assert.Equal(t, 200, lines[0].Result.Status, "a CRLF line ending is one line ending")
		assert.Equal(t, 200, lines[1].Result.Status)
	})
	t.Run("TooManyLines", func(t *testing.T) {
		e := newEnvWith(t, func(c *druid.Config) { c.MaxBulkLines = 5 })
		var b strings.Builder
		for i := 1; i <= 8; i++ {
			fmt.Fprintln(&b, activity(druid.DemoUserID, fmt.Sprintf(`{"n":%d}`, i)))
		}
		r := e.bulk(t, strings.NewReader(b.String()))
		lines := bulkLines(t, r.body)
		require.Len(t, lines, 6, "five answers and the refusal of the sixth; the rest is not read")
		assert.Equal(t, druid.BulkLine{Line: 6, Result: druid.BulkResult{Status: 413, Errors: []druid.ErrorMessage{
			{Message: "too many lines: at most 5 per upload; this line and those after it were not applied"}}}}, lines[5])
		n := e.view(t, druid.DemoUserID).Doc["datas"].(map[string]any)["n"]
		assert.Equal(t, "5", fmt.Sprint(n))
	})
	t.Run("A10MBLineIsRefusedAloneWithoutBeingKept", func(t *testing.T) {
		e := newEnv(t)
		big := io.MultiReader(
			strings.NewReader(activity(druid.DemoUserID, `{"n":1}`)+"\n"),
			strings.NewReader(`{"actor":{"id":"demo-app","objectType":"application"},"verb":"update","object":{"objectType":"user","id":"druid-user-1","datas":{"pad":"`),
			io.LimitReader(repeatReader('x'), 10<<20),
			strings.NewReader(`"}},"source":{"id":"pc","objectType":"device"}}`+"\n"),
			strings.NewReader(activity(druid.DemoUserID, `{"n":3}`)+"\n"),
		)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := e.bulk(t, big)
		runtime.ReadMemStats(&after)
		lines := bulkLines(t, r.body)
		require.Len(t, lines, 3)
		assert.Equal(t, 200, lines[0].Result.Status)
		assert.Equal(t, druid.BulkLine{Line: 2, Result: druid.BulkResult{Status: 413, Errors: []druid.ErrorMessage{
			{Message: "the line is longer than 65536 bytes"}}}}, lines[1])
		assert.Equal(t, 200, lines[2].Result.Status)
		assert.Equal(t, "3", fmt.Sprint(e.view(t, druid.DemoUserID).Doc["datas"].(map[string]any)["n"]))
		// Client and server together allocated far less than the line.
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "the 10 MB line was not held")
	})
	t.Run("ALineNestedTooDeeply", func(t *testing.T) {
		e := newEnv(t)
		st := e.state(t, druid.DemoUserID)
		r := e.bulk(t, strings.NewReader(activity(druid.DemoUserID, strings.Repeat(`{"a":`, 20)+`1`+strings.Repeat(`}`, 20))+"\n"))
		assert.Equal(t, []druid.BulkLine{{Line: 1, Result: druid.BulkResult{Status: 413, Errors: []druid.ErrorMessage{{Message: "the body nests too deeply"}}}}}, bulkLines(t, r.body))
		assert.Equal(t, st, e.state(t, druid.DemoUserID))
	})
	t.Run("RefusedBeforeAnyLine", func(t *testing.T) {
		e := newEnv(t)
		st := e.state(t, druid.DemoUserID)
		body := activity(druid.DemoUserID, `{"n":1}`) + "\n"
		tok, verifier := e.demoToken(t)
		for _, tc := range []struct {
			name   string
			query  string
			header http.Header
			status int
			msg    string
		}{
			{"WrongContentType", "?code_verifier=" + verifier, updateHeader(tok, druid.DemoEntryPoint), 400, "Content-Type must be application/x-ndjson (one JSON activity per line)"},
			{"UnknownParameter", "?code_verifier=" + verifier + "&mode=replace", bulkHeader(tok), 400, "query parameter mode is not allowed here"},
			{"AUserToken", "", bulkHeader(druid.DemoUserToken), 401, "invalid token"},
			{"NoToken", "?code_verifier=" + verifier, http.Header{"Content-Type": {"application/x-ndjson"}, "From": {druid.DemoEntryPoint}}, 401, "Authorization: Bearer token required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.send(t, http.MethodPost, druid.PathBulk+tc.query, tc.header, []byte(body))
				assert.Equal(t, tc.status, r.status)
				assert.Equal(t, tc.msg, messages(errorBody(t, r)))
				assert.Equal(t, st, e.state(t, druid.DemoUserID))
			})
		}
	})
}

// repeatReader reads c forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// An upload of 1,000,000 tiny lines whose connection stops sending
// halfway, inside a line: every complete line is applied once and
// answered, in order, the cut line is answered as not applied, and
// nothing after it happens.
func TestBulkCutOffHalfway(t *testing.T) {
	if testing.Short() {
		t.Skip("a million lines")
	}
	e := newEnvWith(t, func(c *druid.Config) { c.MaxBulkLines = 1_000_000 })
	before := e.state(t, druid.DemoUserID)
	const total, every = 1_000_000, 1000
	line := func(i int) string {
		if i%every == 0 {
			return activity(druid.DemoUserID, fmt.Sprintf(`{"n":%d}`, i)) + "\n"
		}
		return "[]\n" // tiny, and refused
	}
	size := 0
	for i := 1; i <= total; i++ {
		size += len(line(i))
	}
	tok, verifier := e.demoToken(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()

	// Plan the cut: about half the body, stopping inside a line. The plan
	// is fixed before sending, so the reader below checks answers against
	// it while the writer sends, sharing nothing the writer changes.
	var sent, complete, applied, lastApplied int
	var cut string
	for i := 1; sent < size/2; i++ {
		l := line(i)
		if sent+len(l) > size/2 {
			cut = l[:len(l)/2]
			sent += len(cut)
			break
		}
		complete = i
		if i%every == 0 {
			applied, lastApplied = applied+1, i
		}
		sent += len(l)
	}

	// Send the head and the planned part of the body, then close the
	// sending half; answers are read while sending.
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST %s?code_verifier=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\nFrom: %s\r\nContent-Length: %d\r\n\r\n",
			druid.PathBulk, verifier, tok, druid.DemoEntryPoint, size)
		for i := 1; i <= complete; i++ {
			w.WriteString(line(i))
		}
		w.WriteString(cut)
		if werr = w.Flush(); werr == nil {
			werr = conn.(*net.TCPConn).CloseWrite()
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	n := 0
	for sc.Scan() {
		n++
		var l druid.BulkLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		require.Equal(t, n, l.Line, "answers come in order, one per line")
		switch {
		case n == complete+1:
			assert.Equal(t, 400, l.Result.Status)
			assert.Equal(t, "the upload ended inside this line; it was not applied", l.Result.Errors[0].Message)
		case n%every == 0:
			require.Equal(t, 200, l.Result.Status, sc.Text())
		default:
			require.Equal(t, 400, l.Result.Status, sc.Text())
		}
	}
	require.NoError(t, sc.Err())
	wg.Wait()
	require.NoError(t, werr)
	assert.Equal(t, complete+1, n, "every complete line and the cut one are answered")
	assert.Greater(t, complete, total/2-every)

	after := e.state(t, druid.DemoUserID)
	assert.Equal(t, before.Version+uint64(applied), after.Version, "each complete update applied exactly once")
	assert.Equal(t, before.History+applied, after.History)
	assert.Equal(t, fmt.Sprint(lastApplied), fmt.Sprint(after.Doc["datas"].(map[string]any)["n"]))
}

// peakHeap runs fn while sampling the live heap, and returns the most it
// saw.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// bulkUpload streams lines of upload i%3: an unchanged update (304), a
// refused line and an unknown user, so the store does not grow and what
// the heap holds is the handler's.
func bulkUpload(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for i := 0; i < n; i++ {
			switch i % 3 {
			case 0:
				w.WriteString(activity(druid.DemoUserID, `{"name":"Jane","surname":"Doe"}`) + "\n")
			case 1:
				w.WriteString(`{"actor":{"id":"demo-app"},"verb":"update"}` + "\n")
			default:
				w.WriteString(activity("druid-user-404", `{"n":1}`) + "\n")
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// A 100,000-line upload peaks at the heap a 10,000-line one does: the
// handler's memory does not grow with the upload.
func TestBulkConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a 100,000-line upload")
	}
	e := newEnvWith(t, func(c *druid.Config) { c.MaxBulkLines = 100_000 })
	run := func(n int) uint64 {
		var got int
		peak := peakHeap(func() {
			tok, verifier := e.demoToken(t)
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+druid.PathBulk+"?code_verifier="+verifier, bulkUpload(n))
			require.NoError(t, err)
			req.Header = bulkHeader(tok)
			resp, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			// Count the answers without keeping them: the test's own
			// memory must not grow with the upload either.
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				got++
			}
			require.NoError(t, sc.Err())
		})
		require.Equal(t, n, got)
		return peak
	}
	small, large := run(10_000), run(100_000)
	t.Logf("peak heap: 10,000 lines %.1f MiB, 100,000 lines %.1f MiB", float64(small)/(1<<20), float64(large)/(1<<20))
	assert.Less(t, large, small+small/2+(2<<20), "ten times the lines, about the same heap")
}

// The answer of bulk_mixed.jsonl is kept in testdata; regenerate it with
// UPDATE_BULK_FIXTURE=1 after checking the change by hand.
func TestBulkFixtureIsCurrent(t *testing.T) {
	if os.Getenv("UPDATE_BULK_FIXTURE") == "" {
		t.Skip("set UPDATE_BULK_FIXTURE=1 to rewrite testdata/bulk_mixed.answer.jsonl")
	}
	e := newEnv(t)
	r := e.bulk(t, bytes.NewReader(fixture(t, "bulk_mixed.jsonl")))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "bulk_mixed.answer.jsonl"), r.body, 0o644))
}

// The bulk upload answers the same on every backend.
func TestBulkOnBackends(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newBackendEnv(t, b.Open(t))
			r := e.bulk(t, bytes.NewReader(fixture(t, "bulk_mixed.jsonl")))
			assert.Equal(t, string(fixture(t, "bulk_mixed.answer.jsonl")), string(r.body))
			assert.Equal(t, map[string]any{"name": "Janet"}, e.view(t, druid.DemoUserID).Doc["datas"])
		})
	}
}
