package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrForeignSchema is returned by Open when the schema the store would
// use holds tables of another program and none of this package's
// migrations. Open then creates and changes nothing in the database.
var ErrForeignSchema = errors.New("storage/postgres: schema of another program")

// checkSchema refuses a schema that holds tables but not this package's
// schema_migrations with its first migration. schema is the schema Open
// was given, or "" for the first schema of the connection's search_path.
// It runs in the migration's transaction, before anything is created.
func checkSchema(ctx context.Context, tx pgx.Tx, schema string, first migration) error {
	var name *string
	var database string
	if err := tx.QueryRow(ctx, `SELECT coalesce(nullif($1, ''), current_schema()), current_database()`, schema).Scan(&name, &database); err != nil {
		return fmt.Errorf("read current schema: %w", err)
	}
	if name == nil {
		// No schema of the search_path exists: nothing to look at, and
		// creating the tables will fail with PostgreSQL's own message.
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		ORDER BY c.relname`, *name)
	if err != nil {
		return fmt.Errorf("list tables of schema %s: %w", *name, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list tables of schema %s: %w", *name, err)
	}
	if len(tables) == 0 {
		return nil
	}
	if slices.Contains(tables, "schema_migrations") {
		// Another program's schema_migrations (golang-migrate's, say) may
		// lack the name column: look before reading it, so that the
		// transaction is not aborted by the read.
		var hasName bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM information_schema.columns
			WHERE table_schema = $1 AND table_name = 'schema_migrations' AND column_name = 'name')`, *name).Scan(&hasName); err != nil {
			return fmt.Errorf("read schema_migrations of schema %s: %w", *name, err)
		}
		if hasName {
			var applied string
			err := tx.QueryRow(ctx, `SELECT name FROM `+pgx.Identifier{*name, "schema_migrations"}.Sanitize()+`
				WHERE version::text = '1'`).Scan(&applied)
			if err == nil && applied == first.name {
				return nil
			}
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("read schema_migrations of schema %s: %w", *name, err)
			}
		}
	}
	shown := tables
	if len(shown) > 5 {
		shown = append(slices.Clone(shown[:5]), "…")
	}
	return fmt.Errorf("%w: schema %s of database %s has the tables %s and no idupdate schema", ErrForeignSchema,
		pgx.Identifier{*name}.Sanitize(), pgx.Identifier{database}.Sanitize(), strings.Join(shown, ", "))
}
