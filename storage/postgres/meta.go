package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

var (
	_ storage.Meta           = (*Store)(nil)
	_ storage.PendingCounter = (*Store)(nil)
	_ storage.Schema         = (*Store)(nil)
)

// GetMeta implements storage.Meta.
func (s *Store) GetMeta(ctx context.Context, name string) (string, error) {
	if !validText(name) {
		return "", fmt.Errorf("storage/postgres: meta %q: %w", name, storage.ErrNotFound)
	}
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("storage/postgres: meta %q: %w", name, storage.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("storage/postgres: meta %q: %w", name, err)
	}
	return v, nil
}

// InitMeta implements storage.Meta. ON CONFLICT DO NOTHING settles a race
// between replicas: the row that commits first wins and everyone reads it.
func (s *Store) InitMeta(ctx context.Context, name, value string) (string, error) {
	if err := storage.CheckMeta(name, value); err != nil {
		return "", err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("storage/postgres: meta %q: %w", name, err)
	}
	return s.GetMeta(ctx, name)
}

// SetMeta implements storage.Meta.
func (s *Store) SetMeta(ctx context.Context, name, value string) error {
	if err := storage.CheckMeta(name, value); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = now()`, name, value)
	if err != nil {
		return fmt.Errorf("storage/postgres: meta %q: %w", name, err)
	}
	return nil
}

// CountPending implements storage.PendingCounter. It reads the challenges
// of every record that has any.
func (s *Store) CountPending(ctx context.Context, now time.Time) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT pending::text FROM records WHERE pending IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("storage/postgres: count pending: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			return 0, fmt.Errorf("storage/postgres: count pending: %w", err)
		}
		var cs []verify.Challenge
		if err := decodeJSON([]byte(col), &cs); err != nil {
			return 0, fmt.Errorf("storage/postgres: count pending: %w", err)
		}
		n += storage.OpenChallenges(cs, now)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("storage/postgres: count pending: %w", err)
	}
	return n, nil
}

// SchemaVersion implements storage.Schema.
func (s *Store) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return 0, 0, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return 0, len(ms), fmt.Errorf("storage/postgres: schema version: %w", err)
	}
	return have, len(ms), nil
}
