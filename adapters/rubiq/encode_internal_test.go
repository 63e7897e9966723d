package rubiq

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEncodedStatus checks the answers encoded ahead of time against
// encoding/json's encoding of the same values, for every status.
func TestEncodedStatus(t *testing.T) {
	require.Len(t, encodedStatus, len(errorTable)-countDuplicateStatuses())
	for s, pre := range encodedStatus {
		plain, err := json.Marshal(&Body{Status: BodyStatus{Code: s.Code, Text: s.Text}})
		require.NoError(t, err)
		assert.Equal(t, string(plain)+"\n", string(pre[0]), "%v plain", s)
		_, env := EncodeEnvelope(s, nil, nil)
		enveloped, err := json.Marshal(env)
		require.NoError(t, err)
		assert.Equal(t, string(enveloped)+"\n", string(pre[1]), "%v enveloped", s)
	}
}

func countDuplicateStatuses() int {
	seen, dup := map[Status]bool{}, 0
	for _, row := range errorTable {
		if seen[row.status] {
			dup++
		}
		seen[row.status] = true
	}
	return dup
}

// TestPlain checks the id and type forms against their regular
// expressions, on every short string over a small alphabet and on long
// ones.
func TestPlain(t *testing.T) {
	entityID := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	extType := regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)
	alphabet := []string{"a", "Z", "0", "_", "-", ".", "/", "é", " "}
	var inputs []string
	var grow func(s string, n int)
	grow = func(s string, n int) {
		inputs = append(inputs, s)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(s+c, n-1)
		}
	}
	grow("", 3)
	inputs = append(inputs, strings.Repeat("a", 32), strings.Repeat("a", 33), strings.Repeat("a", 64), strings.Repeat("a", 65))
	for _, s := range inputs {
		assert.Equal(t, entityID.MatchString(s), plain(s, 64, "_-"), "id %q", s)
		assert.Equal(t, extType.MatchString(s), plain(s, 32, "_.-"), "type %q", s)
	}
}
