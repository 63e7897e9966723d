package main

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/idupdate/idupdate/internal/pgtest"
	"github.com/stretchr/testify/require"
)

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
	return pgtest.SchemaDSN(t, pgtest.DSN(t), "shimserver_")
}
