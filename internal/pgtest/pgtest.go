// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by the IDUPDATE_POSTGRES_DSN environment variable.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/postgres"
)

// Env names the environment variable holding the server's DSN. Tests that
// need PostgreSQL skip when it is unset; CI sets it.
const Env = "IDUPDATE_POSTGRES_DSN"

// DSN returns the server's DSN from Env, or skips tb when it is unset.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to a PostgreSQL URL (postgres://user@host/db) to run the PostgreSQL tests", Env)
	}
	return dsn
}

// SchemaName returns the name of a schema no other test uses: prefix
// followed by random hex.
func SchemaName(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// DropSchemas drops the schemas, with everything in them, from the
// server at dsn.
func DropSchemas(dsn string, schemas ...string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, schema := range schemas {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
	}
	return nil
}

// Schema returns a SchemaName and drops that schema, with everything in
// it, when tb ends. The schema is not created: postgres.WithSchema
// creates it.
func Schema(tb testing.TB, dsn, prefix string) string {
	tb.Helper()
	schema := SchemaName(prefix)
	tb.Cleanup(func() {
		if err := DropSchemas(dsn, schema); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return schema
}

// SchemaDSN creates a fresh schema as Schema does and returns dsn with its
// search_path set to it, for a process that takes only a DSN.
func SchemaDSN(tb testing.TB, dsn, prefix string) string {
	tb.Helper()
	schema := Schema(tb, dsn, prefix)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(tb, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(tb, err)
	return WithSearchPath(dsn, schema)
}

// WithSearchPath returns dsn, a URL or a key=value string, with its
// search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// Open opens a store on dsn in a fresh schema named after prefix; the store
// is closed and the schema dropped when tb ends. It returns the schema
// name too.
func Open(tb testing.TB, dsn, prefix string, opts ...postgres.Option) (*postgres.Store, string) {
	tb.Helper()
	schema := Schema(tb, dsn, prefix)
	s, err := postgres.Open(context.Background(), dsn, append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s, schema
}
