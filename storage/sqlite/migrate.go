package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew is returned by Open when the database file was migrated by
// a newer release than this one, which cannot know what the newer schema
// means.
var ErrSchemaTooNew = errors.New("storage/sqlite: database schema is newer than this code")

// migration is one numbered file of migrations/, such as 0001_records.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. Numbers must
// start at 1 and have no gaps, so a missing file cannot go unnoticed.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("storage/sqlite: migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("storage/sqlite: migration %s: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

// migrate brings the database up to the newest embedded migration, each
// migration in its own IMMEDIATE transaction together with its row in
// schema_migrations, so a crash leaves the schema at a whole version. db
// must be the writer, whose transactions begin IMMEDIATE.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("storage/sqlite: create schema_migrations: %w", err)
	}
	for _, m := range all {
		if err := apply(ctx, db, m, len(all), now); err != nil {
			return err
		}
	}
	return nil
}

// apply runs m unless the database already has it. It reads the current
// version inside the transaction, so two processes opening the same new file
// do not both run a migration.
func apply(ctx context.Context, db *sql.DB, m migration, latest int, now func() time.Time) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage/sqlite: migration %s: %w", m.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("storage/sqlite: read schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w: file is at version %d, this code knows up to %d", ErrSchemaTooNew, current, latest)
	}
	if current >= m.version {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("storage/sqlite: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(now())); err != nil {
		return fmt.Errorf("storage/sqlite: record migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage/sqlite: commit migration %s: %w", m.name, err)
	}
	return nil
}
