package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

// TestFeedPositionCannotCommitLate holds a feed position in an open
// transaction, as a slow writer between taking its position and committing
// would: a later writer must wait for it rather than commit a higher
// position first, and readers see neither until the first commits. When
// the first rolls back, the later writer takes its position: no gap.
func TestFeedPositionCannotCommitLate(t *testing.T) {
	for _, end := range []string{"COMMIT", "ROLLBACK"} {
		t.Run(end, func(t *testing.T) {
			s, schema := openStore(t)
			ctx := context.Background()
			slow := connect(t, schema)
			_, err := slow.Exec(ctx, `BEGIN`)
			require.NoError(t, err)
			_, err = slow.Exec(ctx, `WITH h AS (UPDATE feed_head SET pos = pos + 1 RETURNING pos)
				INSERT INTO feed (pos, type, id, version, time, time_nanos, kind, actor, client)
				SELECT h.pos, 'user', 'slow', 1, now(), 0, 'create', '', '' FROM h`)
			require.NoError(t, err)

			created := make(chan error, 1)
			go func() {
				rec := &storage.Record{Type: "user", ID: "fast", State: storage.Active, Doc: map[string]any{}}
				created <- s.Create(ctx, rec, storage.Event{Time: time.Now(), Kind: "create"})
			}()
			select {
			case err := <-created:
				t.Fatalf("the later writer committed while an earlier position was open: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			es, next, err := s.Changes(ctx, 0, 0)
			require.NoError(t, err)
			assert.Empty(t, es)
			assert.Zero(t, next)

			_, err = slow.Exec(ctx, end)
			require.NoError(t, err)
			require.NoError(t, <-created)
			es, _, err = s.Changes(ctx, 0, 0)
			require.NoError(t, err)
			var got []string
			for _, e := range es {
				got = append(got, e.ID)
			}
			if end == "COMMIT" {
				assert.Equal(t, []string{"slow", "fast"}, got)
				assert.Equal(t, []uint64{1, 2}, []uint64{es[0].Position, es[1].Position})
			} else {
				assert.Equal(t, []string{"fast"}, got)
				assert.Equal(t, uint64(1), es[0].Position)
			}
		})
	}
}
