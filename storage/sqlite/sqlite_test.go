package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(tb testing.TB) storage.Store {
		return openStore(tb, filepath.Join(tb.TempDir(), "records.db"))
	})
}

// openStore opens path and closes the store when the test ends.
func openStore(tb testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// at returns a fixed time n seconds into the tests' day.
func at(n int) time.Time {
	return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
}

func TestQuery(t *testing.T) {
	storagetest.RunQuery(t, func(tb testing.TB) storage.Store {
		return openStore(tb, filepath.Join(tb.TempDir(), "records.db"))
	})
}

func TestFeed(t *testing.T) {
	storagetest.RunFeed(t, func(tb testing.TB) storage.Store {
		return openStore(tb, filepath.Join(tb.TempDir(), "records.db"))
	})
}
