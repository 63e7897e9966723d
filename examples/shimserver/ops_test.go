package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecondStartSaysTheDemoDataChanged is the fresh-clone run done twice:
// a first start loads the demo, a README step changes it, and the second
// start says so, how much and how to start fresh; -reset then brings back
// the answers the README shows.
func TestSecondStartSaysTheDemoDataChanged(t *testing.T) {
	for name, store := range durableStores(t) {
		t.Run(name, func(t *testing.T) {
			st := store(t)
			first := startShimEnv(t, st.env, "-store", st.spec)
			assert.Contains(t, first.stdout.String(), "new: demo records loaded")
			druidHeldUpdate(t, first)
			first.stop(t)

			second := startShimEnv(t, st.env, "-store", st.spec)
			out := second.stdout.String()
			assert.Contains(t, out, fmt.Sprintf("EXISTING STORE: 1 of %d demo records changed since they were loaded", len(demoRecords)))
			assert.Regexp(t, `last change \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(druid\.user druid-user-1\)`, out)
			assert.Contains(t, out, "Start fresh: add -reset")
			if path, ok := strings.CutPrefix(st.spec, "sqlite:"); ok {
				assert.Contains(t, out, "rm "+path+" "+path+"-wal "+path+"-shm")
			}
			t.Run("TheREADMEStepAnswersDifferently", func(t *testing.T) {
				r := druidUpdate(t, second, fixture(t, "seed/druid-update.json"))
				assert.Equal(t, 304, r.status, "the email is already pending, so nothing changes: %s", r.body)
				assert.NotContains(t, string(r.body), `"pending"`)
			})
			second.stop(t)

			third := startShimEnv(t, st.env, "-store", st.spec, "-reset")
			assert.Contains(t, third.stdout.String(), fmt.Sprintf("demo records reset (-reset): %d deleted and loaded fresh", len(demoRecords)))
			t.Run("ResetBringsBackTheREADMEAnswer", func(t *testing.T) { druidHeldUpdate(t, third) })
		})
	}
}

// TestLostCodeKey moves the SQLite key file away between two starts: the
// server refuses to start and creates nothing, or, with
// -code-key-mismatch=warn, starts and says how many codes were lost.
func TestLostCodeKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "idupdate.db")
	first := startShim(t, "-store", "sqlite:"+db)
	rubiqSeedUpdate(t, first)
	code := first.codeFor(t, "mailbox@mailserver.com")
	first.stop(t)
	require.NoError(t, os.Rename(db+".key", filepath.Join(dir, "moved.key")))

	t.Run("RefusedByDefault", func(t *testing.T) {
		var stderr syncBuffer
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-store", "sqlite:" + db}, noEnv, io.Discard, &stderr,
			func(string) { t.Error("the server started") })
		require.ErrorIs(t, err, storeopen.ErrCodeKeyMismatch)
		assert.Regexp(t, `the code key from .*idupdate\.db\.key \(fingerprint hmac-sha256:[0-9a-f]{12}\) is not the key this store's codes were hashed with \(fingerprint hmac-sha256:[0-9a-f]{12}\); 1 pending code could not be confirmed`, err.Error())
		assert.Contains(t, err.Error(), "-code-key-mismatch=warn")
		assert.NoFileExists(t, db+".key", "refusing leaves no new key where the lost one belongs")
	})
	t.Run("RestoredKeyStarts", func(t *testing.T) {
		s := startShimEnv(t, nil, "-store", "sqlite:"+db, "-code-key-file", filepath.Join(dir, "moved.key"))
		assert.Contains(t, s.stdout.String(), "recorded in the store")
		s.stop(t)
	})
	t.Run("WarnAdoptsTheNewKeyLoudly", func(t *testing.T) {
		s := startShim(t, "-store", "sqlite:"+db, "-code-key-mismatch=warn")
		assert.Contains(t, s.stdout.String(), "CODE KEY CHANGED")
		assert.Contains(t, s.stdout.String(), "1 pending code can no longer be")
		warned := false
		for _, l := range s.logLines(t) {
			if strings.HasPrefix(l["msg"].(string), "the code key changed") {
				warned = true
				assert.EqualValues(t, 1, l["pending_codes"])
			}
		}
		assert.True(t, warned, "the log says so too")
		r := rubiqVerify(t, s, code)
		assert.Equal(t, 403, r.status, "the old code cannot be confirmed: %s", r.body)
		s.stop(t)
	})
	t.Run("TheAdoptedKeyStartsQuietly", func(t *testing.T) {
		s := startShim(t, "-store", "sqlite:"+db)
		assert.NotContains(t, s.stdout.String(), "CODE KEY CHANGED")
		s.stop(t)
	})
}

