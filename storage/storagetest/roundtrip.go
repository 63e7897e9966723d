package storagetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
)

func runRoundTrip(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	docs := []struct {
		name string
		doc  map[string]any
	}{
		{"NumbersKeepFullPrecision", map[string]any{
			"big":      json.Number("12345678901234567890"),
			"fraction": json.Number("0.1000000000000000055511151231257827"),
			"negative": json.Number("-9007199254740993"),
			"list":     []any{json.Number("18446744073709551615"), json.Number("1.5")},
			"nested":   map[string]any{"n": json.Number("0.30000000000000000000000000001")},
		}},
		{"NestedDocumentsKeepTheirShape", map[string]any{
			"address": map[string]any{
				"lines": []any{"12 St James's Square", "Flat 3"},
				"geo":   map[string]any{"lat": json.Number("51.5074"), "verified": true},
			},
			"statuses":   []any{map[string]any{"id": json.Number("1"), "status": "ok"}, map[string]any{"id": json.Number("2"), "status": nil}},
			"emptyMap":   map[string]any{},
			"emptyList":  []any{},
			"nothing":    nil,
			"flagFalse":  false,
			"deep":       map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{[]any{"d"}}}}},
			"emptyText":  "",
			"whitespace": " \t leading and trailing \t ",
		}},
		{"UnicodeAndEscapesSurvive", map[string]any{
			"name":       "Zoë Ångström",
			"city":       "東京",
			"emoji":      "👩🏽‍💻 ✓",
			"rtl":        "مرحبا",
			"quotes":     `she said "hi" \ back\slash`,
			"controls":   "line\nbreak\ttab\r",
			"html":       "<script>&amp;</script>",
			"ключ":       "значение",
			"surrogates": "𝄞 music",
		}},
	}
	for _, tc := range docs {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			rec := newRecord("u1")
			rec.Doc = tc.doc
			mustCreate(t, s, rec)
			assert.Equal(t, tc.doc, mustGet(t, s, "u1").Doc, "after Create")

			mustCreate(t, s, newRecord("u2"))
			got, err := s.Update(ctx, userType, "u2", func(r *storage.Record) (*storage.Event, error) {
				r.Doc = tc.doc
				return &storage.Event{Time: at(1), Kind: "update", Changes: []storage.Change{{Path: "/x", Op: "replace", Old: tc.doc, New: tc.doc}}}, nil
			})
			require.NoError(t, err)
			assert.Equal(t, tc.doc, got.Doc, "returned by Update")
			assert.Equal(t, tc.doc, mustGet(t, s, "u2").Doc, "after Update")

			hist, err := s.History(ctx, userType, "u2")
			require.NoError(t, err)
			require.Len(t, hist, 2)
			require.Len(t, hist[1].Changes, 1)
			assert.Equal(t, map[string]any(tc.doc), hist[1].Changes[0].Old, "event Old")
			assert.Equal(t, map[string]any(tc.doc), hist[1].Changes[0].New, "event New")
		})
	}

	t.Run("SecretsSurvive", func(t *testing.T) {
		s := newStore(t)
		secrets := map[string]string{
			"/password":      "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
			"/pin":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
			"/security/answ": "hash",
		}
		rec := newRecord("u1")
		rec.Secrets = secrets
		mustCreate(t, s, rec)
		assert.Equal(t, secrets, mustGet(t, s, "u1").Secrets, "after Create")

		changed := map[string]string{"/password": "$argon2id$v=19$new"}
		_, err := s.Update(ctx, userType, "u1", func(r *storage.Record) (*storage.Event, error) {
			r.Secrets = changed
			return &storage.Event{Time: at(1), Kind: "update"}, nil
		})
		require.NoError(t, err)
		assert.Equal(t, changed, mustGet(t, s, "u1").Secrets, "after Update")
	})

	t.Run("PendingChallengesSurviveCreate", func(t *testing.T) {
		s := newStore(t)
		rec := newRecord("u1")
		rec.Pending = challenges()
		mustCreate(t, s, rec)
		got := mustGet(t, s, "u1")
		assert.Equal(t, canonical(rec).Pending, canonical(got).Pending)
	})

	t.Run("TimesKeepNanosecondsInAnyZone", func(t *testing.T) {
		s := newStore(t)
		zone := time.FixedZone("IST", 5*3600+30*60)
		created := time.Date(2026, 1, 2, 3, 4, 5, 999999999, zone)
		rec := newRecord("u1")
		rec.Created = created
		ev := createEvent()
		ev.Time = time.Date(2026, 1, 2, 3, 4, 6, 1, zone)
		require.NoError(t, s.Create(ctx, rec, ev))

		updated := time.Date(2026, 6, 30, 23, 59, 59, 999999999, time.FixedZone("PDT", -7*3600))
		_, err := s.Update(ctx, userType, "u1", setDoc(map[string]any{}, updated))
		require.NoError(t, err)

		got := mustGet(t, s, "u1")
		assert.True(t, got.Created.Equal(created), "Created %v, want %v", got.Created, created)
		assert.True(t, got.Updated.Equal(updated), "Updated %v, want %v", got.Updated, updated)
		hist, err := s.History(ctx, userType, "u1")
		require.NoError(t, err)
		require.Len(t, hist, 2)
		assert.True(t, hist[0].Time.Equal(ev.Time), "create event time %v, want %v", hist[0].Time, ev.Time)
		assert.True(t, hist[1].Time.Equal(updated), "update event time %v, want %v", hist[1].Time, updated)
	})
}
