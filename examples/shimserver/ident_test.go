package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/zitadel"
)

// janrainWriter is the client of the vendor's first entity.update example.
const janrainWriter = "sgnyvus6pc4jm7khr2neq5gs89gbr2eq:wt4c3un9wkkcfvyknqx44ync476afs68"

// allStores are the stores every vendor's spoof test runs on: memory,
// SQLite and, when a server is named, PostgreSQL.
func allStores(t *testing.T) map[string]func(t *testing.T) testStore {
	stores := durableStores(t)
	stores["memory"] = func(*testing.T) testStore { return testStore{spec: "memory", env: map[string]string{}} }
	return stores
}

// TestSpoofedIdentifiersRefused sends, to each vendor on each store, values
// that imitate a demo user's username or email (invisible characters,
// look-alike letters of other scripts, fullwidth forms, NUL, an unpaired
// surrogate). Each is refused with the vendor's validation or uniqueness
// error, never a 5xx, and the stored users keep their values.
func TestSpoofedIdentifiersRefused(t *testing.T) {
	for name, mk := range allStores(t) {
		t.Run(name, func(t *testing.T) {
			st := mk(t)
			s := startShimEnv(t, st.env, "-store", st.spec)
			t.Run("ZITADEL", func(t *testing.T) { zitadelSpoofs(t, s) })
			t.Run("Janrain", func(t *testing.T) { janrainSpoofs(t, s) })
			t.Run("Rubiq", func(t *testing.T) { rubiqSpoofs(t, s) })
			t.Run("DRUID", func(t *testing.T) { druidSpoofs(t, s) })
		})
	}
}

// refused requires a 4xx answer.
func refused(t *testing.T, r response, what string) {
	t.Helper()
	assert.GreaterOrEqual(t, r.status, 400, "%s: %s", what, r.body)
	assert.Less(t, r.status, 500, "%s: %s", what, r.body)
}

// surrogate stands for a username sent as "\ud800minnie".
const surrogate = "<unpaired surrogate>"

func zitadelSpoofs(t *testing.T, s *shim) {
	for _, c := range []struct {
		username string
		status   int
	}{
		{"min\u0000nie", 400},
		{"minnie\u200b", 400},
		{"mіnnie", 409}, // Cyrillic і
		{"Minnie", 409},
		{"ｍinnie", 409},
		{surrogate, 400},
	} {
		name := jsonString(c.username)
		if c.username == surrogate {
			name = `"\ud800minnie"` // an unpaired surrogate escape, as a client may send it
		}
		body := `{"userId":"70000000000000001","username":` + name + `,"organization":{"orgId":"` + zitadel.DemoOrgID + `"},
			"profile":{"givenName":"Mallory","familyName":"Spoof"},"email":{"email":"mallory@example.com"}}`
		r := s.do(t, "POST", "/v2/users/human", []byte(body), bearer(zitadel.DemoAdminToken), jsonType)
		refused(t, r, c.username)
		assert.Equal(t, c.status, r.status, "%+q: %s", c.username, r.body)
		assert.NotContains(t, string(r.body), `"minnie"`, "never the other user's value")
	}
	assert.Equal(t, "minnie", dig(t, zitadelUser(t, s), "user", "username"))
	r := s.do(t, "GET", "/v2/users/70000000000000001", nil, bearer(zitadel.DemoAdminToken))
	assert.Equal(t, 404, r.status, "no user was created")
}

func janrainSpoofs(t *testing.T, s *shim) {
	for _, email := range []string{
		"gjack@example.com\u200b",
		"gjack@exаmple.com", // Cyrillic а
		"ｇjack@example.com",
		"gjack@ｅxample.com",
		"gjack@exa\u0000mple.com",
	} {
		attrs, err := json.Marshal(map[string]string{"email": email})
		require.NoError(t, err)
		r := s.do(t, "POST", "/entity.update", formBody("type_name", "user", "uuid", janrain.DemoUUID, "attributes", string(attrs)),
			"Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(janrainWriter)), "Content-Type: application/x-www-form-urlencoded")
		refused(t, r, email)
		assert.Equal(t, "error", r.json(t)["stat"], "%+q: %s", email, r.body)
		assert.NotContains(t, string(r.body), "gjack@example.com", "never the other user's value")
	}
	assert.Equal(t, "gjack@example.com", janrainRecord(t, s, janrain.DemoSecondID)["email"], "the genuine user keeps the address")
	assert.NotContains(t, janrainRecord(t, s, janrain.DemoID)["email"], "gjack")
}

func rubiqSpoofs(t *testing.T, s *shim) {
	for _, c := range []struct {
		body, code string
	}{
		{`{"email":"ola@example.com\u200b"}`, "400"},
		{`{"email":"оla@example.com"}`, "400.2"}, // Cyrillic о: Rubiq's email clash
		{`{"email":"OLA@EXAMPLE.COM"}`, "400.2"},
		{`{"email":"o\u0000la@example.com"}`, "400"},
		{`{"name":"Ola\u0000"}`, "400"},
		{`{"name":"\ud800"}`, "400"},
	} {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1002/data", []byte(c.body), bearer(rubiqAppToken), jsonType)
		refused(t, r, c.body)
		assert.Equal(t, c.code, rubiqStatus(t, r), "%s: %s", c.body, r.body)
		assert.NotContains(t, string(r.body), "ola@example.com", "never the other user's value")
	}
	for _, l := range s.logLines(t) {
		if l["msg"] == "verification code" {
			to, _ := l["to"].(string)
			assert.False(t, strings.Contains(to, "ola") || strings.Contains(to, "оla"), "a code went to %+q", to)
		}
	}
}

func druidSpoofs(t *testing.T, s *shim) {
	seed := string(fixture(t, "seed/druid-update-datas.json"))
	for _, c := range []struct{ from, to string }{
		{`"jane.new@example.com"`, `"jane@example.com\u200b"`},
		{`"Janet"`, `"Ja\u0000net"`},
		{`"Janet"`, `"\udc00"`},
	} {
		body := strings.Replace(seed, c.from, c.to, 1)
		r := druidUpdate(t, s, []byte(body))
		refused(t, r, c.to)
		assert.Contains(t, string(r.body), "invalid data", "%s: DRUID's validation error: %s", c.to, r.body)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
