package sqlite_test

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/sqlite"
)

// benchFiles holds the loaded files the lookup benchmarks share, built
// once per process: building the 1,000,000-record file takes minutes.
var benchFiles struct {
	mu    sync.Mutex
	dir   string
	paths map[int]string
}

// benchFile returns a migrated file holding n records loaded by bulkLoad,
// to be opened, read and closed, never written.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	benchFiles.mu.Lock()
	defer benchFiles.mu.Unlock()
	if p, ok := benchFiles.paths[n]; ok {
		return p
	}
	if benchFiles.dir == "" {
		dir, err := os.MkdirTemp("", "idupdate-sqlite-bench-")
		require.NoError(b, err)
		benchFiles.dir, benchFiles.paths = dir, map[int]string{}
	}
	path := filepath.Join(benchFiles.dir, "records-"+strconv.Itoa(n)+".db")
	s, err := sqlite.Open(path)
	require.NoError(b, err)
	require.NoError(b, s.Close())
	bulkLoad(b, path, n)
	benchFiles.paths[n] = path
	return path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFiles.dir != "" {
		_ = os.RemoveAll(benchFiles.dir)
	}
	os.Exit(code)
}
