package adaptertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/pgtest"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// PostgresEnv names the PostgreSQL server the tests use when it is set.
const PostgresEnv = pgtest.Env

// Backend is a store the adapter tests run on.
type Backend struct {
	Name string
	Open func(tb testing.TB) storage.Store
}

// Backends are memory and SQLite always, and PostgreSQL when PostgresEnv
// names a server; each store is fresh and closed when the test ends.
func Backends() []Backend {
	bs := []Backend{
		{"memory", func(testing.TB) storage.Store { return memory.New() }},
		{"sqlite", func(tb testing.TB) storage.Store {
			tb.Helper()
			s, err := sqlite.Open(filepath.Join(tb.TempDir(), "adapter.db"))
			require.NoError(tb, err)
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	if dsn := os.Getenv(PostgresEnv); dsn != "" {
		bs = append(bs, Backend{"postgres", func(tb testing.TB) storage.Store { return openPostgres(tb, dsn) }})
	}
	return bs
}

// openPostgres opens a store in a schema of its own, dropped when tb ends.
func openPostgres(tb testing.TB, dsn string) storage.Store {
	tb.Helper()
	s, _ := pgtest.Open(tb, dsn, "adapter_test_")
	return s
}
