package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/postgres"
)

// dsnEnv names the server the tests run against; CI sets it.
const dsnEnv = "IDUPDATE_POSTGRES_DSN"

// testDSN returns the DSN from the environment, or skips tb.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to a PostgreSQL URL (postgres://user@host/db) to run the postgres store tests", dsnEnv)
	}
	return dsn
}

// freshSchema returns the name of a schema no other test uses and drops
// that schema, with everything in it, when tb ends.
func freshSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "idupdate_test_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx := context.Background()
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
	return schema
}

// openStore opens a store in a fresh schema and closes it when tb ends.
func openStore(tb testing.TB, opts ...postgres.Option) (*postgres.Store, string) {
	tb.Helper()
	dsn := testDSN(tb)
	schema := freshSchema(tb, dsn)
	s, err := postgres.Open(context.Background(), dsn, append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s, schema
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
