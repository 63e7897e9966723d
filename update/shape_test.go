package update_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// TestResultJSONShape marshals the Results of a Create (whose first email
// opens a verification that, without a dispatcher, reports why it was not
// sent), of an Apply that returns its code and the record, and a View,
// and compares them with testdata/result.golden.json.
func TestResultJSONShape(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 0
	eng, err := update.New(memory.New(), examplePolicy(),
		update.WithClock(func() time.Time { return now }),
		update.WithIDGenerator(func() string { n++; return fmt.Sprintf("id-%d", n) }),
		update.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)

	created, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1",
		Doc: map[string]any{"givenName": "Matthew", "familyName": "Park", "email": "matt@example.com"}})
	require.NoError(t, err)
	require.Len(t, created.Pending, 1, "Create starts the verification of the first email")
	assert.Contains(t, created.Pending[0].DispatchError, "no dispatcher configured")

	applied, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Mode: update.Merge,
		Doc:           map[string]any{"givenName": "Matt", "email": "matt@example.org"},
		Delivery:      map[string]update.Delivery{"/email": {Kind: update.ReturnCode}},
		IncludeRecord: true})
	require.NoError(t, err)
	require.Len(t, applied.Pending, 1)
	require.Regexp(t, `^[0-9A-Z]{6}$`, applied.Pending[0].Code)

	view, err := eng.Get(ctx, "user", update.ByID("u1"))
	require.NoError(t, err)

	out, err := json.MarshalIndent(map[string]any{"create": created, "apply": applied, "get": view}, "", "  ")
	require.NoError(t, err)
	got := regexp.MustCompile(`"code": "[0-9A-Z]{6}"`).ReplaceAllString(string(out), `"code": "<6 characters>"`) + "\n"
	golden := filepath.Join("testdata", "result.golden.json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "go test -run TestResultJSONShape -update rewrites %s", golden)
	assert.NotRegexp(t, `"[A-Z][A-Za-z]*":`, got, "no Go field names")
}
