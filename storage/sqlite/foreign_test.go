package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/sqlite"
)

// TestOpenRefusesForeignFiles opens what is not an idupdate database and
// checks that Open says what it found and leaves the directory as it was.
func TestOpenRefusesForeignFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
		msg   string
	}{
		{"TextFile", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("hello world\nsecond line\n"), 0o644))
		}, sqlite.ErrNotDatabase, `junk.db (24 bytes) is a text file beginning "hello world"`},
		{"BinaryFile", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3, 4}, 0o644))
		}, sqlite.ErrNotDatabase, `junk.db (9 bytes) begins with the bytes 89 50 4e 47 00 01 02 03`},
		{"Directory", func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o755))
		}, sqlite.ErrNotDatabase, `junk.db is a directory`},
		{"OtherProgramsDatabase", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE records (x); CREATE TABLE notes (y)`)
			require.NoError(t, err)
			require.NoError(t, db.Close())
		}, sqlite.ErrForeignDatabase, `junk.db has the tables notes, records and no idupdate schema`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "junk.db")
			tc.setup(t, path)
			before := listDir(t, dir)

			st, err := sqlite.Open(path)
			if st != nil {
				st.Close()
			}
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, before, listDir(t, dir), "Open created nothing")
		})
	}
	t.Run("EmptyFileIsANewDatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.db")
		require.NoError(t, os.WriteFile(path, nil, 0o600))
		st, err := sqlite.Open(path)
		require.NoError(t, err)
		require.NoError(t, st.Close())
		st, err = sqlite.Open(path)
		require.NoError(t, err, "its own file opens again")
		_, err = st.Get(context.Background(), "user", "x")
		assert.Error(t, err)
		require.NoError(t, st.Close())
	})
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
