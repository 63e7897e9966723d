package update_test

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

// opener makes a fresh, empty store for one test.
type opener func(testing.TB) storage.Store

type backend struct {
	name string
	open opener
}

// backends are the stores the engine's storage-touching tests run on:
// memory and SQLite always, PostgreSQL when IDUPDATE_POSTGRES_DSN names a
// server (CI sets it).
func backends() []backend {
	bs := []backend{
		{"memory", func(testing.TB) storage.Store { return memory.New() }},
		{"sqlite", func(tb testing.TB) storage.Store {
			tb.Helper()
			s, err := sqlite.Open(filepath.Join(tb.TempDir(), "idupdate.db"))
			require.NoError(tb, err)
			return s
		}},
	}
	if dsn := os.Getenv(pgtest.Env); dsn != "" {
		bs = append(bs, backend{"postgres", func(tb testing.TB) storage.Store {
			tb.Helper()
			return openPostgres(tb, dsn)
		}})
	}
	return bs
}

// each runs fn once per backend, as subtests named after the backend.
func each(t *testing.T, fn func(t *testing.T, open opener)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open) })
	}
}

// openPostgres opens a store in a schema of its own, dropped when tb ends.
func openPostgres(tb testing.TB, dsn string) storage.Store {
	tb.Helper()
	s, _ := pgtest.Open(tb, dsn, "update_test_")
	return s
}
