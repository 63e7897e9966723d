package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func TestLogDispatcher(t *testing.T) {
	t.Run("LogsCode", func(t *testing.T) {
		var buf bytes.Buffer
		d := verify.LogDispatcher{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}

		require.NoError(t, d.Dispatch(context.Background(), sampleMessage()))

		var rec map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
		assert.Equal(t, secretCode, rec["code"])
		assert.Equal(t, "new@example.com", rec["to"])
		assert.Equal(t, "email", rec["channel"])
		assert.Equal(t, "/email", rec["path"])
		assert.Equal(t, "https://example.com/verify?c="+secretCode, rec["link"])
		assert.Equal(t, "2026-03-01T13:00:00Z", rec["expires"])
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		var buf bytes.Buffer
		d := verify.LogDispatcher{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		assert.ErrorIs(t, d.Dispatch(ctx, sampleMessage()), context.Canceled)
		assert.Zero(t, buf.Len())
	})
}

func TestRecorder(t *testing.T) {
	ctx := context.Background()
	msg := func(to, code string) verify.Message { return verify.Message{To: to, Code: code} }

	t.Run("Empty", func(t *testing.T) {
		var r verify.Recorder
		_, ok := r.Last()
		assert.False(t, ok)
		_, ok = r.CodeFor("a@example.com")
		assert.False(t, ok)
		assert.Empty(t, r.Messages())
	})
	t.Run("Records", func(t *testing.T) {
		var r verify.Recorder
		require.NoError(t, r.Dispatch(ctx, msg("a@example.com", "AAAA01")))
		require.NoError(t, r.Dispatch(ctx, msg("b@example.com", "BBBB01")))
		require.NoError(t, r.Dispatch(ctx, msg("a@example.com", "AAAA02")))

		last, ok := r.Last()
		assert.True(t, ok)
		assert.Equal(t, "AAAA02", last.Code)
		code, ok := r.CodeFor("a@example.com")
		assert.True(t, ok)
		assert.Equal(t, "AAAA02", code, "the latest code to an address wins")
		code, ok = r.CodeFor("b@example.com")
		assert.True(t, ok)
		assert.Equal(t, "BBBB01", code)

		got := r.Messages()
		assert.Len(t, got, 3)
		got[0].Code = "CHANGED"
		assert.Equal(t, "AAAA01", r.Messages()[0].Code, "Messages must return a copy")
	})
	t.Run("FailWith", func(t *testing.T) {
		var r verify.Recorder
		down := errors.New("gateway down")
		r.FailWith(down)
		assert.ErrorIs(t, r.Dispatch(ctx, msg("a@example.com", "AAAA01")), down)
		assert.Empty(t, r.Messages(), "a failed send is not recorded")

		r.FailWith(nil)
		assert.NoError(t, r.Dispatch(ctx, msg("a@example.com", "AAAA01")))
		assert.Len(t, r.Messages(), 1)
	})
	t.Run("Reset", func(t *testing.T) {
		var r verify.Recorder
		require.NoError(t, r.Dispatch(ctx, msg("a@example.com", "AAAA01")))
		r.FailWith(errors.New("down"))
		r.Reset()
		assert.Empty(t, r.Messages())
		assert.NoError(t, r.Dispatch(ctx, msg("a@example.com", "AAAA02")), "Reset clears the failure too")
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		var r verify.Recorder
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, r.Dispatch(cctx, msg("a@example.com", "AAAA01")), context.Canceled)
		assert.Empty(t, r.Messages())
	})
	t.Run("Concurrent", func(t *testing.T) {
		var r verify.Recorder
		const workers, each = 8, 50
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					to := fmt.Sprintf("w%d@example.com", w)
					assert.NoError(t, r.Dispatch(ctx, msg(to, fmt.Sprintf("C%03d", i))))
					r.Last()
					r.CodeFor(to)
				}
			})
		}
		wg.Wait()
		assert.Len(t, r.Messages(), workers*each)
		for w := range workers {
			code, ok := r.CodeFor(fmt.Sprintf("w%d@example.com", w))
			assert.True(t, ok)
			assert.Equal(t, fmt.Sprintf("C%03d", each-1), code)
		}
	})
}
