package verify_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

// t0 is the fixed "now" tests start from; time is never read from a clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newHasher(tb testing.TB, fill byte) *verify.Hasher {
	tb.Helper()
	h, err := verify.NewHasher(bytes.Repeat([]byte{fill}, verify.MinKeyLen))
	require.NoError(tb, err)
	return h
}

// issued returns a Pending challenge whose current code is code, valid for
// an hour from t0.
func issued(tb testing.TB, h *verify.Hasher, code string) verify.Challenge {
	tb.Helper()
	c := verify.New("ch-1", "/email", verify.Email, []byte(`"new@example.com"`), true, t0)
	c.Rekey(h.Hash(c.ID, code), t0, time.Hour)
	require.Equal(tb, verify.Pending, c.State)
	require.NotEmpty(tb, c.CodeHash)
	return c
}
