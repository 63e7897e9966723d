package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of the statement List runs
// for q, one step per line.
func queryPlan(t *testing.T, path string, q storage.Query) string {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	defer db.Close()
	query, args := sqlite.ListSQL(q)
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		steps = append(steps, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(steps, "\n")
}

// TestEqIsAnIndexLookup checks, with EXPLAIN QUERY PLAN on a file of 2,000
// records, that eq with a key hint (a unique attribute) or a term hint (a
// declared-indexed one, also inside any) reads one range of the keys or
// terms index and the records by primary key, and scans no table.
func TestEqIsAnIndexLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.db")
	s := openStore(t, path)
	ctx := context.Background()
	city := func(i int) string { return []string{"Zürich", "Geneva", "Basel"}[i%3] }
	for i := range 2000 {
		rec := &storage.Record{Type: "user", ID: idOf(i), State: storage.Active,
			Doc:  map[string]any{"email": emailOf(i), "city": city(i), "emails": []any{map[string]any{"value": emailOf(i)}}},
			Keys: []storage.Key{{Name: "/email", Value: emailOf(i)}}}
		for name, v := range map[string]string{"/city": city(i), "/emails/*/value": emailOf(i)} {
			term, ok := storage.IndexTerm(v, true)
			require.True(t, ok)
			rec.Terms = append(rec.Terms, storage.Key{Name: name, Value: term})
		}
		require.NoError(t, s.Create(ctx, rec, storage.Event{Time: at(1), Kind: "create"}))
	}
	termOf := func(name, v string) *storage.Key {
		term, _ := storage.IndexTerm(v, true)
		return &storage.Key{Name: name, Value: term}
	}
	email := emailOf(42)
	cases := []struct {
		name   string
		filter storage.Filter
		index  string
		want   int
	}{
		{"UniqueKey", storage.Filter{Op: storage.Eq, Path: "/email", Value: email, Key: &storage.Key{Name: "/email", Value: email}},
			"k USING", 1},
		{"DeclaredIndex", storage.Filter{Op: storage.Eq, Path: "/city", Value: "ZÜRICH", Fold: true, Term: termOf("/city", "zürich")},
			"t USING", 667},
		{"DeclaredIndexInsideAny", storage.Filter{Op: storage.Any, Path: "/emails", Args: []storage.Filter{
			{Op: storage.Eq, Path: "/value", Value: strings.ToUpper(email), Fold: true, Term: termOf("/emails/*/value", email)}}},
			"t USING", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := storage.Query{Type: "user", Filter: &tc.filter, Limit: 1000}
			plan := queryPlan(t, path, q)
			t.Logf("plan:\n%s", plan)
			for _, step := range strings.Split(plan, "\n") {
				assert.False(t, strings.HasPrefix(step, "SCAN r") || strings.HasPrefix(step, "SCAN records") ||
					strings.HasPrefix(step, "SCAN k") || strings.HasPrefix(step, "SCAN t"), "a table scan: %s", step)
			}
			assert.Contains(t, plan, "SEARCH "+tc.index, "starts from the index")
			assert.Regexp(t, `SEARCH r USING (INDEX sqlite_autoindex_records_1|PRIMARY KEY) \(type=\? AND id=\?\)`, plan,
				"reads records by primary key")

			page, err := s.List(ctx, q)
			require.NoError(t, err)
			assert.Len(t, page.Records, tc.want, fmt.Sprintf("%+v", tc.filter))
		})
	}
}
