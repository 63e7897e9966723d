package rubiq

import (
	"encoding/json"
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
