package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// batchRecords is how many records newBatchStore creates: u0 … u7, each
// holding the key /email = u<i>@example.com.
const batchRecords = 8

func newBatchStore(t *testing.T, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "batch.db"), opts...)
	for i := range batchRecords {
		require.NoError(t, s.Create(context.Background(), batchRecord(i), storage.Event{Time: at(0), Kind: "create"}))
	}
	return s
}

func batchID(i int) string { return "u" + strconv.Itoa(i) }

func batchRecord(i int) *storage.Record {
	return &storage.Record{Type: "user", ID: batchID(i), State: storage.Active,
		Doc:  map[string]any{"n": json.Number("0")},
		Keys: []storage.Key{emailKey(i)}}
}

func emailKey(i int) storage.Key {
	return storage.Key{Name: "/email", Value: batchID(i) + "@example.com"}
}

var errBoom = errors.New("updater refused")

// panicked is what a queued write returns when it panicked.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// inBatch runs writes as one batch, in the order given: it holds the
// store's group commit, starts each write only after the one before it has
// queued, then releases them. It returns each write's error once all have
// returned, and checks that they shared one transaction.
func inBatch(t *testing.T, s *sqlite.Store, writes ...func() error) []error {
	t.Helper()
	batches, n := sqlite.BatchCounts(s)
	release := sqlite.HoldWrites(s)
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = panicked{p}
				}
			}()
			errs[i] = w()
		})
		waitQueued(t, s, i+1)
	}
	release()
	wg.Wait()
	gotBatches, gotN := sqlite.BatchCounts(s)
	require.Equal(t, batches+1, gotBatches, "the writes ran in one transaction")
	require.Equal(t, n+uint64(len(writes)), gotN)
	return errs
}

// waitQueued waits, without sleeping, until n writes are queued.
func waitQueued(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sqlite.QueuedWrites(s) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", sqlite.QueuedWrites(s), n)
		}
		runtime.Gosched()
	}
}

// setN returns an updater that sets the document's n and records the change.
func setN(n int) storage.Updater {
	return func(rec *storage.Record) (*storage.Event, error) {
		old := rec.Doc["n"]
		next := json.Number(strconv.Itoa(n))
		rec.Doc = map[string]any{"n": next}
		return &storage.Event{Time: at(n), Kind: "update",
			Changes: []storage.Change{{Path: "/n", Op: "replace", Old: old, New: next}}}, nil
	}
}

func updateOf(s *sqlite.Store, i int, fn storage.Updater) func() error {
	return func() error {
		_, err := s.Update(context.Background(), "user", batchID(i), fn)
		return err
	}
}

// assertVersion checks that record i is at version v with v events.
func assertVersion(t *testing.T, s *sqlite.Store, i int, v uint64) {
	t.Helper()
	rec, err := s.Get(context.Background(), "user", batchID(i))
	require.NoError(t, err)
	assert.Equal(t, v, rec.Version, "%s version", batchID(i))
	hist, err := s.History(context.Background(), "user", batchID(i))
	require.NoError(t, err)
	assert.Len(t, hist, int(v), "%s history", batchID(i))
}

