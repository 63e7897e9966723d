package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/verify"
)

// childEnv makes the test binary run the server instead of the tests, so
// a test can SIGKILL a real server process.
const childEnv = "IDUPDATE_SHIMSERVER_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childEnv); ok {
		os.Args = append([]string{"shimserver"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// eventsReceiver checks signatures, refuses every fifth delivery with a
// 500 and counts each change it accepts: a create by record id
// ("create/17"), an update by the givenName it set ("update/g42").
type eventsReceiver struct {
	key      []byte
	mu       sync.Mutex
	requests int
	bad      int
	seen     map[string]int
}

func (r *eventsReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if !verify.VerifySignature(r.key, body, req.Header.Get(verify.SignatureHeader)) || req.Header.Get(DeliveryHeader) == "" {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	// A slow receiver, so that kills land while deliveries are under way.
	time.Sleep(10 * time.Millisecond)
	if r.requests%5 == 0 {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	var b eventsBody
	if err := json.Unmarshal(body, &b); err != nil {
		r.bad++
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	for _, e := range b.Events {
		switch e.Kind {
		case "create":
			r.seen["create/"+e.ID]++
		case "update":
			for _, c := range e.Changes {
				if g, ok := c.New.(string); ok && c.Path == "/givenName" {
					r.seen["update/"+g]++
				}
			}
		}
	}
}

func (r *eventsReceiver) count(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[k]
}

// janrainLoad writes through the server's Janrain API while the server
// comes and goes: entity.create of new users and entity.update of their
// givenName, each with a value of its own. It records every change it
// sent (attempted) and those the server answered with stat ok (acked).
type janrainLoad struct {
	base    atomic.Pointer[string] // the running server, or nil
	client  *http.Client
	mu      sync.Mutex
	ids     []string
	attempt map[string]bool
	acked   []string
}

func (l *janrainLoad) call(method string, form url.Values) (map[string]any, bool) {
	base := l.base.Load()
	if base == nil {
		return nil, false
	}
	req, err := http.NewRequest(http.MethodPost, *base+"/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("ut4bgrra7w282jcfmypfqx9pzhqhjj2b", "unjze9nwkfuy6jpw838qpa7ad3hdnya6")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	var body map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if resp.StatusCode != http.StatusOK || dec.Decode(&body) != nil || body["stat"] != "ok" {
		return nil, false
	}
	return body, true
}

// run is one writer of several: writer w of n makes changes w, w+n, w+2n…
func (l *janrainLoad) run(ctx context.Context, w, n int) {
	for i := w; ctx.Err() == nil; i += n {
		if l.base.Load() == nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		l.mu.Lock()
		created := len(l.ids)
		l.mu.Unlock()
		if i%2 == 0 || created == 0 {
			l.mu.Lock()
			l.attempt[fmt.Sprintf("email/load%05d", i)] = true
			l.mu.Unlock()
			body, ok := l.call("entity.create", url.Values{"type_name": {"user"},
				"attributes": {fmt.Sprintf(`{"email":"load%05d@example.com","givenName":"c%d"}`, i, i)}})
			if ok {
				id := fmt.Sprint(body["id"])
				l.mu.Lock()
				l.ids = append(l.ids, id)
				l.acked = append(l.acked, "create/"+id)
				l.attempt["create/"+id] = true
				l.mu.Unlock()
			}
			continue
		}
		l.mu.Lock()
		id := l.ids[i%created]
		g := fmt.Sprintf("g%d", i)
		l.attempt["update/"+g] = true
		l.mu.Unlock()
		if _, ok := l.call("entity.update", url.Values{"type_name": {"user"}, "id": {id},
			"attribute_name": {"givenName"}, "value": {`"` + g + `"`}}); ok {
			l.mu.Lock()
			l.acked = append(l.acked, "update/"+g)
			l.mu.Unlock()
		}
	}
}

func (l *janrainLoad) snapshot() (acked []string, attempted map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...), maps.Clone(l.attempt)
}

// TestEventsWebhookSurvivesSIGKILL kills the server with SIGKILL three
// times while it delivers the changes four clients keep making through its
// Janrain API (creates and updates over HTTP), then lets a last run catch
// up: every change the server acknowledged reaches the receiver at least
// once. Duplicates are allowed (delivery is at least once) and reported.
func TestEventsWebhookSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	recv := &eventsReceiver{key: key, seen: map[string]int{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()

	path := filepath.Join(t.TempDir(), "events.db")
	load := &janrainLoad{client: &http.Client{Timeout: 5 * time.Second}, attempt: map[string]bool{}}
	ctx, stopWriting := context.WithCancel(context.Background())
	const writers = 4
	var writing sync.WaitGroup
	for w := range writers {
		writing.Add(1)
		go func() {
			defer writing.Done()
			load.run(ctx, w, writers)
		}()
	}

	listening := regexp.MustCompile(`listening\s+(http://\S+)`)
	start := func() (*exec.Cmd, *syncBuffer) {
		args := []string{"-addr", "127.0.0.1:0", "-log", "json", "-demo=false", "-store", "sqlite:" + path,
			"-events-webhook", hook.URL}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"), "IDUPDATE_WEBHOOK_KEY="+hex.EncodeToString(key))
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if m := listening.FindStringSubmatch(out.String()); m != nil {
				load.base.Store(&m[1])
				return cmd, out
			}
		}
		_ = cmd.Process.Kill()
		t.Fatalf("the server did not start:\n%s", out)
		return nil, nil
	}
	kill := func(cmd *exec.Cmd) {
		load.base.Store(nil)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
	}
	for round := range 3 {
		before, _ := recv.stats()
		cmd, _ := start()
		// Kill only once the server is delivering, at a moment that moves
		// from round to round.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n, _ := recv.stats(); n >= before+3+2*round {
				break
			}
		}
		kill(cmd)
		requests, entries := recv.stats()
		acked, _ := load.snapshot()
		t.Logf("round %d: killed after %d deliveries; %d changes acknowledged, %d received so far",
			round, requests-before, len(acked), entries)
	}
	stopWriting()
	writing.Wait()
	acked, attempted := load.snapshot()
	require.NotEmpty(t, acked)

	cmd, out := start()
	deadline := time.Now().Add(90 * time.Second)
	missing := len(acked)
	for time.Now().Before(deadline) {
		missing = 0
		for _, k := range acked {
			if recv.count(k) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_ = cmd.Wait()
	require.Zero(t, missing, "acknowledged changes never delivered; server output:\n%s", out)

	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Zero(t, recv.bad, "deliveries with a bad signature or body")
	dups, unacked := 0, 0
	for k, n := range recv.seen {
		dups += n - 1
		if !slices.Contains(acked, k) {
			unacked++
			// A change whose answer the kill cut off may have committed;
			// anything else delivered must have been sent.
			if !strings.HasPrefix(k, "create/") {
				assert.True(t, attempted[k], "delivered %s, which no request sent", k)
			}
		}
	}
	t.Logf("%d changes acknowledged over HTTP, %d delivered (%d committed but unanswered at a kill), %d duplicate deliveries, %d requests (every fifth refused)",
		len(acked), len(recv.seen), unacked, dups, recv.requests)
}

func (r *eventsReceiver) stats() (requests, entries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.seen {
		entries += n
	}
	return r.requests, entries
}

// TestFeedRetention runs the server with -feed-retention over a store
// whose feed holds entries an hour old, one consumer having saved a
// position among them: the server trims the old entries that consumer
// has, and keeps the rest and the newest.
func TestFeedRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trim.db")
	store, err := sqlite.Open(path)
	require.NoError(t, err)
	defer store.Close()
	ctx := context.Background()
	old := time.Now().Add(-time.Hour)
	for i := range 6 {
		rec := &storage.Record{Type: "user", ID: fmt.Sprintf("t%d", i), State: storage.Active, Doc: map[string]any{"n": i}}
		require.NoError(t, store.Create(ctx, rec, storage.Event{Time: old, Kind: "create"}))
	}
	all, _, err := store.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 6)
	require.NoError(t, store.SetBookmark(ctx, "slow-consumer", all[2].Position))

	s := startShim(t, "-store", "sqlite:"+path, "-demo=false", "-feed-retention", "1h")
	var kept []storage.FeedEntry
	require.Eventually(t, func() bool {
		kept, _, err = store.Changes(ctx, 0, 0)
		return err == nil && len(kept) == 3
	}, 20*time.Second, 10*time.Millisecond, "entries 1 to 3 trimmed")
	assert.Equal(t, all[3:], kept)
	// The trim commits before the server logs it: wait for the line
	// rather than stopping the server between the two.
	assert.Eventually(t, func() bool {
		for _, l := range s.logLines(t) {
			if l["msg"] == "trimmed the change feed" && l["deleted"] == float64(3) {
				return true
			}
		}
		return false
	}, 20*time.Second, 10*time.Millisecond, "the server says what it trimmed:\n%s", s.stderr)
	s.stop(t)
}
