package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// postgresEnv names the server the PostgreSQL variants run against; they
// skip when it is not set.
const postgresEnv = "IDUPDATE_POSTGRES_DSN"

// testStore is a store the end-to-end tests run on: its -store value and
// the environment the server needs for it.
type testStore struct {
	spec string
	env  map[string]string
}

// durableStores returns a fresh SQLite file and, when a PostgreSQL server
// is named, a fresh schema on it, each with a code key that outlives one
// server process.
func durableStores(t *testing.T) map[string]func(t *testing.T) testStore {
	return map[string]func(t *testing.T) testStore{
		"SQLite": func(t *testing.T) testStore {
			return testStore{spec: "sqlite:" + filepath.Join(t.TempDir(), "shim.db"), env: map[string]string{}}
		},
		"PostgreSQL": func(t *testing.T) testStore {
			key := make([]byte, 32)
			_, err := rand.Read(key)
			require.NoError(t, err)
			return testStore{spec: "postgres:" + freshSchemaDSN(t), env: map[string]string{"IDUPDATE_CODE_KEY": hex.EncodeToString(key)}}
		},
	}
}

// freshSchemaDSN creates a schema no other test uses, dropped at the end
// of the test, and returns the server's DSN with search_path set to it, so
// the store keeps its tables there. It skips t without a server.
func freshSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("%s is not set; set it to a PostgreSQL DSN to run the PostgreSQL variant", postgresEnv)
	}
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	schema := "shimserver_" + hex.EncodeToString(b)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
