package janrain_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/internal/curltest"
)

// readCurl returns a seed example's curl command as the vendor page prints
// it.
func readCurl(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name+".curl"))
	require.NoError(tb, err)
	return string(b)
}

// assertBody compares a response body with a fixture; request_id is
// checked for presence and left out of the comparison.
func assertBody(tb testing.TB, fixture string, r response) {
	tb.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", fixture))
	require.NoError(tb, err)
	got := map[string]any{}
	for k, v := range r.body {
		got[k] = v
	}
	if got["stat"] == "error" {
		assert.NotEmpty(tb, got["request_id"], "request_id")
		delete(got, "request_id")
	}
	gotJSON, err := json.Marshal(got)
	require.NoError(tb, err)
	assert.JSONEq(tb, string(want), string(gotJSON))
}

func TestSeedExample1_UpdatesGivenAndFamilyNameAsWritten(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t, janrain.DemoID)

	r := send(t, curltest.Request(t, readCurl(t, "example1"), e.srv.URL))

	assert.Equal(t, 200, r.status)
	assertBody(t, "seed/example1.response.json", r)
	v := e.view(t, janrain.DemoID)
	assert.Equal(t, "Matt", v.Doc["givenName"])
	assert.Equal(t, "Parker", v.Doc["familyName"])
	assert.Equal(t, "Matt P", v.Doc["displayName"], "attributes not sent stay")
	assert.Equal(t, before.Version+1, v.Version)
}

func TestSeedExample2_UpdatesPluralElement5253WithAWorkingCredential(t *testing.T) {
	e := newEnv(t)
	text := readCurl(t, "example2")
	const elided = "Basic aW1fYV...NfbXk="
	require.Contains(t, text, elided)

	t.Run("ElidedCredentialIsRefused", func(t *testing.T) {
		before := e.snapshot(t, janrain.DemoID)
		r := send(t, curltest.Request(t, text, e.srv.URL))
		assert.Equal(t, 401, r.status)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Basic")
		assert.Equal(t, "client_permission_error", r.body["error"])
		assert.Equal(t, before, e.snapshot(t, janrain.DemoID))
	})
	t.Run("OK", func(t *testing.T) {
		r := send(t, curltest.Request(t, strings.Replace(text, elided, basic(ownerID, ownerSecret), 1), e.srv.URL))
		assert.Equal(t, 200, r.status)
		assertBody(t, "seed/example2.response.json", r)
		v := e.view(t, janrain.DemoID)
		assert.Equal(t, []any{map[string]any{"id": json.Number("5253"), "status": "active"}}, v.Doc["statuses"])
	})
}

func TestSeedExample3_IsInvalidArgumentAsWrittenAndWorksCorrected(t *testing.T) {
	e := newEnv(t)
	text := readCurl(t, "example3")

	t.Run("InvalidArgumentNamingValue", func(t *testing.T) {
		before := e.snapshot(t, janrain.DemoSecondID)
		r := send(t, curltest.Request(t, text, e.srv.URL))
		assert.Equal(t, 400, r.status)
		assertBody(t, "seed/example3.response.json", r)
		assert.Equal(t, before, e.snapshot(t, janrain.DemoSecondID))
	})
	t.Run("CorrectedValueUpdatesDisplayName", func(t *testing.T) {
		const slip, fixed = `value='{"Gary Jackson"}'`, `value='"Gary Jackson"'`
		require.Contains(t, text, slip)
		r := send(t, curltest.Request(t, strings.Replace(text, slip, fixed, 1), e.srv.URL))
		assert.Equal(t, 200, r.status)
		assertBody(t, "seed/example3-corrected.response.json", r)
		assert.Equal(t, "Gary Jackson", e.view(t, janrain.DemoSecondID).Doc["displayName"])
	})
}

func TestSeedDemo_LeavesExistingRecordsAlone(t *testing.T) {
	e := newEnv(t)
	r := e.post(t, "entity.update", form("type_name", "user", "id", janrain.DemoID, "value", `{"givenName":"Changed"}`))
	require.Equal(t, 200, r.status)
	before := e.snapshot(t, janrain.DemoID)

	require.NoError(t, janrain.SeedDemo(t.Context(), e.eng))

	assert.Equal(t, before, e.snapshot(t, janrain.DemoID))
}
