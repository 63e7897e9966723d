package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

var (
	_ storage.Meta           = (*Store)(nil)
	_ storage.PendingCounter = (*Store)(nil)
)

// GetMeta implements storage.Meta.
func (s *Store) GetMeta(ctx context.Context, name string) (string, error) {
	var v string
	err := s.reader.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("storage/sqlite: meta %q: %w", name, storage.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("storage/sqlite: meta %q: %w", name, err)
	}
	return v, nil
}

// InitMeta implements storage.Meta. The writer's IMMEDIATE transaction
// makes the read and the insert one step for every process on the file.
func (s *Store) InitMeta(ctx context.Context, name, value string) (string, error) {
	if err := storage.CheckMeta(name, value); err != nil {
		return "", err
	}
	stored := value
	err := s.write(ctx, func(tx *wtx) error {
		err := tx.queryRow(`SELECT value FROM meta WHERE name = ?`, name).Scan(&stored)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage/sqlite: meta %q: %w", name, err)
		}
		_, err = tx.exec(`INSERT INTO meta (name, value, updated) VALUES (?, ?, ?)`, name, value, formatTime(time.Now()))
		if err != nil {
			return fmt.Errorf("storage/sqlite: meta %q: %w", name, err)
		}
		return nil
	})
	return stored, err
}

// SetMeta implements storage.Meta.
func (s *Store) SetMeta(ctx context.Context, name, value string) error {
	if err := storage.CheckMeta(name, value); err != nil {
		return err
	}
	return s.write(ctx, func(tx *wtx) error {
		_, err := tx.exec(`INSERT INTO meta (name, value, updated) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
			name, value, formatTime(time.Now()))
		if err != nil {
			return fmt.Errorf("storage/sqlite: meta %q: %w", name, err)
		}
		return nil
	})
}

// CountPending implements storage.PendingCounter. It reads the challenges
// of every record that has any.
func (s *Store) CountPending(ctx context.Context, now time.Time) (int, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT pending FROM records WHERE pending IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("storage/sqlite: count pending: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var col sql.NullString
		if err := rows.Scan(&col); err != nil {
			return 0, fmt.Errorf("storage/sqlite: count pending: %w", err)
		}
		var cs []verify.Challenge
		if err := decodeJSON(col, &cs); err != nil {
			return 0, err
		}
		n += storage.OpenChallenges(cs, now)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("storage/sqlite: count pending: %w", err)
	}
	return n, nil
}

var _ storage.Schema = (*Store)(nil)

// SchemaVersion implements storage.Schema.
func (s *Store) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, err
	}
	if err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return 0, len(ms), fmt.Errorf("storage/sqlite: schema version: %w", err)
	}
	return have, len(ms), nil
}
