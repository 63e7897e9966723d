package storagetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

func runInvalid(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	free := key("/email", "free@example.com")

	creates := []struct {
		name   string
		change func(rec *storage.Record, ev *storage.Event)
	}{
		{"EmptyTypeIsRefused", func(r *storage.Record, _ *storage.Event) { r.Type = "" }},
		{"EmptyIDIsRefused", func(r *storage.Record, _ *storage.Event) { r.ID = "" }},
		{"OversizedIDIsRefused", func(r *storage.Record, _ *storage.Event) { r.ID = strings.Repeat("x", 256) }},
		{"EmptyStateIsRefused", func(r *storage.Record, _ *storage.Event) { r.State = "" }},
		{"UnknownStateIsRefused", func(r *storage.Record, _ *storage.Event) { r.State = "deleted" }},
		{"EmptyKeyNameIsRefused", func(r *storage.Record, _ *storage.Event) { r.Keys = append(r.Keys, key("", "x")) }},
		{"EmptyKeyValueIsRefused", func(r *storage.Record, _ *storage.Event) { r.Keys = append(r.Keys, key("/phone", "")) }},
		{"OversizedKeyValueIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Keys = append(r.Keys, key("/phone", strings.Repeat("9", 1025)))
		}},
		{"RepeatedKeyIsRefused", func(r *storage.Record, _ *storage.Event) { r.Keys = append(r.Keys, free) }},
		{"EmptyTermValueIsRefused", func(r *storage.Record, _ *storage.Event) { r.Terms = append(r.Terms, key("/city", "")) }},
		{"OversizedTermValueIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Terms = append(r.Terms, key("/city", strings.Repeat("z", 1025)))
		}},
		{"RepeatedTermIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Terms = append(r.Terms, key("/city", "szurich"), key("/city", "szurich"))
		}},
		{"EventWithoutTimeIsRefused", func(_ *storage.Record, ev *storage.Event) { ev.Time = time.Time{} }},
	}
	for _, tc := range creates {
		t.Run("Create"+tc.name, func(t *testing.T) {
			s := newStore(t)
			rec, ev := newRecord("u1", free), createEvent()
			tc.change(rec, &ev)
			assert.ErrorIs(t, s.Create(ctx, rec, ev), storage.ErrInvalid)

			_, err := s.Get(ctx, userType, "u1")
			assert.ErrorIs(t, err, storage.ErrNotFound, "nothing stored")
			_, err = s.Find(ctx, userType, free)
			assert.ErrorIs(t, err, storage.ErrNotFound, "no key indexed")
		})
	}

	t.Run("CreateNilRecordIsRefused", func(t *testing.T) {
		s := newStore(t)
		assert.ErrorIs(t, s.Create(ctx, nil, createEvent()), storage.ErrInvalid)
	})

	updates := []struct {
		name   string
		change func(rec *storage.Record, ev *storage.Event)
	}{
		{"EmptyStateIsRefused", func(r *storage.Record, _ *storage.Event) { r.State = "" }},
		{"EmptyKeyValueIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Keys = []storage.Key{key("/phone", "")}
		}},
		{"RepeatedKeyIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Keys = []storage.Key{key("/phone", "+1555"), key("/phone", "+1555")}
		}},
		{"RepeatedTermIsRefused", func(r *storage.Record, _ *storage.Event) {
			r.Terms = []storage.Key{key("/city", "szurich"), key("/city", "szurich")}
		}},
		{"EventWithoutTimeIsRefused", func(_ *storage.Record, ev *storage.Event) { ev.Time = time.Time{} }},
	}
	for _, tc := range updates {
		t.Run("Update"+tc.name, func(t *testing.T) {
			s := newStore(t)
			mustCreate(t, s, newRecord("u1", free))
			before := mustGet(t, s, "u1")

			_, err := s.Update(ctx, userType, "u1", func(rec *storage.Record) (*storage.Event, error) {
				rec.Doc = map[string]any{"name": "should not land"}
				ev := &storage.Event{Time: at(1), Kind: "update"}
				tc.change(rec, ev)
				return ev, nil
			})
			assert.ErrorIs(t, err, storage.ErrInvalid)

			assertSameRecord(t, before, mustGet(t, s, "u1"))
			hist, err := s.History(ctx, userType, "u1")
			require.NoError(t, err)
			assert.Equal(t, []uint64{1}, versions(hist), "no event for a refused update")
		})
	}
}
