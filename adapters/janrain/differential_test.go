package janrain_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
)

// TestSearchDifferential sends the same random filters to adapters over
// every backend holding the same records: entity.find and entity.count
// answer as over the memory store, whose evaluation is the reference.
func TestSearchDifferential(t *testing.T) {
	backends := adaptertest.Backends()
	envs := make([]*env, len(backends))
	rng := rand.New(rand.NewPCG(7, 11))
	docs := make([]string, 60)
	for i := range docs {
		docs[i] = randomDoc(rng, i)
	}
	for i, b := range backends {
		envs[i] = newEnvWith(t, b.Open(t), testConfig())
		for _, doc := range docs {
			r := envs[i].post(t, "entity.create", form("type_name", "user", "attributes", doc))
			require.Equal(t, http.StatusOK, r.status, string(r.raw))
		}
	}
	for n := range 200 {
		filter := randomFilter(rng, 0)
		ref := envs[0].post(t, "entity.find", form("type_name", "user", "filter", filter,
			"sort_on", `["id"]`, "max_results", "1000", "show_total_count", "true"))
		require.Equal(t, http.StatusOK, ref.status, "filter %d %q: %s", n, filter, ref.raw)
		refCount := envs[0].post(t, "entity.count", form("type_name", "user", "filter", filter))
		require.Equal(t, ref.body["total_count"], refCount.body["total_count"], "filter %q", filter)
		for i, e := range envs[1:] {
			got := e.post(t, "entity.find", form("type_name", "user", "filter", filter,
				"sort_on", `["id"]`, "max_results", "1000", "show_total_count", "true"))
			require.Equal(t, http.StatusOK, got.status, "%s, filter %q: %s", backends[i+1].Name, filter, got.raw)
			assert.Equal(t, resultIDs(t, ref), resultIDs(t, got), "%s, filter %q", backends[i+1].Name, filter)
			assert.Equal(t, ref.body["total_count"], got.body["total_count"], "%s, filter %q", backends[i+1].Name, filter)
			c := e.post(t, "entity.count", form("type_name", "user", "filter", filter))
			assert.Equal(t, refCount.body["total_count"], c.body["total_count"], "%s, filter %q", backends[i+1].Name, filter)
		}
	}
}

var (
	diffNames   = []string{"Ann", "ann", "Bob", "Zoë", "émile", "O'Neil", "bob2"}
	diffGenders = []string{"male", "female", "other"}
	diffCities  = []string{"Bern", "bern", "Zurich", "Genève"}
	diffStatus  = []string{"active", "inactive", "locked"}
)

// randomDoc returns an entity.create value with some attributes left out.
func randomDoc(rng *rand.Rand, i int) string {
	parts := []string{fmt.Sprintf(`"email":"u%d@example.com"`, i)}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	if rng.IntN(4) > 0 {
		parts = append(parts, fmt.Sprintf(`"givenName":%q`, pick(diffNames)))
	}
	if rng.IntN(3) > 0 {
		parts = append(parts, fmt.Sprintf(`"gender":%q`, pick(diffGenders)))
	}
	if rng.IntN(2) > 0 {
		parts = append(parts, fmt.Sprintf(`"birthday":"%04d-%02d-%02d"`, 1950+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28)))
	}
	if rng.IntN(2) > 0 {
		parts = append(parts, fmt.Sprintf(`"primaryAddress":{"city":%q}`, pick(diffCities)))
	}
	if k := rng.IntN(3); k > 0 {
		var els []string
		for range k {
			els = append(els, fmt.Sprintf(`{"status":%q}`, pick(diffStatus)))
		}
		parts = append(parts, `"statuses":[`+strings.Join(els, ",")+`]`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// randomFilter returns a filter in Capture's language over the
// attributes randomDoc writes.
func randomFilter(rng *rand.Rand, depth int) string {
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	if depth < 3 {
		switch rng.IntN(6) {
		case 0:
			return randomFilter(rng, depth+1) + " and " + randomFilter(rng, depth+1)
		case 1:
			return randomFilter(rng, depth+1) + " or " + randomFilter(rng, depth+1)
		case 2:
			return "not (" + randomFilter(rng, depth+1) + ")"
		case 3:
			return "(" + randomFilter(rng, depth+1) + ")"
		}
	}
	ops := []string{"=", "!=", "<", "<=", ">", ">="}
	switch rng.IntN(7) {
	case 0:
		return "givenName" + pick(ops) + quote(pick(diffNames))
	case 1:
		return "gender" + pick(ops[:2]) + quote(pick(diffGenders))
	case 2:
		return fmt.Sprintf("birthday%s'%04d-06-15'", pick(ops), 1950+rng.IntN(60))
	case 3:
		return "primaryAddress.city" + pick(ops) + quote(pick(diffCities))
	case 4:
		return "statuses.status" + pick(ops[:2]) + quote(pick(diffStatus))
	case 5:
		return fmt.Sprintf("id%s%d", pick(ops), rng.IntN(70))
	}
	return pick([]string{"birthday", "gender", "primaryAddress.city", "givenName"}) + pick([]string{" is null", " is not null"})
}