// TestBatchIsolation runs eight updates of eight records in one
// transaction, the fourth failing in one way or another: the other seven
// commit and the fourth changes nothing.
func TestBatchIsolation(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		write func(s *sqlite.Store) error
		check func(t *testing.T, err error)
	}{
		{"UpdaterError", func(s *sqlite.Store) error {
			return updateOf(s, 3, func(*storage.Record) (*storage.Event, error) { return nil, errBoom })()
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, errBoom) }},

		{"KeyHeldByAnother", func(s *sqlite.Store) error {
			return updateOf(s, 3, func(rec *storage.Record) (*storage.Event, error) {
				rec.Keys = []storage.Key{emailKey(0)}
				return &storage.Event{Time: at(1), Kind: "update"}, nil
			})()
		}, func(t *testing.T, err error) {
			var nu *storage.NotUniqueError
			require.ErrorAs(t, err, &nu)
			assert.Equal(t, storage.NotUniqueError{Key: emailKey(0), HolderID: "u0", HolderState: storage.Active}, *nu)
		}},

		{"InvalidRecord", func(s *sqlite.Store) error {
			return updateOf(s, 3, func(rec *storage.Record) (*storage.Event, error) {
				rec.State = "bogus"
				return &storage.Event{Time: at(1), Kind: "update"}, nil
			})()
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, storage.ErrInvalid) }},

		{"InvalidEvent", func(s *sqlite.Store) error {
			return updateOf(s, 3, func(rec *storage.Record) (*storage.Event, error) {
				return &storage.Event{Kind: "update"}, nil
			})()
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, storage.ErrInvalid) }},

		{"NotFound", func(s *sqlite.Store) error {
			_, err := s.Update(ctx, "user", "nobody", setN(1))
			return err
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, storage.ErrNotFound) }},

		{"Panic", func(s *sqlite.Store) error {
			return updateOf(s, 3, func(*storage.Record) (*storage.Event, error) { panic("updater bug") })()
		}, func(t *testing.T, err error) { assert.Equal(t, panicked{"updater bug"}, err) }},

		{"ContextEndsInUpdater", func(s *sqlite.Store) error {
			ctx, cancel := context.WithCancel(ctx)
			_, err := s.Update(ctx, "user", batchID(3), func(rec *storage.Record) (*storage.Event, error) {
				cancel()
				return setN(1)(rec)
			})
			return err
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, context.Canceled) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newBatchStore(t)
			writes := make([]func() error, batchRecords)
			for i := range writes {
				writes[i] = updateOf(s, i, setN(10+i))
			}
			writes[3] = func() error { return tc.write(s) }

			errs := inBatch(t, s, writes...)

			tc.check(t, errs[3])
			for i, err := range errs {
				if i == 3 {
					assertVersion(t, s, i, 1)
					continue
				}
				require.NoError(t, err, "member %d", i)
				assertVersion(t, s, i, 2)
				rec, err := s.Get(ctx, "user", batchID(i))
				require.NoError(t, err)
				assert.Equal(t, json.Number(strconv.Itoa(10+i)), rec.Doc["n"])
			}
			got, err := s.Find(ctx, "user", emailKey(0))
			require.NoError(t, err)
			assert.Equal(t, "u0", got.ID)
			got, err = s.Find(ctx, "user", emailKey(3))
			require.NoError(t, err)
			assert.Equal(t, "u3", got.ID)
		})
	}
}

// TestBatchSameRecord runs eight increments of one record in one
// transaction, the fifth refusing: each of the others sees the one before
// it, and versions follow the order of arrival.
func TestBatchSameRecord(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	increment := func(rec *storage.Record) (*storage.Event, error) {
		n, err := rec.Doc["n"].(json.Number).Int64()
		if err != nil {
			return nil, err
		}
		return setN(int(n) + 1)(rec)
	}
	versions := make([]uint64, batchRecords)
	writes := make([]func() error, batchRecords)
	for i := range writes {
		writes[i] = func() error {
			if i == 4 {
				return updateOf(s, 0, func(*storage.Record) (*storage.Event, error) { return nil, errBoom })()
			}
			rec, err := s.Update(ctx, "user", "u0", increment)
			if err == nil {
				versions[i] = rec.Version
			}
			return err
		}
	}

	errs := inBatch(t, s, writes...)

	assert.ErrorIs(t, errs[4], errBoom)
	assert.Equal(t, []uint64{2, 3, 4, 5, 0, 6, 7, 8}, versions)
	rec, err := s.Get(ctx, "user", "u0")
	require.NoError(t, err)
	assert.Equal(t, uint64(8), rec.Version)
	assert.Equal(t, json.Number("7"), rec.Doc["n"])
	hist, err := s.History(ctx, "user", "u0")
	require.NoError(t, err)
	require.Len(t, hist, 8)
	for i, ev := range hist[1:] {
		assert.Equal(t, uint64(i+2), ev.Version)
		assert.Equal(t, []storage.Change{{Path: "/n", Op: "replace",
			Old: json.Number(strconv.Itoa(i)), New: json.Number(strconv.Itoa(i + 1))}}, ev.Changes)
	}
}

