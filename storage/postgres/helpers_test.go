package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/pgtest"
	"github.com/idupdate/idupdate/storage/postgres"
)

// testDSN returns the server's DSN, or skips tb.
func testDSN(tb testing.TB) string {
	tb.Helper()
	return pgtest.DSN(tb)
}

// freshSchema returns the name of a schema no other test uses and drops
// that schema, with everything in it, when tb ends.
func freshSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	return pgtest.Schema(tb, dsn, "idupdate_test_")
}

// openStore opens a store in a fresh schema and closes it when tb ends.
func openStore(tb testing.TB, opts ...postgres.Option) (*postgres.Store, string) {
	tb.Helper()
	return pgtest.Open(tb, testDSN(tb), "idupdate_test_", opts...)
}

// connect returns a plain connection with search_path set to schema, for
// looking at the tables directly.
func connect(tb testing.TB, schema string) *pgx.Conn {
	tb.Helper()
	cfg, err := pgx.ParseConfig(testDSN(tb))
	require.NoError(tb, err)
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
