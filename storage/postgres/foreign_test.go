package postgres_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/postgres"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

// TestOpenRefusesForeignSchema opens schemas that hold another program's
// tables and checks that Open says which tables it found, in the golden
// file's words, and creates nothing.
func TestOpenRefusesForeignSchema(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		setup string
	}{
		{"OtherProgramsTables", `CREATE TABLE records (id int PRIMARY KEY, title text); CREATE TABLE notes (body text)`},
		{"AnotherMigrationTool", `CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
			INSERT INTO schema_migrations VALUES (1, false); CREATE TABLE users (id int)`},
		{"ManyTables", `CREATE TABLE a (x int); CREATE TABLE b (x int); CREATE TABLE c (x int); CREATE TABLE d (x int);
			CREATE TABLE e (x int); CREATE TABLE f (x int); CREATE VIEW g AS SELECT 1 AS x`},
	}
	var got strings.Builder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := freshSchema(t, dsn)
			conn := connect(t, schema)
			_, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
			require.NoError(t, err)
			_, err = conn.Exec(ctx, tc.setup)
			require.NoError(t, err)
			before := tablesOf(t, conn, schema)

			s, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
			if s != nil {
				_ = s.Close()
			}
			require.ErrorIs(t, err, postgres.ErrForeignSchema)
			assert.Equal(t, before, tablesOf(t, conn, schema), "Open created nothing")
			var database string
			require.NoError(t, conn.QueryRow(ctx, `SELECT current_database()`).Scan(&database))
			msg := strings.ReplaceAll(err.Error(), schema, "SCHEMA")
			msg = strings.ReplaceAll(msg, pgx.Identifier{database}.Sanitize(), `"DATABASE"`)
			got.WriteString(tc.name + ": " + msg + "\n")
		})
	}
	golden(t, filepath.Join("testdata", "foreign.golden"), got.String())

	t.Run("EmptySchemaIsNew", func(t *testing.T) {
		schema := freshSchema(t, dsn)
		conn := connect(t, schema)
		_, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
		require.NoError(t, err)
		s, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		s, err = postgres.Open(ctx, dsn, postgres.WithSchema(schema))
		require.NoError(t, err, "its own schema opens again")
		require.NoError(t, s.Close())
	})
}

func tablesOf(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY c.relname`, schema)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

func golden(tb testing.TB, path, got string) {
	tb.Helper()
	if *updateGolden {
		require.NoError(tb, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(tb, err)
	assert.Equal(tb, string(want), got, "go test -update rewrites %s", path)
}
