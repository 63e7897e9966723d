package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// The child process is this test binary run again with these variables.
const (
	childEnv     = "IDUPDATE_SQLITE_CHILD"
	childPathEnv = "IDUPDATE_SQLITE_CHILD_PATH"
	ackedPrefix  = "acked "
	killAfter    = 200
	childWriters = 8
)

// TestDurability kills a process that is busy committing updates, with
// SIGKILL so nothing gets to flush or close, and checks that every update
// the process saw acknowledged is in the file and the file is intact.
// The invariant: the counter in the document is always Version-1, because
// every update adds one to both.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "records.db")
	s, err := sqlite.Open(path)
	require.NoError(t, err)
	rec := &storage.Record{Type: "user", ID: "u1", State: storage.Active, Doc: map[string]any{"counter": json.Number("0")}}
	require.NoError(t, s.Create(ctx, rec, storage.Event{Time: at(0), Kind: "create"}))
	require.NoError(t, s.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", childPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	var acks int
	var lastAcked, batches, writes uint64
	lines := bufio.NewScanner(stdout)
	for acks < killAfter && lines.Scan() {
		line, ok := strings.CutPrefix(lines.Text(), ackedPrefix)
		if !ok {
			continue
		}
		var n uint64
		_, err := fmt.Sscanf(line, "%d %d %d", &n, &batches, &writes)
		require.NoError(t, err, "child line %q", lines.Text())
		acks++
		lastAcked = max(lastAcked, n)
	}
	require.Equal(t, killAfter, acks, "child stopped early: %v", lines.Err())
	// The child's writers shared transactions, so the kill hit group commit.
	t.Logf("child committed %d writes in %d transactions", writes, batches)
	require.Greater(t, writes, batches, "no transaction carried two writes")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	killed = true
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "child must die by the signal")
	assert.Equal(t, syscall.SIGKILL, exitErr.Sys().(syscall.WaitStatus).Signal())

	s = openStore(t, path)
	got, err := s.Get(ctx, "user", "u1")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, got.Version, lastAcked, "an acknowledged update was lost")
	assert.Equal(t, json.Number(strconv.FormatUint(got.Version-1, 10)), got.Doc["counter"], "counter is Version-1")
	hist, err := s.History(ctx, "user", "u1")
	require.NoError(t, err)
	require.Len(t, hist, int(got.Version), "one event per version")
	for i, ev := range hist {
		assert.Equal(t, uint64(i+1), ev.Version)
	}
	assert.Equal(t, "ok", integrityCheck(t, path))
}

// TestDurabilityChild is the child half of TestDurability: it applies
// increments from a few goroutines until it is killed, printing each
// acknowledged version and the group-commit counts.
func TestDurabilityChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs only as the child process of TestDurability")
	}
	s, err := sqlite.Open(os.Getenv(childPathEnv))
	require.NoError(t, err)
	increment := func(rec *storage.Record) (*storage.Event, error) {
		n, err := rec.Doc["counter"].(json.Number).Int64()
		if err != nil {
			return nil, err
		}
		doc := map[string]any{"counter": json.Number(strconv.FormatInt(n+1, 10))}
		rec.Doc = doc
		return &storage.Event{Time: time.Now(), Kind: "update"}, nil
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for range childWriters {
		wg.Go(func() {
			for {
				rec, err := s.Update(context.Background(), "user", "u1", increment)
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
				out.Lock()
				// os.Stdout is unbuffered: the line is out before the next update.
				batches, writes := sqlite.BatchCounts(s)
				fmt.Fprintf(os.Stdout, "%s%d %d %d\n", ackedPrefix, rec.Version, batches, writes)
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

func integrityCheck(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(tb, err)
	defer db.Close()
	var result string
	require.NoError(tb, db.QueryRow(`PRAGMA integrity_check`).Scan(&result))
	return result
}
