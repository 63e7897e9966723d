package merge_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
)

// decode parses JSON text the way documents arrive: numbers as json.Number.
func decode(tb testing.TB, s string) any {
	tb.Helper()
	v, err := merge.Decode([]byte(s), merge.DecodeLimits{})
	require.NoError(tb, err, "decoding %s", s)
	return v
}

func encode(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	return b
}

func readFixture(tb testing.TB, name string, into any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	require.NoError(tb, json.Unmarshal(b, into))
}

// sameMap reports whether a and b are the very same map, not just equal.
func sameMap(a, b any) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	return ok1 && ok2 && reflect.ValueOf(am).UnsafePointer() == reflect.ValueOf(bm).UnsafePointer()
}

// sameSlice reports whether a and b are the very same non-empty array.
func sameSlice(a, b any) bool {
	as, ok1 := a.([]any)
	bs, ok2 := b.([]any)
	return ok1 && ok2 && len(as) > 0 && len(as) == len(bs) && &as[0] == &bs[0]
}

// identical is deep equality of the Go representation: unlike merge.Equal it
// tells json.Number("1") from json.Number("1.0"), so it also catches an
// input whose number spelling was rewritten.
func identical(a, b any) bool { return reflect.DeepEqual(a, b) }

// gen produces random JSON values from a seeded source, over a small set of
// member names so that documents and patches overlap often.
type gen struct {
	r *rand.Rand
	// noNullMembersInArrays keeps null members out of objects inside
	// arrays; see TestMergeMatchesLibrary for why.
	noNullMembersInArrays bool
	names                 []string
}

func newGen(seed uint64) *gen {
	return &gen{
		r:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		names: []string{"a", "b", "c", "d", "e", "x~y", "p/q", ""},
	}
}

func (g *gen) name() string { return g.names[g.r.IntN(len(g.names))] }

func (g *gen) scalar() any {
	switch g.r.IntN(8) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return "s" + strconv.Itoa(g.r.IntN(5))
	case 3:
		return json.Number(strconv.Itoa(g.r.IntN(2000) - 1000))
	case 4:
		return json.Number(strconv.FormatFloat(g.r.Float64()*100, 'g', 6, 64))
	case 5:
		return json.Number([]string{"1", "1.0", "1e0", "10e-1", "12345678901234567890123", "-0"}[g.r.IntN(6)])
	case 6:
		return ""
	default:
		return json.Number(strconv.Itoa(g.r.IntN(4)))
	}
}

// value returns a random value nesting at most depth levels; inArray says
// whether it sits inside an array.
func (g *gen) value(depth int, inArray bool) any {
	if depth == 0 || g.r.IntN(3) == 0 {
		return g.scalar()
	}
	if g.r.IntN(3) == 0 {
		n := g.r.IntN(4)
		arr := make([]any, n)
		for i := range arr {
			arr[i] = g.value(depth-1, true)
		}
		return arr
	}
	return g.object(depth, inArray)
}

func (g *gen) object(depth int, inArray bool) map[string]any {
	n := g.r.IntN(5)
	obj := make(map[string]any, n)
	for range n {
		v := g.value(depth-1, inArray)
		if v == nil && inArray && g.noNullMembersInArrays {
			v = "n"
		}
		obj[g.name()] = v
	}
	return obj
}
