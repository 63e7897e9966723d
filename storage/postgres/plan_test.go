package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
)

// TestEqIsAnIndexLookup checks, with EXPLAIN on 3,000 analyzed records,
// that eq with a key hint (a unique attribute) or a term hint (a
// declared-indexed one, also inside any) is planned as a scan of the keys
// or terms index and a lookup of records by primary key, with no
// sequential scan of a table.
func TestEqIsAnIndexLookup(t *testing.T) {
	s, schema := openStore(t)
	ctx := context.Background()
	const n = 3000
	city := func(i int) string { return fmt.Sprintf("City %d", i%300) }
	email := func(i int) string { return fmt.Sprintf("user%05d@example.com", i) }
	termOf := func(name, v string) storage.Key {
		term, ok := storage.IndexTerm(v, true)
		require.True(t, ok)
		return storage.Key{Name: name, Value: term}
	}
	for i := range n {
		rec := &storage.Record{Type: "user", ID: fmt.Sprintf("u%05d", i), State: storage.Active,
			Doc:   map[string]any{"email": email(i), "city": city(i), "emails": []any{map[string]any{"value": email(i)}}},
			Keys:  []storage.Key{{Name: "/email", Value: email(i)}},
			Terms: []storage.Key{termOf("/city", city(i)), termOf("/emails/*/value", email(i))}}
		require.NoError(t, s.Create(ctx, rec, storage.Event{Time: time.Now(), Kind: "create"}))
	}
	conn := connect(t, schema)
	_, err := conn.Exec(ctx, "ANALYZE records; ANALYZE keys; ANALYZE terms")
	require.NoError(t, err)

	hint := func(k storage.Key) *storage.Key { return &k }
	cases := []struct {
		name   string
		filter storage.Filter
		index  string
		want   int
	}{
		{"UniqueKey", storage.Filter{Op: storage.Eq, Path: "/email", Value: email(42), Key: &storage.Key{Name: "/email", Value: email(42)}},
			"keys_pkey", 1},
		{"DeclaredIndex", storage.Filter{Op: storage.Eq, Path: "/city", Value: "CITY 7", Fold: true, Term: hint(termOf("/city", "city 7"))},
			"terms_pkey", n / 300},
		{"DeclaredIndexInsideAny", storage.Filter{Op: storage.Any, Path: "/emails", Args: []storage.Filter{
			{Op: storage.Eq, Path: "/value", Value: strings.ToUpper(email(42)), Fold: true, Term: hint(termOf("/emails/*/value", email(42)))}}},
			"terms_pkey", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := storage.Query{Type: "user", Filter: &tc.filter, Limit: 1000}
			query, args := postgres.ListSQL(q)
			rows, err := conn.Query(ctx, "EXPLAIN "+query, args...)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var line string
				require.NoError(t, rows.Scan(&line))
				plan = append(plan, line[:min(len(line), 160)]) // the fold table makes lines long
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			t.Logf("plan:\n%s", text)
			for _, table := range []string{"records", "keys", "terms"} {
				assert.NotContains(t, text, "Seq Scan on "+table, "a sequential scan")
			}
			assert.Contains(t, text, tc.index, "starts from the index")
			assert.Contains(t, text, "records_pkey", "reads records by primary key")

			page, err := s.List(ctx, q)
			require.NoError(t, err)
			assert.Len(t, page.Records, tc.want)
		})
	}
}
