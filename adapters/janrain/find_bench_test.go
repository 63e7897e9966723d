package janrain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkEntityFind pages through entity.find with max_results=100 and
// a filter half the records match, over SQLite holding 10,000 records
// and, with IDUPDATE_BENCH_LARGE=1, 1,000,000, in one run. The store
// answers a page from its index of record ids without reading every
// match, so both sizes should take about the same time per call.
//
// Each size is loaded once per process (so -count runs measure the same
// store) through the engine's Create, as entity.create makes records: a
// uuid key each, and the ids 1 to n that the store's counter would hand
// out, given in the request as SeedDemo gives its ids, so that loading
// does not spend a second write per record on the counter. Loading uses
// many writers and large group commits at synchronous=NORMAL; the store
// is then closed and opened again with its defaults, and only that store
// is measured.
func BenchmarkEntityFind(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			h := findFixture(b, n)
			f := form("type_name", "user", "filter", "gender='male' and birthday is not null", "max_results", "100")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serveForm(b, h, "entity.find", f)
			}
		})
	}
}

// fixtures are the loaded stores of BenchmarkEntityFind by size, kept for
// the process's life and removed by TestMain.
var fixtures struct {
	sync.Mutex
	dir      string
	handlers map[int]*janrain.Handler
	stores   []storage.Store
}

// closeFixtures closes the fixture stores and removes their files.
func closeFixtures() {
	fixtures.Lock()
	defer fixtures.Unlock()
	for _, st := range fixtures.stores {
		_ = st.Close()
	}
	if fixtures.dir != "" {
		_ = os.RemoveAll(fixtures.dir)
	}
}

// findFixture returns a handler over a SQLite store holding n users,
// loading it on first use.
func findFixture(b *testing.B, n int) *janrain.Handler {
	b.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if h, ok := fixtures.handlers[n]; ok {
		return h
	}
	if fixtures.dir == "" {
		dir, err := os.MkdirTemp("", "janrain-find-bench")
		require.NoError(b, err)
		fixtures.dir, fixtures.handlers = dir, map[int]*janrain.Handler{}
	}
	path := filepath.Join(fixtures.dir, fmt.Sprintf("find-%d.db", n))
	load, err := sqlite.Open(path, sqlite.WithMaxBatch(1024), sqlite.WithSynchronousNormal())
	require.NoError(b, err)
	lh, err := janrain.New(benchConfig(), load)
	require.NoError(b, err)
	start := time.Now()
	fillUsers(b, lh.Engine(), n, 128)
	require.NoError(b, load.Close())
	took := time.Since(start)
	b.Logf("loaded %d records in %s (%.0f records/s)", n, took.Round(time.Second), float64(n)/took.Seconds())

	store, err := sqlite.Open(path)
	require.NoError(b, err)
	fixtures.stores = append(fixtures.stores, store)
	h, err := janrain.New(benchConfig(), store)
	require.NoError(b, err)
	fixtures.handlers[n] = h
	return h
}

// fillUsers creates n records as entity.create does (janrain.CreateRequest),
// with the ids 1 to n, from the given number of parallel writers so the
// store can commit them in groups.
func fillUsers(b *testing.B, eng *update.Engine, n, workers int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				doc := map[string]any{
					"email": fmt.Sprintf("user%d@example.com", i), "givenName": fmt.Sprintf("User %d", i),
					"gender": []string{"male", "female"}[i%2], "birthday": fmt.Sprintf("19%02d-01-01", i%100),
				}
				req := janrain.CreateRequest(ownerID, doc)
				id := strconv.Itoa(i + 1)
				req.ID, req.Server = id, map[string]any{"id": json.Number(id)}
				if _, err := eng.Create(context.Background(), req); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
}
