package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
// 500 and counts each entry it accepts.
type eventsReceiver struct {
	key      []byte
	mu       sync.Mutex
	requests int
	bad      int
	seen     map[string]int // "id/version/kind"
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
		r.seen[fmt.Sprintf("%s/%d/%s", e.ID, e.Version, e.Kind)]++
	}
}

func (r *eventsReceiver) count(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[k]
}

// TestEventsWebhookSurvivesSIGKILL kills the server with SIGKILL three
// times while it delivers changes that another process keeps writing to
// the same SQLite store, then lets a last run catch up: every change the
// writer saw committed reaches the receiver at least once. Duplicates are
// allowed (delivery is at least once) and reported.
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
	store, err := sqlite.Open(path) // migrates the file before the server opens it
	require.NoError(t, err)
	defer store.Close()

	var mu sync.Mutex
	var acked []string
	ctx, stopWriting := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ctx.Err() == nil; i++ {
			id := fmt.Sprintf("e%05d", i)
			rec := &storage.Record{Type: "user", ID: id, State: storage.Active, Doc: map[string]any{"n": i}}
			if store.Create(context.Background(), rec, storage.Event{Time: time.Now(), Kind: "create", Client: "load"}) == nil {
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	start := func() (*exec.Cmd, *bytes.Buffer) {
		args := []string{"-addr", "127.0.0.1:0", "-log", "json", "-demo=false", "-store", "sqlite:" + path,
			"-events-webhook", hook.URL}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"), "IDUPDATE_WEBHOOK_KEY="+hex.EncodeToString(key))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		return cmd, &out
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
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		requests, entries := recv.stats()
		t.Logf("round %d: killed after %d deliveries; %d changes written, %d entries received so far",
			round, requests-before, len(snapshot(&mu, &acked)), entries)
	}
	stopWriting()
	<-writerDone
	written := snapshot(&mu, &acked)
	require.NotEmpty(t, written)

	cmd, out := start()
	deadline := time.Now().Add(90 * time.Second)
	missing := len(written)
	for time.Now().Before(deadline) {
		missing = 0
		for _, id := range written {
			if recv.count(id+"/1/create") == 0 {
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
	require.Zero(t, missing, "changes never delivered; server output:\n%s", out)

	recv.mu.Lock()
	defer recv.mu.Unlock()
	assert.Zero(t, recv.bad, "deliveries with a bad signature or body")
	dups := 0
	for k, n := range recv.seen {
		dups += n - 1
		id, _, _ := strings.Cut(k, "/")
		assert.Contains(t, written, id, "delivered %s, which was never acknowledged", k)
	}
	t.Logf("%d changes acknowledged, %d delivered, %d duplicate deliveries, %d requests (every fifth refused)",
		len(written), len(recv.seen), dups, recv.requests)
}

func snapshot(mu *sync.Mutex, xs *[]string) []string {
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), *xs...)
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
	s.stop(t)
	trimmed := false
	for _, l := range s.logLines(t) {
		if l["msg"] == "trimmed the change feed" && l["deleted"] == float64(3) {
			trimmed = true
		}
	}
	assert.True(t, trimmed, "the server says what it trimmed:\n%s", s.stderr)
}