// TestForeignStoreFile points -store at files that are not idupdate
// stores: the server says what the file is and what to do, and creates
// nothing (no key file, no tables).
func TestForeignStoreFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"TextFile", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("name,email\nada,ada@example.com\n"), 0o644))
		}},
		{"OtherSQLiteDatabase", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, title TEXT)`)
			require.NoError(t, err)
			require.NoError(t, db.Close())
		}},
	}
	var got strings.Builder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "junk.db")
			tc.setup(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-store", "sqlite:" + path}, noEnv, io.Discard, io.Discard,
				func(string) { t.Error("the server started") })
			require.ErrorIs(t, err, storeopen.ErrForeign)
			entries, rerr := os.ReadDir(dir)
			require.NoError(t, rerr)
			assert.Len(t, entries, 1, "nothing created beside the file")
			after, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, before, after, "the file is unchanged")
			got.WriteString(strings.ReplaceAll(err.Error(), dir, "DIR") + "\n")
		})
	}
	golden(t, filepath.Join("testdata", "foreign.golden"), got.String())
}

// TestReadyzAndDrain checks readiness while serving and that, on
// shutdown, /readyz turns 503 while requests are still served.
func TestReadyzAndDrain(t *testing.T) {
	s := startShim(t, "-store", "sqlite:"+filepath.Join(t.TempDir(), "r.db"), "-drain-delay", "3s")
	r := s.do(t, "GET", "/readyz", nil)
	assert.Equal(t, 200, r.status)
	assert.JSONEq(t, `{"status":"ready"}`, string(r.body))

	s.stopped = true
	s.cancel()
	deadline := time.Now().Add(2 * time.Second)
	for {
		r = s.do(t, "GET", "/readyz", nil)
		if r.status != 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.Equal(t, 503, r.status)
	assert.JSONEq(t, `{"status":"unavailable","reason":"shutting down"}`, string(r.body))
	assert.Equal(t, 200, s.do(t, "GET", "/healthz", nil).status, "still serving while draining")
	select {
	case err := <-s.done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop after the drain delay")
	}
	assert.Regexp(t, regexp.MustCompile(`"msg":"draining"`), s.stderr.String())
}

// TestForeignPostgresSchema points -store at a PostgreSQL schema that
// holds another program's tables: the server names them, says what to do,
// and creates nothing.
func TestForeignPostgresSchema(t *testing.T) {
	dsn := freshSchemaDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE records (id int PRIMARY KEY, title text); CREATE TABLE notes (body text)`)
	require.NoError(t, err)
	tables := func() []string {
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)
		require.NoError(t, err)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return names
	}
	before := tables()

	err = run(ctx, []string{"-addr", "127.0.0.1:0", "-store", "postgres:" + dsn}, noEnv, io.Discard, io.Discard,
		func(string) { t.Error("the server started") })
	require.ErrorIs(t, err, storeopen.ErrForeign)
	assert.Equal(t, before, tables(), "nothing created")
	msg := regexp.MustCompile(`schema "shimserver_[0-9a-f]+" of database "[^"]+"`).ReplaceAllString(err.Error(), `schema "SCHEMA" of database "DATABASE"`)
	golden(t, filepath.Join("testdata", "foreign_postgres.golden"), msg+"\n")
}
