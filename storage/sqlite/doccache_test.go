package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// The store keeps decoded documents of records it wrote; a change made to
// the file by someone else must still be seen by the next update.
func TestUpdateSeesForeignWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s := openStore(t, path)
	ctx := context.Background()
	require.NoError(t, s.Create(ctx, &storage.Record{Type: "user", ID: "u1", State: storage.Active,
		Doc: map[string]any{"n": "1"}}, storage.Event{Time: time.Now(), Kind: "create"}))
	set := func(v string) storage.Updater {
		return func(rec *storage.Record) (*storage.Event, error) {
			rec.Doc = map[string]any{"n": v}
			return &storage.Event{Time: time.Now(), Kind: "update"}, nil
		}
	}
	_, err := s.Update(ctx, "user", "u1", set("2"))
	require.NoError(t, err)

	other, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer other.Close()
	_, err = other.Exec(`UPDATE records SET doc = '{"n":"foreign"}' WHERE type = 'user' AND id = 'u1'`)
	require.NoError(t, err)

	var seen any
	_, err = s.Update(ctx, "user", "u1", func(rec *storage.Record) (*storage.Event, error) {
		seen = rec.Doc["n"]
		return nil, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "foreign", seen)
}
