package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

func runContext(t *testing.T, newStore NewStore) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	held := key("/email", "a@example.com")

	writes := []struct {
		name string
		op   func(s storage.Store) error
	}{
		{"CreateWritesNothing", func(s storage.Store) error {
			return s.Create(cancelled, newRecord("u2", key("/email", "b@example.com")), createEvent())
		}},
		{"UpdateWritesNothing", func(s storage.Store) error {
			_, err := s.Update(cancelled, userType, "u1", setKeys(at(1), key("/email", "b@example.com")))
			return err
		}},
		{"DeleteRemovesNothing", func(s storage.Store) error { return s.Delete(cancelled, userType, "u1") }},
	}
	for _, tc := range writes {
		t.Run("Cancelled"+tc.name, func(t *testing.T) {
			s := newStore(t)
			mustCreate(t, s, newRecord("u1", held))
			before := mustGet(t, s, "u1")

			assert.ErrorIs(t, tc.op(s), context.Canceled)

			assertSameRecord(t, before, mustGet(t, s, "u1"))
			_, err := s.Get(context.Background(), userType, "u2")
			assert.ErrorIs(t, err, storage.ErrNotFound)
			_, err = s.Find(context.Background(), userType, key("/email", "b@example.com"))
			assert.ErrorIs(t, err, storage.ErrNotFound)
			hist, err := s.History(context.Background(), userType, "u1")
			require.NoError(t, err)
			assert.Equal(t, []uint64{1}, versions(hist))
		})
	}

	t.Run("CancelledReadsFail", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, newRecord("u1", held))
		_, err := s.Get(cancelled, userType, "u1")
		assert.ErrorIs(t, err, context.Canceled, "Get")
		_, err = s.Find(cancelled, userType, held)
		assert.ErrorIs(t, err, context.Canceled, "Find")
		_, err = s.History(cancelled, userType, "u1")
		assert.ErrorIs(t, err, context.Canceled, "History")
	})
}

func runConcurrency(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("ConcurrentIncrementsLoseNoUpdate", func(t *testing.T) {
		const workers, perWorker = 32, 100
		s := newStore(t)
		rec := newRecord("u1")
		rec.Doc = map[string]any{"counter": json.Number("0"), "name": "counter"}
		mustCreate(t, s, rec)

		increment := func(r *storage.Record) (*storage.Event, error) {
			old := r.Doc["counter"]
			n, err := old.(json.Number).Int64()
			if err != nil {
				return nil, fmt.Errorf("counter: %w", err)
			}
			next := json.Number(itoa(int(n + 1)))
			r.Doc = withDoc(r.Doc, "counter", next)
			return &storage.Event{
				Time: at(int(n + 1)), Kind: "update",
				Changes: []storage.Change{{Path: "/counter", Op: "replace", Old: old, New: next}},
			}, nil
		}
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range perWorker {
					if _, err := s.Update(ctx, userType, "u1", increment); err != nil {
						t.Errorf("update: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()

		got := mustGet(t, s, "u1")
		assert.Equal(t, json.Number(itoa(workers*perWorker)), got.Doc["counter"])
		assert.Equal(t, uint64(workers*perWorker+1), got.Version)
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		assert.Equal(t, seq(workers*perWorker+1), versions(hist))
	})

	t.Run("RacingClaimsOfOneValueHaveOneWinner", func(t *testing.T) {
		const racers = 16
		s := newStore(t)
		for i := range racers {
			mustCreate(t, s, newRecord(id(i)))
		}
		claimed := key("/email", "claimed@example.com")

		errs := make([]error, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				_, errs[i] = s.Update(ctx, userType, id(i), setKeys(at(1), claimed))
			})
		}
		close(start)
		wg.Wait()

		winner := ""
		for i, err := range errs {
			switch {
			case err == nil:
				assert.Empty(t, winner, "%s and %s both won", winner, id(i))
				winner = id(i)
			case errors.Is(err, storage.ErrNotUnique):
			default:
				t.Errorf("racer %s: %v, want nil or ErrNotUnique", id(i), err)
			}
		}
		require.NotEmpty(t, winner, "nobody won")
		for i, err := range errs {
			if err != nil {
				assertNotUnique(t, err, claimed, winner, storage.Active)
				assert.Equal(t, uint64(1), mustGet(t, s, id(i)).Version, "loser %s unchanged", id(i))
			}
		}
		got, err := s.Find(ctx, userType, claimed)
		require.NoError(t, err)
		assert.Equal(t, winner, got.ID)
	})
}
