package janrain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/internal/pgtest"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkEntityFind pages through entity.find with max_results=100 and
// a filter half the records match, over stores holding 10,000 records
// and, with IDUPDATE_BENCH_LARGE=1, 1,000,000, in one run: SQLite, and
// PostgreSQL (in a schema of its own) when IDUPDATE_POSTGRES_DSN names a
// server. The store answers a page from its index of record ids without
// reading every match, so both sizes should take about the same time per
// call.
//
// Each size is loaded once per process (so -count runs measure the same
// store) through the engine's Create, as entity.create makes records: a
// uuid key each, and the ids 1 to n that the store's counter would hand
// out, given in the request as SeedDemo gives its ids, so that loading
// does not spend a second write per record on the counter. SQLite loads
// with many writers and large group commits at synchronous=NORMAL; the
// store is then closed and opened again with its defaults, and only that
// store is measured.
func BenchmarkEntityFind(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	backends := []string{"sqlite"}
	if os.Getenv(postgresEnv) != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/records=%d", backend, n), func(b *testing.B) {
				benchFind(b, findFixture(b, backend, n))
			})
		}
	}
}

// benchFind measures one entity.find call. Besides the wall clock it
// reports the process's CPU time per call (cpu-ns/op, where the system
// tells it), which a machine shared with other work disturbs less.
func benchFind(b *testing.B, h *janrain.Handler) {
	f := form("type_name", "user", "filter", "gender='male' and birthday is not null", "max_results", "100")
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		serveForm(b, h, "entity.find", f)
	}
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// postgresEnv names the PostgreSQL server of the benchmark.
const postgresEnv = pgtest.Env

// fixtures are the loaded stores of BenchmarkEntityFind by size, kept for
// the process's life and removed by TestMain.
var fixtures struct {
	sync.Mutex
	dir      string
	handlers map[string]*janrain.Handler
	stores   []storage.Store
	schemas  []string // PostgreSQL schemas to drop
}

// closeFixtures closes the fixture stores and removes their files.
func closeFixtures() {
	fixtures.Lock()
	defer fixtures.Unlock()
	for _, st := range fixtures.stores {
		_ = st.Close()
	}
	if len(fixtures.schemas) > 0 {
		_ = pgtest.DropSchemas(os.Getenv(postgresEnv), fixtures.schemas...)
	}
	if fixtures.dir != "" {
		_ = os.RemoveAll(fixtures.dir)
	}
}

// findFixture returns a handler over a store of the backend holding n
// users, loading it on first use.
func findFixture(b *testing.B, backend string, n int) *janrain.Handler {
	b.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	name := fmt.Sprintf("%s-%d", backend, n)
	if h, ok := fixtures.handlers[name]; ok {
		return h
	}
	if fixtures.handlers == nil {
		fixtures.handlers = map[string]*janrain.Handler{}
	}
	start := time.Now()
	var store storage.Store
	if backend == "postgres" {
		store = loadPostgres(b, name, n)
	} else {
		store = loadSQLite(b, name, n)
	}
	took := time.Since(start)
	b.Logf("loaded %d records into %s in %s (%.0f records/s)", n, backend, took.Round(time.Second), float64(n)/took.Seconds())
	fixtures.stores = append(fixtures.stores, store)
	h, err := janrain.New(benchConfig(), store)
	require.NoError(b, err)
	fixtures.handlers[name] = h
	return h
}

// loadSQLite loads n users into a new SQLite file with large group
// commits at synchronous=NORMAL, then opens it again with the defaults.
func loadSQLite(b *testing.B, name string, n int) storage.Store {
	if fixtures.dir == "" {
		dir, err := os.MkdirTemp("", "janrain-find-bench")
		require.NoError(b, err)
		fixtures.dir = dir
	}
	path := filepath.Join(fixtures.dir, name+".db")
	load, err := sqlite.Open(path, sqlite.WithMaxBatch(1024), sqlite.WithSynchronousNormal())
	require.NoError(b, err)
	lh, err := janrain.New(benchConfig(), load)
	require.NoError(b, err)
	fillUsers(b, lh.Engine(), n, 128)
	require.NoError(b, load.Close())
	store, err := sqlite.Open(path)
	require.NoError(b, err)
	return store
}

// loadPostgres loads n users into a schema of their own.
func loadPostgres(b *testing.B, name string, n int) storage.Store {
	schema := pgtest.SchemaName("janrain_find_bench_" + strings.ReplaceAll(name, "-", "_") + "_")
	fixtures.schemas = append(fixtures.schemas, schema)
	store, err := postgres.Open(context.Background(), os.Getenv(postgresEnv), postgres.WithSchema(schema))
	require.NoError(b, err)
	lh, err := janrain.New(benchConfig(), store)
	require.NoError(b, err)
	fillUsers(b, lh.Engine(), n, 32)
	return store
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
