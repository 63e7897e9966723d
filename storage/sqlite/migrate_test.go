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

// TestFewerPagesMigration opens a file an older release wrote, with history
// and feed entries, and checks that the migration that reshapes the events
// and feed tables keeps both and that new feed positions follow the old.
func TestFewerPagesMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "records.db")
	require.NoError(t, sqlite.MigrateTo(path, 5))
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	for _, q := range []string{
		`INSERT INTO records (type, id, version, created, updated, state, doc)
			VALUES ('user', 'u1', 2, '2024-01-01T00:00:00.000000000Z', '2024-01-02T00:00:00.000000000Z', 'active', '{"name":"Ada"}')`,
		`INSERT INTO events (type, id, version, time, kind, actor, client)
			VALUES ('user', 'u1', 1, '2024-01-01T00:00:00.000000000Z', 'create', 'a', 'c')`,
		`INSERT INTO events (type, id, version, time, kind, actor, client, changes)
			VALUES ('user', 'u1', 2, '2024-01-02T00:00:00.000000000Z', 'update', 'a', 'c', '[{"path":"/name","op":"replace","new":"Ada"}]')`,
		// A gap, as a rolled-back AUTOINCREMENT insert of another
		// process could leave.
		`INSERT INTO feed (pos, type, id, version, time, kind, actor, client)
			VALUES (1, 'user', 'u1', 1, '2024-01-01T00:00:00.000000000Z', 'create', 'a', 'c')`,
		`INSERT INTO feed (pos, type, id, version, time, kind, actor, client, changes)
			VALUES (7, 'user', 'u1', 2, '2024-01-02T00:00:00.000000000Z', 'update', 'a', 'c', '[{"path":"/name","op":"replace","new":"Ada"}]')`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	require.NoError(t, db.Close())

	s := openStore(t, path)
	hist, err := s.History(ctx, "user", "u1")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "update", hist[1].Kind)
	require.Len(t, hist[1].Changes, 1)
	assert.Equal(t, "/name", hist[1].Changes[0].Path)

	_, err = s.Update(ctx, "user", "u1", func(r *storage.Record) (*storage.Event, error) {
		r.Doc = map[string]any{"name": "Grace"}
		return &storage.Event{Time: at(3), Kind: "update"}, nil
	})
	require.NoError(t, err)
	feed, _, err := s.Changes(ctx, 0, 10)
	require.NoError(t, err)
	var positions []uint64
	for _, e := range feed {
		positions = append(positions, e.Position)
	}
	assert.Equal(t, []uint64{1, 7, 8}, positions, "old positions kept, the next one follows the largest")
	assert.Equal(t, uint64(3), feed[2].Version)
}

// TestUpdateDirtiesTwoPages counts the WAL frames one Store.Update
// writes: the record's page and the page its event is appended to, which
// is both history and feed. Each frame is a page write at commit, the
// larger part of a commit's cost at synchronous=NORMAL.
func TestUpdateDirtiesTwoPages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "records.db")
	s := openStore(t, path)
	rec := &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc: map[string]any{"name": "Ada"}, Keys: []storage.Key{{Name: "/email", Value: "ada@example.com"}}}
	require.NoError(t, s.Create(ctx, rec, storage.Event{Time: at(1), Kind: "create"}))

	// A second connection empties the WAL, then reads how many frames the
	// update adds to it.
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	frames := func() int {
		var busy, log, done int
		require.NoError(t, db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done))
		require.Zero(t, busy)
		return log
	}
	frames()
	_, err = s.Update(ctx, "user", "u1", func(r *storage.Record) (*storage.Event, error) {
		r.Doc = map[string]any{"name": "Grace"}
		return &storage.Event{Time: at(2), Kind: "update", Changes: []storage.Change{{Path: "/name", Op: "replace", Old: "Ada", New: "Grace"}}}, nil
	})
	require.NoError(t, err)
	var busy, log, done int
	require.NoError(t, db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done))
	assert.Equal(t, 2, log, "WAL frames written by one update")
}
