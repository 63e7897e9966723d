package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

type appliedMigration struct {
	Version int
	Name    string
	Applied string
}

// readMigrations returns schema_migrations as stored in the file at path.
func readMigrations(tb testing.TB, path string) []appliedMigration {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(tb, err)
	defer db.Close()
	rows, err := db.Query(`SELECT version, name, applied FROM schema_migrations ORDER BY version`)
	require.NoError(tb, err)
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		require.NoError(tb, rows.Scan(&m.Version, &m.Name, &m.Applied))
		out = append(out, m)
	}
	require.NoError(tb, rows.Err())
	return out
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("ReopenKeepsDataAndDoesNotMigrateAgain", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "records.db")
		s, err := sqlite.Open(path)
		require.NoError(t, err)
		rec := &storage.Record{Type: "user", ID: "u1", State: storage.Active,
			Doc: map[string]any{"name": "Ada"}, Keys: []storage.Key{{Name: "/email", Value: "ada@example.com"}}}
		require.NoError(t, s.Create(ctx, rec, storage.Event{Time: at(1), Kind: "create"}))
		require.NoError(t, s.Close())
		first := readMigrations(t, path)
		require.NotEmpty(t, first)
		assert.Equal(t, 1, first[0].Version)

		s = openStore(t, path)
		got, err := s.Find(ctx, "user", storage.Key{Name: "/email", Value: "ada@example.com"})
		require.NoError(t, err)
		assert.Equal(t, "Ada", got.Doc["name"])
		assert.Equal(t, first, readMigrations(t, path), "reopening must not apply or re-record migrations")
	})

	t.Run("NewerSchemaIsRefused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "records.db")
		s, err := sqlite.Open(path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		known := readMigrations(t, path)

		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (999, '0999_future.sql', 'later')`)
		require.NoError(t, err)
		require.NoError(t, db.Close())

		s, err = sqlite.Open(path)
		if s != nil {
			_ = s.Close()
		}
		require.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
		assert.Contains(t, err.Error(), "999", "the error names the file's version")
		assert.Equal(t, append(known, appliedMigration{999, "0999_future.sql", "later"}), readMigrations(t, path),
			"a refused open changes nothing")
	})

	t.Run("UnopenablePathIsAnError", func(t *testing.T) {
		_, err := sqlite.Open(filepath.Join(t.TempDir(), "missing-dir", "records.db"))
		assert.Error(t, err)
	})
}
