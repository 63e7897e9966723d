package janrain_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/update"
)

// BenchmarkEntityFind pages through entity.find with max_results=100 and
// a filter half the records match, over SQLite holding 10,000 records
// and, with IDUPDATE_BENCH_LARGE=1, 1,000,000. The store answers a page
// from its index of record ids without reading every match, so both
// sizes take about the same time per call.
func BenchmarkEntityFind(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("IDUPDATE_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			store, err := sqlite.Open(filepath.Join(b.TempDir(), "find.db"))
			require.NoError(b, err)
			b.Cleanup(func() { _ = store.Close() })
			h, err := janrain.New(benchConfig(), store)
			require.NoError(b, err)
			fillUsers(b, h.Engine(), n)
			f := form("type_name", "user", "filter", "gender='male' and birthday is not null", "max_results", "100")
			b.ResetTimer()
			for b.Loop() {
				serveForm(b, h, "entity.find", f)
			}
		})
	}
}

// fillUsers creates n records through the engine, from parallel workers
// so the store can commit them in groups.
func fillUsers(b *testing.B, eng *update.Engine, n int) {
	b.Helper()
	const workers = 8
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
				if _, err := eng.Create(context.Background(), update.CreateRequest{
					Type: janrain.EntityType, Client: ownerID, Actor: "bench", Doc: doc,
				}); err != nil {
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
