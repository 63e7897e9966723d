package adaptertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// PostgresEnv names the PostgreSQL server the tests use when it is set.
const PostgresEnv = "IDUPDATE_POSTGRES_DSN"

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
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "adapter_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_ = s.Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}