// TestBatchWritesInterleave mixes updates, deletes and creates of the same
// records in one transaction: each sees the state the writes before it
// left.
func TestBatchWritesInterleave(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	fresh := batchRecord(0)
	fresh.Doc = map[string]any{"n": json.Number("100")}
	create := func(rec *storage.Record) func() error {
		return func() error { return s.Create(ctx, rec, storage.Event{Time: at(5), Kind: "create"}) }
	}
	del := func(id string) func() error { return func() error { return s.Delete(ctx, "user", id) } }

	errs := inBatch(t, s,
		updateOf(s, 0, setN(1)), // u0 version 2
		del("u0"),               // gone, with its key and history
		updateOf(s, 0, setN(2)), // not found
		create(fresh),           // u0 again, version 1, same key
		updateOf(s, 0, setN(3)), // version 2 of the new u0
		create(batchRecord(1)),
		del("nobody"),
		updateOf(s, 1, setN(4)),
	)

	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	assert.ErrorIs(t, errs[2], storage.ErrNotFound)
	require.NoError(t, errs[3])
	require.NoError(t, errs[4])
	assert.ErrorIs(t, errs[5], storage.ErrExists)
	assert.ErrorIs(t, errs[6], storage.ErrNotFound)
	require.NoError(t, errs[7])

	hist, err := s.History(ctx, "user", "u0")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "create", hist[0].Kind)
	assert.Equal(t, at(5), hist[0].Time)
	assert.Equal(t, json.Number("100"), hist[1].Changes[0].Old)
	assert.Equal(t, json.Number("3"), hist[1].Changes[0].New)
	got, err := s.Find(ctx, "user", emailKey(0))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), got.Version)
	assertVersion(t, s, 1, 2)
}

// TestBatchCommitFailureAcknowledgesNothing puts a write into the batch
// whose COMMIT must fail: with foreign keys deferred, it adds a unique key
// of a record that does not exist, which SQLite refuses only at COMMIT. Every
// member whose answer depended on the transaction fails, and nothing of
// the batch is in the file.
func TestBatchCommitFailureAcknowledgesNothing(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	fresh := batchRecord(20)
	refuse := func(*storage.Record) (*storage.Event, error) { return nil, errBoom }

	errs := inBatch(t, s,
		updateOf(s, 0, refuse), // refuses before anything is written: its answer stands
		updateOf(s, 1, setN(1)),
		func() error { return s.Create(ctx, fresh, storage.Event{Time: at(1), Kind: "create"}) },
		func() error { return sqlite.WriteRaw(ctx, s, orphanKey) },
		updateOf(s, 4, setN(1)),
		updateOf(s, 5, refuse), // refuses after others wrote: it may have seen them
		func() error { return s.Delete(ctx, "user", "u6") },
		updateOf(s, 1, setN(2)), // saw u1 at version 2, which never commits
	)

	assert.ErrorIs(t, errs[0], errBoom)
	for i, err := range errs[1:] {
		require.Error(t, err, "member %d was acknowledged", i+1)
		assert.NotErrorIs(t, err, errBoom)
		assert.ErrorContains(t, err, "storage/sqlite: commit:")
	}
	for i := range batchRecords {
		assertVersion(t, s, i, 1)
	}
	_, err := s.Get(ctx, "user", fresh.ID)
	assert.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.History(ctx, "user", "ghost")
	assert.ErrorIs(t, err, storage.ErrNotFound)

	// The writer connection is clean: the next batch commits.
	_, err = s.Update(ctx, "user", "u1", setN(3))
	require.NoError(t, err)
	assertVersion(t, s, 1, 2)
}

// TestCommitFailureAlone is the same failure for a write that has the
// transaction to itself.
func TestCommitFailureAlone(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	err := sqlite.WriteRaw(ctx, s, orphanKey)
	assert.ErrorContains(t, err, "storage/sqlite: commit:")
	_, err = s.History(ctx, "user", "ghost")
	assert.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.Update(ctx, "user", "u1", setN(3))
	require.NoError(t, err)
}

// orphanKey defers foreign-key checks to COMMIT and adds a key of a
// record that does not exist, so that the transaction cannot commit.
func orphanKey(exec func(query string, args ...any) error) error {
	if err := exec(`PRAGMA defer_foreign_keys = ON`); err != nil {
		return err
	}
	return exec(`INSERT INTO keys (type, name, value, id) VALUES ('user', '/email', 'ghost@example.com', 'ghost')`)
}

