package storagetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// runMeta checks the optional storage.Meta, storage.PendingCounter and
// storage.Schema capabilities; a store without one skips its part.
func runMeta(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("Meta", func(t *testing.T) {
		m, ok := newStore(t).(storage.Meta)
		if !ok {
			t.Skip("the store does not implement storage.Meta")
		}
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := m.GetMeta(ctx, "absent")
			assert.ErrorIs(t, err, storage.ErrNotFound)
		})
		t.Run("InitKeepsTheFirstValue", func(t *testing.T) {
			v, err := m.InitMeta(ctx, "init", "first")
			require.NoError(t, err)
			assert.Equal(t, "first", v)
			v, err = m.InitMeta(ctx, "init", "second")
			require.NoError(t, err)
			assert.Equal(t, "first", v)
			got, err := m.GetMeta(ctx, "init")
			require.NoError(t, err)
			assert.Equal(t, "first", got)
		})
		t.Run("SetReplaces", func(t *testing.T) {
			require.NoError(t, m.SetMeta(ctx, "set", "one"))
			require.NoError(t, m.SetMeta(ctx, "set", "two ✓"))
			got, err := m.GetMeta(ctx, "set")
			require.NoError(t, err)
			assert.Equal(t, "two ✓", got)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for _, tc := range []struct{ name, value string }{
				{"", "v"}, {"with space", "v"}, {strings.Repeat("n", storage.MaxMetaName+1), "v"},
				{"nul", "a\x00b"}, {"utf8", "\xff"}, {"long", strings.Repeat("v", storage.MaxMetaValue+1)},
			} {
				assert.ErrorIs(t, m.SetMeta(ctx, tc.name, tc.value), storage.ErrInvalid, "SetMeta(%q)", tc.name)
				_, err := m.InitMeta(ctx, tc.name, tc.value)
				assert.ErrorIs(t, err, storage.ErrInvalid, "InitMeta(%q)", tc.name)
			}
			_, err := m.GetMeta(ctx, "nul")
			assert.ErrorIs(t, err, storage.ErrNotFound, "nothing was written")
		})
		t.Run("ConcurrentInitAgreesOnOneValue", func(t *testing.T) {
			const n = 8
			got := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					v, err := m.InitMeta(ctx, "race", string(rune('a'+i)))
					assert.NoError(t, err)
					got[i] = v
				})
			}
			wg.Wait()
			for _, v := range got {
				assert.Equal(t, got[0], v)
			}
		})
	})
	t.Run("CountPending", func(t *testing.T) {
		s := newStore(t)
		c, ok := s.(storage.PendingCounter)
		if !ok {
			t.Skip("the store does not implement storage.PendingCounter")
		}
		n, err := c.CountPending(ctx, at(10))
		require.NoError(t, err)
		assert.Zero(t, n, "an empty store")

		challenge := func(id string, state verify.State, expires time.Time) verify.Challenge {
			return verify.Challenge{ID: id, Path: "/" + id, Channel: verify.Email, Value: []byte(`"x@example.com"`),
				CodeHash: []byte{1, 2, 3}, Created: t0, Expires: expires, State: state, Held: true}
		}
		a := newRecord("a")
		a.Pending = []verify.Challenge{challenge("open", verify.Pending, at(100)), challenge("late", verify.Pending, at(5))}
		b := newRecord("b")
		b.Pending = []verify.Challenge{challenge("done", verify.Confirmed, at(100)), challenge("open2", verify.Pending, at(100))}
		mustCreate(t, s, a)
		mustCreate(t, s, b)
		mustCreate(t, s, newRecord("c"))

		n, err = c.CountPending(ctx, at(10))
		require.NoError(t, err)
		assert.Equal(t, 2, n, "open and unexpired only")
		n, err = c.CountPending(ctx, at(1))
		require.NoError(t, err)
		assert.Equal(t, 3, n)
	})
	t.Run("SchemaVersion", func(t *testing.T) {
		sv, ok := newStore(t).(storage.Schema)
		if !ok {
			t.Skip("the store does not implement storage.Schema")
		}
		have, want, err := sv.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Positive(t, want)
		assert.Equal(t, want, have, "a freshly opened store is migrated")
	})
}
