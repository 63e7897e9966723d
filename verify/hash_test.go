package verify_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func TestNewHasher(t *testing.T) {
	t.Run("ErrShortKey", func(t *testing.T) {
		h, err := verify.NewHasher(make([]byte, verify.MinKeyLen-1))
		assert.ErrorIs(t, err, verify.ErrShortKey)
		assert.Nil(t, h)
	})
	t.Run("KeyCopied", func(t *testing.T) {
		key := bytes.Repeat([]byte{7}, verify.MinKeyLen)
		h, err := verify.NewHasher(key)
		require.NoError(t, err)
		before := h.Hash("id", "CODE")
		key[0] = 8
		assert.Equal(t, before, h.Hash("id", "CODE"), "changing the caller's key must not change the hasher")
	})
}

func TestHash(t *testing.T) {
	h := newHasher(t, 1)
	base := h.Hash("ch-1", "ABC123")
	require.Len(t, base, 32)

	t.Run("Deterministic", func(t *testing.T) {
		assert.Equal(t, base, h.Hash("ch-1", "ABC123"))
	})
	t.Run("BoundToChallenge", func(t *testing.T) {
		assert.NotEqual(t, base, h.Hash("ch-2", "ABC123"))
	})
	t.Run("BoundToKey", func(t *testing.T) {
		assert.NotEqual(t, base, newHasher(t, 2).Hash("ch-1", "ABC123"))
	})
	t.Run("BoundToCode", func(t *testing.T) {
		assert.NotEqual(t, base, h.Hash("ch-1", "ABC124"))
	})
	t.Run("IDAndCodeKeptApart", func(t *testing.T) {
		assert.NotEqual(t, h.Hash("ab", "c"), h.Hash("a", "bc"))
	})
	t.Run("CodeNotInHash", func(t *testing.T) {
		assert.NotContains(t, string(base), "ABC123")
	})
}

func TestMatch(t *testing.T) {
	h := newHasher(t, 1)
	c := issued(t, h, "ABC123")
	other := c
	other.ID = "ch-2"

	tests := []struct {
		name string
		h    *verify.Hasher
		c    *verify.Challenge
		code string
		want bool
	}{
		{"RightCode", h, &c, "ABC123", true},
		{"WrongCode", h, &c, "ABC124", false},
		{"CaseMatters", h, &c, "abc123", false},
		{"OtherKey", newHasher(t, 2), &c, "ABC123", false},
		{"HashMovedToOtherChallenge", h, &other, "ABC123", false},
		{"NoHash", h, &verify.Challenge{ID: "ch-1"}, "", false},
		{"NilChallenge", h, nil, "ABC123", false},
		{"OverlongCode", h, &c, "ABC123" + strings.Repeat("x", verify.MaxCodeLength), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.h.Match(tt.c, tt.code))
		})
	}
}
