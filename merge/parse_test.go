package merge

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestParserAgreesWithCheckedPath holds the single-pass parser to the
// checked path (bounded scan, then encoding/json): whatever it accepts,
// the checked path accepts with the same value, and what the checked path
// accepts, it accepts too (else every call would pay for two passes).
func TestParserAgreesWithCheckedPath(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.0E-3`, `true`, `false`, `null`,
		` {"a" : [ 1 , 2 ] } `, `{"a":{"b":{"c":[{"d":null}]}}}`,
		`"\u00e9\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`,
		`"\uD83D\uDE00x"`, `"\ud800\ud800"`, `{"\u0061":1,"b":2}`, `"é漢😀"`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `01`, `1.`, `.5`,
		`-`, `1e`, `1e+`, `+1`, `tru`, `nul`, `"abc`, `"a\x"`, `"a\u12"`, "\"a\x01\"", `{"a":1} x`,
		`{"a":1}{}`, ``, `   `, `[[[[[]]]]]`, `{"a":[[[{}]]]}`, `[1,[2,[3,[4]]]]`, `1 2`, `"\u0000"`,
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&many, `"k%d":%d,`, i, i)
	}
	many.WriteString(`"k40":"x"}`)
	inputs = append(inputs, many.String(), strings.Replace(many.String(), `"k40"`, `"k17"`, 1))

	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`{}[],:"\ u0aAdDe-+.1239tfnlrsx` + "\x7f\x1f")
	for range 20000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, depth := range []int{0, 1, 2, 3} {
		for _, in := range inputs {
			lim := DecodeLimits{MaxDepth: depth}
			p := parser{data: []byte(in), maxDepth: depthLimit(depth)}
			got, ok := p.parse()
			want, err := decodeChecked([]byte(in), lim)
			if ok != (err == nil) {
				t.Fatalf("depth %d %q: parser ok=%v, checked path err=%v", depth, in, ok, err)
			}
			if ok && !reflect.DeepEqual(got, want) {
				t.Fatalf("depth %d %q: parser %#v, checked path %#v", depth, in, got, want)
			}
			cp := parser{data: []byte(in), maxDepth: depthLimit(depth), check: true}
			if _, cok := cp.parse(); cok != ok {
				t.Fatalf("depth %d %q: checking parser ok=%v, building parser ok=%v", depth, in, cok, ok)
			}
			if verr := Validate([]byte(in), lim); !reflect.DeepEqual(verr, err) {
				t.Fatalf("depth %d %q: Validate %v, Decode %v", depth, in, verr, err)
			}
		}
	}
}
