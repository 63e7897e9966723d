package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/internal/curltest"
	"github.com/idupdate/idupdate/update"
)

// TestSeedRequests starts the server with the demo data and replays the
// vendors' own documented requests against it, on each store.
func TestSeedRequests(t *testing.T) {
	stores := durableStores(t)
	stores["Memory"] = func(*testing.T) testStore { return testStore{spec: "memory"} }
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			st := store(t)
			s := startShimEnv(t, st.env, "-store", st.spec)
			t.Run("Janrain", func(t *testing.T) { replayJanrain(t, s) })
			t.Run("ZITADEL", func(t *testing.T) { replayZITADEL(t, s) })
			t.Run("DRUID", func(t *testing.T) { replayDRUID(t, s) })
			t.Run("Rubiq", func(t *testing.T) { replayRubiq(t, s) })
			t.Run("LogsCarryNoSecrets", func(t *testing.T) { assertLogsClean(t, s) })
		})
	}
}

// assertLogsClean checks the server's log after a replay: one line per
// request with its fields and without a query string, and no credential,
// password, verifier or code anywhere but on the development dispatcher's
// own lines.
func assertLogsClean(t testing.TB, s *shim) {
	t.Helper()
	lines := s.logLines(t)
	requests := 0
	var codes []string
	for _, l := range lines {
		switch l["msg"] {
		case "request":
			requests++
			for _, k := range []string{"method", "path", "status", "duration", "request_id"} {
				assert.Contains(t, l, k)
			}
			assert.NotContains(t, l["path"], "?")
		case "verification code":
			codes = append(codes, l["code"].(string))
		}
	}
	assert.Greater(t, requests, 20)
	require.NotEmpty(t, codes)

	var other strings.Builder
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if !strings.Contains(line, `"msg":"verification code"`) {
			other.WriteString(line + "\n")
		}
	}
	secrets := []string{
		"Secr3tP4ssw0rd!", "code_verifier", druid.DemoSecret,
		strings.TrimPrefix(basicAuth(janrainOwner2), "Authorization: Basic "),
		"wt4c3un9wkkcfvyknqx44ync476afs68", "unjze9nwkfuy6jpw838qpa7ad3hdnya6", "demo_reader_secret",
		rubiqAppToken, rubiqReadonlyToken, "demo-zitadel-admin",
	}
	for _, secret := range secrets {
		assert.False(t, strings.Contains(other.String(), secret), "the log carries %q", secret)
	}
	for _, c := range codes {
		assert.NotRegexp(t, `\b`+regexp.QuoteMeta(c)+`\b`, other.String(), "a code outside the dispatcher's lines")
	}
}

// TestRestartKeepsChangesAndPendingCodes makes a change through every
// adapter on a durable store, restarts the server, and reads the changes
// back and confirms, after the restart, the codes issued before it.
func TestRestartKeepsChangesAndPendingCodes(t *testing.T) {
	for name, store := range durableStores(t) {
		t.Run(name, func(t *testing.T) { testRestart(t, store(t)) })
	}
}

func testRestart(t *testing.T, st testStore) {
	first := startShimEnv(t, st.env, "-store", st.spec)
	t.Run("Janrain", func(t *testing.T) {
		r := first.send(t, curltest.Request(t, string(fixture(t, "seed/janrain-example1.curl")), first.base))
		require.Equal(t, 200, r.status, string(r.body))
	})
	var zitadelCode string
	t.Run("ZITADEL", func(t *testing.T) { zitadelCode = zitadelResolvedUpdate(t, first) })
	t.Run("DRUID", func(t *testing.T) { druidHeldUpdate(t, first) })
	t.Run("Rubiq", func(t *testing.T) { rubiqSeedUpdate(t, first) })
	druidCode := first.codeFor(t, "jane.new@example.com")
	rubiqCode := first.codeFor(t, "mailbox@mailserver.com")
	first.stop(t)

	if path, ok := strings.CutPrefix(st.spec, "sqlite:"); ok {
		info, err := os.Stat(path + ".key")
		require.NoError(t, err, "the code key lives beside the database")
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	}

	second := startShimEnv(t, st.env, "-store", st.spec)
	t.Run("JanrainReadsTheChange", func(t *testing.T) {
		rec := janrainRecord(t, second, janrain.DemoID)
		assert.Equal(t, "Matt", rec["givenName"])
		assert.Equal(t, "Parker", rec["familyName"])
	})
	t.Run("ZITADELVerifiesWithTheCodeFromBefore", func(t *testing.T) {
		require.NotEmpty(t, zitadelCode)
		assert.Equal(t, "minnie-mouse", dig(t, zitadelUser(t, second), "user", "username"))
		zitadelVerifyEmail(t, second, zitadelCode)
	})
	t.Run("DRUIDConfirmsWithTheCodeFromBefore", func(t *testing.T) {
		r := druidConfirm(t, second, druidCode)
		assert.Equal(t, 200, r.status, string(r.body))
	})
	t.Run("RubiqVerifiesWithTheCodeFromBefore", func(t *testing.T) {
		r := rubiqVerify(t, second, rubiqCode)
		assert.Equal(t, 204, r.status, string(r.body))
	})
	second.stop(t)

	// DRUID and Rubiq serve no read, so the store itself is asked.
	t.Run("StoreHoldsTheConfirmedValues", func(t *testing.T) {
		u := stored(t, st.spec, druid.Policy(druid.DemoConfig()), druid.EntityType, druid.DemoUserID)
		assert.Equal(t, "jane.new@example.com", u.Doc["email"])
		assert.Equal(t, true, u.Doc["emailConfirmed"])

		e := stored(t, st.spec, rubiq.Policy(rubiq.DemoConfig()), rubiq.EntityType, "1001")
		assert.Equal(t, "John Doe", e.Doc["name"])
		assert.Equal(t, "mailbox@mailserver.com", e.Doc["email"])
	})
}

// stored reads a record straight from the store named by spec, whose
// server has stopped.
func stored(tb testing.TB, spec string, policy *update.Policy, typ, id string) *update.View {
	tb.Helper()
	parsed, err := storeopen.ParseSpec(spec, "")
	require.NoError(tb, err)
	ctx := context.Background()
	st, err := parsed.Open(ctx)
	require.NoError(tb, err)
	defer st.Close()
	eng, err := update.New(st, policy)
	require.NoError(tb, err)
	v, err := eng.Get(ctx, typ, update.ByID(id))
	require.NoError(tb, err)
	return v
}
