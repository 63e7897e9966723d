package update_test

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
	if dsn := os.Getenv("IDUPDATE_POSTGRES_DSN"); dsn != "" {
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
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "update_test_" + hex.EncodeToString(b[:])
	s, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(schema))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_ = s.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}
