package update_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// openPolicy has no field rules and allows every attribute: the engine's
// merge must then be exactly RFC 7386.
func openPolicy() *update.Policy {
	return &update.Policy{
		Types:        map[string]*update.Schema{"doc": {Unknown: update.Allow}},
		DefaultGrant: &update.Grant{Write: true, Create: true},
	}
}

// TestMergeMatchesMergePatch runs 10,000 random (document, patch) pairs
// through Create and Apply and compares the stored document with what
// jsonpatch.MergePatch makes of the same bytes.
//
// Objects inside arrays carry no null members: RFC 7386 takes an array as
// one value, nulls and all, while the library strips such nulls. The
// engine follows the RFC (see package merge's tests of that case).
func TestMergeMatchesMergePatch(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	eng, err := update.New(memory.New(), openPolicy())
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(7386))
	for i := 0; i < n; i++ {
		d := randObject(rng, 3, false)
		p := randObject(rng, 3, false)
		id := "d" + strconv.Itoa(i)
		_, err := eng.Create(ctx, update.CreateRequest{Type: "doc", ID: id, Doc: d})
		require.NoError(t, err)
		_, err = eng.Apply(ctx, update.Request{Type: "doc", Locator: update.ByID(id), Doc: p})
		require.NoError(t, err, "pair %d", i)

		db, _ := json.Marshal(d)
		pb, _ := json.Marshal(p)
		wantBytes, err := jsonpatch.MergePatch(db, pb)
		require.NoError(t, err)
		want, err := merge.Decode(wantBytes, merge.DecodeLimits{})
		require.NoError(t, err)
		got, err := eng.Get(ctx, "doc", update.ByID(id))
		require.NoError(t, err)
		if !merge.Equal(want, got.Doc) {
			t.Fatalf("pair %d differs\ndoc:   %s\npatch: %s\nwant:  %s\ngot:   %s", i, db, pb, wantBytes, jsonOf(t, got.Doc))
		}
	}
}

func randObject(rng *rand.Rand, depth int, inArray bool) map[string]any {
	n := rng.Intn(5)
	m := make(map[string]any, n)
	for i := 0; i < n; i++ {
		m[string(rune('a'+rng.Intn(6)))] = randValue(rng, depth-1, inArray)
	}
	return m
}

func randValue(rng *rand.Rand, depth int, inArray bool) any {
	k := rng.Intn(8)
	if depth <= 0 && k >= 5 {
		k = rng.Intn(5)
	}
	if k == 0 && inArray {
		k = 4
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.Intn(2) == 0
	case 2:
		return json.Number(strconv.Itoa(rng.Intn(100) - 50))
	case 3:
		return json.Number(fmt.Sprintf("%d.%d", rng.Intn(10), rng.Intn(10)+1))
	case 4:
		return string(rune('p' + rng.Intn(4)))
	case 5:
		out := make([]any, rng.Intn(3))
		for i := range out {
			out[i] = randValue(rng, depth-1, true)
		}
		return out
	default:
		return randObject(rng, depth, inArray)
	}
}
