package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
)

// childEnv, when set, makes TestAcknowledgedUpdatesSurviveAKilledClient
// play the child: it names the schema to write to.
const childEnv = "IDUPDATE_POSTGRES_DURABILITY_CHILD"

const (
	durabilityWorkers = 4
	// killAfter acknowledgements the parent kills the child, which by then
	// has transactions in flight on every worker.
	killAfter = 200
)

// TestAcknowledgedUpdatesSurviveAKilledClient runs a child process that
// increments counters and prints each version Update acknowledged, kills it
// with SIGKILL mid-stream, and checks that every acknowledged update is
// stored and that the update in flight at the kill landed whole or not at
// all.
func TestAcknowledgedUpdatesSurviveAKilledClient(t *testing.T) {
	if schema := os.Getenv(childEnv); schema != "" {
		runDurabilityChild(t, schema)
		return
	}
	ctx := context.Background()
	s, schema := openStore(t)
	for w := range durabilityWorkers {
		rec := newUser(workerID(w))
		rec.Doc = map[string]any{"n": json.Number("0")}
		require.NoError(t, s.Create(ctx, rec, createEvent()))
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedUpdatesSurviveAKilledClient$", "-test.count=1")
	// The child's connections carry a name of their own, so the parent can
	// wait for the server to finish with them (see below).
	appName := "idupdate-durability-" + schema
	cmd.Env = append(os.Environ(), childEnv+"="+schema, "PGAPPNAME="+appName)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	kill := func() { once.Do(func() { _ = cmd.Process.Signal(syscall.SIGKILL) }) }
	t.Cleanup(kill)

	acked := map[string]uint64{}
	acks := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		id, version, ok := parseAck(lines.Text())
		if !ok {
			continue
		}
		acked[id] = max(acked[id], version)
		if acks++; acks == killAfter {
			kill()
		}
	}
	waitErr := cmd.Wait()
	require.GreaterOrEqual(t, acks, killAfter, "the child stopped early (%v)", waitErr)
	var exitErr *exec.ExitError
	require.ErrorAs(t, waitErr, &exitErr)
	require.Equal(t, syscall.SIGKILL, exitErr.Sys().(syscall.WaitStatus).Signal(), "the child must die by SIGKILL, not finish")

	// A killed client's last COMMIT may still be running on the server;
	// until its backends are gone, a later read could see one more version
	// than an earlier one.
	waitForBackendsGone(t, connect(t, schema), appName)

	for w := range durabilityWorkers {
		id := workerID(w)
		got, err := s.Get(ctx, "user", id)
		require.NoError(t, err)
		t.Logf("%s: acknowledged up to version %d, stored %d", id, acked[id], got.Version)
		assert.GreaterOrEqual(t, got.Version, acked[id], "%s: acknowledged version %d lost", id, acked[id])
		// The counter and the version move together: a torn update would
		// show one without the other.
		assert.Equal(t, json.Number(strconv.FormatUint(got.Version-1, 10)), got.Doc["n"], "%s", id)
		hist, err := s.History(ctx, "user", id)
		require.NoError(t, err)
		require.Len(t, hist, int(got.Version), "%s: one event per version", id)
		for i, ev := range hist {
			assert.Equal(t, uint64(i+1), ev.Version, "%s", id)
		}
	}
}

func runDurabilityChild(t *testing.T, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(schema))
	require.NoError(t, err)
	var mu sync.Mutex // keeps ack lines whole
	var wg sync.WaitGroup
	for w := range durabilityWorkers {
		id := workerID(w)
		wg.Go(func() {
			// Runs until killed; the timeout only stops an orphan.
			for ctx.Err() == nil {
				rec, err := s.Update(ctx, "user", id, increment)
				if err != nil {
					t.Errorf("%s: %v", id, err)
					return
				}
				mu.Lock()
				fmt.Printf("ack %s %d\n", id, rec.Version)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func increment(rec *storage.Record) (*storage.Event, error) {
	old, ok := rec.Doc["n"].(json.Number)
	if !ok {
		return nil, fmt.Errorf("n is %T, want json.Number", rec.Doc["n"])
	}
	n, err := old.Int64()
	if err != nil {
		return nil, err
	}
	next := json.Number(strconv.FormatInt(n+1, 10))
	rec.Doc = map[string]any{"n": next}
	return &storage.Event{Time: time.Now(), Kind: "update",
		Changes: []storage.Change{{Path: "/n", Op: "replace", Old: old, New: next}}}, nil
}

func waitForBackendsGone(tb testing.TB, conn *pgx.Conn, appName string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		require.NoError(tb, conn.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&n))
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("the server still has connections of %s", appName)
}

func parseAck(line string) (id string, version uint64, ok bool) {
	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "ack" {
		return "", 0, false
	}
	v, err := strconv.ParseUint(fields[2], 10, 64)
	return fields[1], v, err == nil
}

func workerID(w int) string { return "w" + strconv.Itoa(w) }
