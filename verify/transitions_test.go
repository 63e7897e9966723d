package verify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func TestNew(t *testing.T) {
	value := json.RawMessage(`"a@example.com"`)
	c := verify.New("ch-1", "/email", verify.Email, value, true, t0)
	value[1] = 'b'

	assert.Equal(t, verify.Challenge{
		ID: "ch-1", Path: "/email", Channel: verify.Email,
		Value: json.RawMessage(`"a@example.com"`), Created: t0,
		State: verify.Pending, Held: true,
	}, c)
}

func TestCheckClosedStates(t *testing.T) {
	h := newHasher(t, 1)
	tests := []struct {
		state verify.State
		want  error
	}{
		{verify.Confirmed, verify.ErrUsed},
		{verify.Locked, verify.ErrLocked},
		{verify.Expired, verify.ErrExpired},
		{verify.Superseded, verify.ErrClosed},
		{verify.Cancelled, verify.ErrClosed},
		{verify.State("unknown"), verify.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			c := issued(t, h, "ABC123")
			// A closed challenge with a hash left in it must still refuse
			// the right code: the state decides, not the hash.
			c.State = tt.state
			before := c.Clone()

			err := c.Check(h, "ABC123", t0, 5)

			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, c, "a closed challenge must not change")
		})
	}
}

func TestCheckPending(t *testing.T) {
	h := newHasher(t, 1)
	tests := []struct {
		name         string
		code         string
		at           time.Time
		attempts     int // before the call
		maxAttempts  int
		want         error
		wantState    verify.State
		wantAttempts int
	}{
		{"Confirmed", "ABC123", t0.Add(time.Minute), 0, 5, nil, verify.Confirmed, 0},
		{"ConfirmedJustBeforeExpiry", "ABC123", t0.Add(time.Hour - time.Nanosecond), 4, 5, nil, verify.Confirmed, 4},
		{"ErrExpiredAtExactlyExpires", "ABC123", t0.Add(time.Hour), 0, 5, verify.ErrExpired, verify.Expired, 0},
		{"ErrExpiredWrongCodeNotCounted", "WRONG1", t0.Add(2 * time.Hour), 0, 5, verify.ErrExpired, verify.Expired, 0},
		{"ErrMismatch", "WRONG1", t0, 0, 5, verify.ErrMismatch, verify.Pending, 1},
		{"ErrMismatchBelowLimit", "WRONG1", t0, 3, 5, verify.ErrMismatch, verify.Pending, 4},
		{"ErrLockedAtLimit", "WRONG1", t0, 4, 5, verify.ErrLocked, verify.Locked, 5},
		{"ErrLockedLimitOne", "WRONG1", t0, 0, 1, verify.ErrLocked, verify.Locked, 1},
		{"DefaultLimitFiveMismatch", "WRONG1", t0, 3, 0, verify.ErrMismatch, verify.Pending, 4},
		{"DefaultLimitFiveLocks", "WRONG1", t0, 4, -1, verify.ErrLocked, verify.Locked, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := issued(t, h, "ABC123")
			c.Attempts = tt.attempts

			err := c.Check(h, tt.code, tt.at, tt.maxAttempts)

			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Equal(t, tt.wantState, c.State)
			assert.Equal(t, tt.wantAttempts, c.Attempts)
			if tt.wantState.Open() {
				assert.NotEmpty(t, c.CodeHash)
			} else {
				assert.Empty(t, c.CodeHash, "a final state must clear the hash")
			}
		})
	}
}

func TestCheckNoCode(t *testing.T) {
	c := verify.New("ch-1", "/email", verify.Email, nil, true, t0)
	before := c.Clone()

	err := c.Check(newHasher(t, 1), "ABC123", t0, 5)

	assert.ErrorIs(t, err, verify.ErrNoCode)
	assert.Equal(t, before, c)
}

func TestCheckLocksAfterRepeatedWrongCodes(t *testing.T) {
	h := newHasher(t, 1)
	c := issued(t, h, "ABC123")
	for i := 1; i < 3; i++ {
		require.ErrorIs(t, c.Check(h, "WRONG1", t0, 3), verify.ErrMismatch)
		require.Equal(t, i, c.Attempts)
	}
	assert.ErrorIs(t, c.Check(h, "WRONG1", t0, 3), verify.ErrLocked)
	assert.ErrorIs(t, c.Check(h, "ABC123", t0, 3), verify.ErrLocked, "the right code must not open a locked challenge")
	assert.Equal(t, verify.Locked, c.State)
}

func TestRekey(t *testing.T) {
	h := newHasher(t, 1)

	t.Run("ResendReplacesCode", func(t *testing.T) {
		c := issued(t, h, "OLD111")
		require.ErrorIs(t, c.Check(h, "WRONG1", t0, 5), verify.ErrMismatch)
		later := t0.Add(10 * time.Minute)
		hash := h.Hash(c.ID, "NEW222")

		c.Rekey(hash, later, 30*time.Minute)
		hash[0] ^= 0xff

		assert.Equal(t, later.Add(30*time.Minute), c.Expires)
		assert.Zero(t, c.Attempts)
		assert.Equal(t, []time.Time{t0, later}, c.Sends)
		assert.ErrorIs(t, c.Check(h, "OLD111", later, 5), verify.ErrMismatch, "the old code must stop working")
		assert.NoError(t, c.Check(h, "NEW222", later, 5), "the hash must be copied, not aliased")
	})
	t.Run("DefaultTTL", func(t *testing.T) {
		c := verify.New("ch-1", "/email", verify.Email, nil, true, t0)
		c.Rekey(h.Hash(c.ID, "ABC123"), t0, 0)
		assert.Equal(t, t0.Add(verify.DefaultCodeSpec.TTL), c.Expires)
	})
	for _, s := range []verify.State{verify.Confirmed, verify.Expired, verify.Superseded, verify.Cancelled, verify.Locked} {
		t.Run("Unchanged"+string(s), func(t *testing.T) {
			c := verify.New("ch-1", "/email", verify.Email, nil, true, t0)
			c.State = s
			before := c.Clone()
			c.Rekey(h.Hash(c.ID, "ABC123"), t0, time.Hour)
			assert.Equal(t, before, c)
		})
	}
}

func TestClose(t *testing.T) {
	h := newHasher(t, 1)
	for _, s := range []verify.State{verify.Superseded, verify.Cancelled, verify.Expired, verify.Locked} {
		t.Run("Closes"+string(s), func(t *testing.T) {
			c := issued(t, h, "ABC123")
			c.Close(s)
			assert.Equal(t, s, c.State)
			assert.Empty(t, c.CodeHash)
		})
	}
	for _, s := range []verify.State{verify.Pending, verify.Confirmed, verify.State("bogus")} {
		t.Run("Ignores"+string(s), func(t *testing.T) {
			c := issued(t, h, "ABC123")
			before := c.Clone()
			c.Close(s)
			assert.Equal(t, before, c)
		})
	}
	t.Run("FirstFinalStateStands", func(t *testing.T) {
		c := issued(t, h, "ABC123")
		require.NoError(t, c.Check(h, "ABC123", t0, 5))
		c.Close(verify.Cancelled)
		assert.Equal(t, verify.Confirmed, c.State)
	})
}