// TestBatchCancelWhileQueued cancels a write waiting for the next batch: it
// returns at once, and the batch runs without it.
func TestBatchCancelWhileQueued(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	batches, n := sqlite.BatchCounts(s)
	release := sqlite.HoldWrites(s)

	cancelled, cancel := context.WithCancel(ctx)
	first := make(chan error, 1)
	go func() {
		_, err := s.Update(cancelled, "user", "u0", setN(1))
		first <- err
	}()
	waitQueued(t, s, 1)
	second := make(chan error, 1)
	go func() {
		_, err := s.Update(ctx, "user", "u1", setN(1))
		second <- err
	}()
	waitQueued(t, s, 2)
	cancel()
	assert.ErrorIs(t, <-first, context.Canceled, "returns while the store is still held")
	assert.Equal(t, 1, sqlite.QueuedWrites(s))
	release()
	require.NoError(t, <-second)

	assertVersion(t, s, 0, 1)
	assertVersion(t, s, 1, 2)
	gotBatches, gotN := sqlite.BatchCounts(s)
	assert.Equal(t, batches+1, gotBatches)
	assert.Equal(t, n+1, gotN)
}

// TestBatchCancelAtRandom cancels writes at random moments, queued,
// leading, running or committing, and checks the contract: a write that
// returned an error wrote nothing, and one that returned nil is there.
func TestBatchCancelAtRandom(t *testing.T) {
	const writers, perWriter = 8, 40
	ctx := context.Background()
	s := newBatchStore(t)
	succeeded := make([]int, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range perWriter {
				ctx, cancel := context.WithCancel(ctx)
				stop := time.AfterFunc(time.Duration(rand.N(400))*time.Microsecond, cancel)
				want := succeeded[w] + 1
				_, err := s.Update(ctx, "user", batchID(w), setN(want))
				stop.Stop()
				cancel()
				switch {
				case err == nil:
					succeeded[w] = want
				case errors.Is(err, context.Canceled):
				default:
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for w := range writers {
		rec, err := s.Get(ctx, "user", batchID(w))
		require.NoError(t, err)
		assert.Equal(t, uint64(succeeded[w]+1), rec.Version, "writer %d", w)
		assert.Equal(t, json.Number(strconv.Itoa(succeeded[w])), rec.Doc["n"], "writer %d", w)
	}
	batches, n := sqlite.BatchCounts(s)
	t.Logf("%d writes in %d transactions", n, batches)
}

// TestBatchPreservesVersionOrder runs writers on records of their own and
// writers sharing one record: each sees its versions grow in the order of
// its calls, and every history is the unbroken sequence of its writes.
func TestBatchPreservesVersionOrder(t *testing.T) {
	const own, shared, perWriter = 6, 8, 50
	ctx := context.Background()
	s := newBatchStore(t)
	batches0, n0 := sqlite.BatchCounts(s)
	increment := func(rec *storage.Record) (*storage.Event, error) {
		n, err := rec.Doc["n"].(json.Number).Int64()
		if err != nil {
			return nil, err
		}
		return setN(int(n) + 1)(rec)
	}
	var wg sync.WaitGroup
	for w := range own + shared {
		wg.Go(func() {
			id := batchID(7)
			if w < own {
				id = batchID(w)
			}
			var last uint64
			for i := 1; i <= perWriter; i++ {
				fn := increment
				if w < own {
					fn = setN(i)
				}
				rec, err := s.Update(ctx, "user", id, fn)
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if rec.Version <= last {
					t.Errorf("writer %d: version %d after %d", w, rec.Version, last)
				}
				last = rec.Version
			}
		})
	}
	wg.Wait()

	check := func(i, writes int) {
		hist, err := s.History(ctx, "user", batchID(i))
		require.NoError(t, err)
		require.Len(t, hist, writes+1)
		for v, ev := range hist[1:] {
			assert.Equal(t, uint64(v+2), ev.Version)
			assert.Equal(t, json.Number(strconv.Itoa(v)), ev.Changes[0].Old, "%s version %d", batchID(i), v+2)
			assert.Equal(t, json.Number(strconv.Itoa(v+1)), ev.Changes[0].New, "%s version %d", batchID(i), v+2)
		}
	}
	for w := range own {
		check(w, perWriter)
	}
	check(7, shared*perWriter)
	batches, n := sqlite.BatchCounts(s)
	t.Logf("%d writes in %d transactions", n-n0, batches-batches0)
}

// TestMaxBatch bounds the writes of one transaction.
func TestMaxBatch(t *testing.T) {
	s := newBatchStore(t, sqlite.WithMaxBatch(3))
	batches, n := sqlite.BatchCounts(s)
	release := sqlite.HoldWrites(s)
	var wg sync.WaitGroup
	for i := range batchRecords {
		wg.Go(func() { assert.NoError(t, updateOf(s, i, setN(1))()) })
		waitQueued(t, s, i+1)
	}
	release()
	wg.Wait()
	gotBatches, gotN := sqlite.BatchCounts(s)
	assert.Equal(t, batches+3, gotBatches, "3 + 3 + 2")
	assert.Equal(t, n+batchRecords, gotN)
	for i := range batchRecords {
		assertVersion(t, s, i, 2)
	}
}

// TestBatchWait checks both sides of WithBatchWait: a writer alone never
// waits (with an hour's wait allowed, the test would time out), and a
// batch smaller than the one before waits for writers to join it.
func TestBatchWait(t *testing.T) {
	s := newBatchStore(t, sqlite.WithBatchWait(time.Hour))
	for i := range batchRecords {
		require.NoError(t, updateOf(s, i, setN(1))())
	}

	// A batch of four; then a writer alone waits for three more.
	inBatch(t, s, updateOf(s, 0, setN(2)), updateOf(s, 1, setN(2)), updateOf(s, 2, setN(2)), updateOf(s, 3, setN(2)))
	batches, n := sqlite.BatchCounts(s)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { assert.NoError(t, updateOf(s, i, setN(3))()) })
	}
	wg.Wait()
	gotBatches, gotN := sqlite.BatchCounts(s)
	assert.Equal(t, batches+1, gotBatches, "one transaction")
	assert.Equal(t, n+4, gotN)

	// A short wait that nobody fills ends, and the writer commits alone.
	s = newBatchStore(t, sqlite.WithBatchWait(time.Millisecond))
	inBatch(t, s, updateOf(s, 0, setN(2)), updateOf(s, 1, setN(2)))
	require.NoError(t, updateOf(s, 0, setN(3))())
	assertVersion(t, s, 0, 3)
}

// TestPanicAlone checks that an updater's panic reaches its caller and
// leaves the store usable.
func TestPanicAlone(t *testing.T) {
	s := newBatchStore(t)
	assert.PanicsWithValue(t, "updater bug", func() {
		_ = updateOf(s, 0, func(*storage.Record) (*storage.Event, error) { panic("updater bug") })()
	})
	require.NoError(t, updateOf(s, 0, setN(1))())
	assertVersion(t, s, 0, 2)
}

// TestBatchFeedPositions checks that the writes of one transaction take
// consecutive feed positions in the order they ran, and that a member
// rolled back after writing its feed entry leaves no position behind.
func TestBatchFeedPositions(t *testing.T) {
	ctx := context.Background()
	s := newBatchStore(t)
	_, start, err := s.Changes(ctx, 0, storage.MaxFeedLimit)
	require.NoError(t, err)

	writes := make([]func() error, batchRecords)
	for i := range writes {
		writes[i] = updateOf(s, i, setN(1))
	}
	// Cancelled once its whole write, feed entry included, is done.
	writes[3] = func() error {
		ctx, cancel := context.WithCancel(ctx)
		_, err := s.Update(ctx, "user", batchID(3), func(rec *storage.Record) (*storage.Event, error) {
			cancel()
			return setN(1)(rec)
		})
		return err
	}
	errs := inBatch(t, s, writes...)
	assert.ErrorIs(t, errs[3], context.Canceled)

	entries, last, err := s.Changes(ctx, start, storage.MaxFeedLimit)
	require.NoError(t, err)
	var ids []string
	for i, e := range entries {
		assert.Equal(t, start+uint64(i)+1, e.Position)
		assert.Equal(t, uint64(2), e.Version)
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []string{"u0", "u1", "u2", "u4", "u5", "u6", "u7"}, ids)
	assert.Equal(t, start+7, last)

	// The next transaction continues right after.
	_, err = s.Update(ctx, "user", "u3", setN(2))
	require.NoError(t, err)
	entries, _, err = s.Changes(ctx, last, storage.MaxFeedLimit)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, last+1, entries[0].Position)
	assert.Equal(t, "u3", entries[0].ID)
}
