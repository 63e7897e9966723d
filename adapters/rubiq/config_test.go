package rubiq_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

func TestNewRefusesUnusableConfig(t *testing.T) {
	tests := map[string]func(c *rubiq.Config){
		"NoApps":                 func(c *rubiq.Config) { c.Apps = nil },
		"EmptyAppID":             func(c *rubiq.Config) { c.Apps[0].ID = "" },
		"ReservedAppID":          func(c *rubiq.Config) { c.Apps[0].ID = rubiq.SeedClient },
		"DuplicateAppID":         func(c *rubiq.Config) { c.Apps[1].ID = c.Apps[0].ID },
		"NoToken":                func(c *rubiq.Config) { c.Apps[0].Token = "" },
		"SharedToken":            func(c *rubiq.Config) { c.Apps[1].Token = c.Apps[0].Token },
		"MissingDefaultContract": func(c *rubiq.Config) { c.Apps[0].DefaultContract = "billing" },
		"BadContractID":          func(c *rubiq.Config) { c.Apps[0].Contracts["a/b"] = []string{"name"} },
		"UnknownField":           func(c *rubiq.Config) { c.Apps[0].Contracts["x"] = []string{"password"} },
		"EmptyContract":          func(c *rubiq.Config) { c.Apps[0].Contracts["x"] = nil },
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := rubiq.DemoConfig()
			breakIt(&cfg)
			_, err := rubiq.New(cfg, memory.New())
			assert.Error(t, err)
		})
	}
	t.Run("OK", func(t *testing.T) {
		_, err := rubiq.New(rubiq.DemoConfig(), memory.New())
		assert.NoError(t, err)
	})
}

func TestPolicyGrantsFollowContracts(t *testing.T) {
	p := rubiq.Policy(rubiq.DemoConfig())
	assert.Equal(t, update.Grant{Write: true, Paths: []string{"/city", "/email", "/mobile", "/name"}}, p.Grants["rubiq:demo-app"])
	assert.False(t, p.Grants["rubiq:demo-readonly"].Write)
	assert.Nil(t, p.DefaultGrant, "an unknown client may do nothing")
	_, err := update.New(memory.New(), p)
	assert.NoError(t, err, "the engine accepts the profile")
}

// SeedDemo leaves existing records alone, so running it twice, or after
// the demo records changed, changes nothing.
func TestSeedDemoIsIdempotent(t *testing.T) {
	e := newEnv(t)
	assertAnswer(t, e.put(byID1001, "city-oslo.json"), http.StatusOK, "200")
	before, other := e.snapshot("1001"), e.snapshot("1002")
	require.NoError(t, rubiq.SeedDemo(context.Background(), e.eng))
	assert.Equal(t, before, e.snapshot("1001"))
	assert.Equal(t, other, e.snapshot("1002"))
	assert.Equal(t, "inactive", string(mustView(t, e, "1002").State))
}

func mustView(tb testing.TB, e *env, id string) *update.View {
	tb.Helper()
	v, err := e.eng.Get(context.Background(), rubiq.EntityType, update.ByID(id))
	require.NoError(tb, err)
	return v
}

// Register puts the patterns on a mux shared with the other vendors' paths
// without colliding, and they serve as the handler's own mux does.
func TestRegisterOnSharedMux(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	foreign := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }
	for _, p := range []string{"POST /entity.update", "/entity.update", "/entity", "POST /oauth2/token", "/activityid/", "/v2/users/{rest...}"} {
		mux.HandleFunc(p, foreign)
	}
	h, err := rubiq.New(rubiq.DemoConfig(), e.store)
	require.NoError(t, err)
	require.NotPanics(t, func() { h.Register(mux) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	shared := &env{tb: t, srv: srv, eng: e.eng, rec: e.rec, clk: e.clk}

	assertAnswer(t, shared.put(byID1001, "city-oslo.json"), http.StatusOK, "200")
	assertAnswer(t, shared.verifyCode(verify1001, "123456"), http.StatusNotImplemented, "501.2")
	res := shared.do(http.MethodPatch, byExt1001+"/profile", appToken, nil)
	assertAnswer(t, res, http.StatusMethodNotAllowed, "405")
	assert.Equal(t, "PUT, GET", res.header.Get("Allow"))
	assert.Equal(t, http.StatusTeapot, shared.do(http.MethodPost, "/entity.update", "", nil).status)
}
