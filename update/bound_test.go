package update

import (
	"encoding/json"
	"testing"

	"github.com/go-playground/validator/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/memory"
)

// TestBoundAgreesWithValidator holds the engine's own check of simple
// max/min/lte/gte rules to validator/v10: for every tag and value, the
// field errors are the same as when validator checks the tag.
func TestBoundAgreesWithValidator(t *testing.T) {
	e, err := New(memory.New(), &Policy{Types: map[string]*Schema{"user": {Unknown: Allow}}})
	require.NoError(t, err)
	var tags []string
	for _, tag := range []string{"max", "min", "lte", "gte"} {
		for _, param := range []string{"0", "1", "3", "100", "-1", "-100", "010", "007", "9223372036854775807"} {
			tags = append(tags, tag+"="+param)
		}
	}
	values := []any{"", "a", "abc", "abcd", "äöü", "日本語の", "0123456789", string(make([]byte, 101)),
		json.Number("0"), json.Number("-0"), json.Number("1"), json.Number("2.5"), json.Number("3"), json.Number("3.0000001"),
		json.Number("-1"), json.Number("-100.5"), json.Number("100"), json.Number("1e2"), json.Number("1e400"), json.Number("8"),
		json.Number("10"), json.Number("9223372036854775807"), json.Number("9223372036854775808"),
		float64(0), float64(-1), float64(100), 100.0000001, float64(7),
		true, int(5), int64(200), []any{1, 2}, map[string]any{"a": 1}}
	checked := 0
	for _, tags := range tags {
		b := compileBound(tags, nil)
		require.NotNil(t, b, tags)
		fast := &rule{f: &Field{Rules: tags}, bound: b}
		slow := &rule{f: &Field{Rules: tags}}
		for _, v := range values {
			if _, ok := b.check(v); ok {
				checked++
			}
			assert.Equal(t, e.runRules("/p", slow, v), e.runRules("/p", fast, v), "%s on %#v", tags, v)
		}
	}
	assert.Greater(t, checked, len(tags)*20, "most values take the engine's own check")
}

// TestCompileBound checks which tags the engine takes over: one tag with
// a plain decimal integer, not registered by the engine's options.
func TestCompileBound(t *testing.T) {
	own := map[string]validator.Func{"lte": func(validator.FieldLevel) bool { return true }}
	for tags, want := range map[string]bool{
		"max=100": true, "min=0": true, "gte=-3": true, "lte=5": false, // lte is the options'
		"max=1.5": false, "max=0x10": false, "max=0x2C": false, "max=": false, "max": false, "max=-": false,
		"max=10,min=1": false, "max=10|min=1": false, "len=3": false, "email": false, "oneof=a b": false,
		"max=99999999999999999999": false, "gt=3": false,
	} {
		assert.Equal(t, want, compileBound(tags, own) != nil, tags)
	}
}
