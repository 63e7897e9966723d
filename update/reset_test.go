package update_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// resetPolicy is userPolicy with reset codes on /password, sent to /email.
func resetPolicy() *update.Policy {
	p := userPolicy()
	p.Types["user"].Fields["/password"].Secret.Reset = &update.Reset{
		Channel: "email", To: "/email", MaxAttempts: 3,
		Cooldown: update.Duration(time.Minute), MaxSends: 3, Window: update.Duration(time.Hour),
	}
	return p
}

func resetWith(f *fixture, d update.Delivery) (*update.Result, error) {
	return f.eng.Reset(context.Background(), update.ResetRequest{
		Type: "user", Locator: update.ByID("u1"), Path: "/password", Client: "admin", Actor: "a", Delivery: d,
	})
}

func setWithCode(f *fixture, plain, code string) (*update.Result, error) {
	return f.eng.Apply(context.Background(), update.Request{
		Type: "user", Locator: update.ByID("u1"), Client: "admin", Actor: "a", Mode: update.Merge,
		Secrets: map[string]update.SecretValue{"/password": {Plain: plain, Code: code}},
	})
}

func secretHash(t *testing.T, f *fixture) string {
	t.Helper()
	rec, err := f.store.Get(context.Background(), "user", "u1")
	require.NoError(t, err)
	return rec.Secrets["/password"]
}

func TestResetSendsCodeThatSetsSecretOnce(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), resetPolicy())
		f.seed(t)
		before := secretHash(t, f)
		res, err := resetWith(f, update.Delivery{Kind: update.Send})
		require.NoError(t, err)
		require.True(t, res.VerificationDispatched)
		m, ok := f.sent.Last()
		require.True(t, ok)
		require.Equal(t, "mparker@example.com", m.To)
		require.Equal(t, "/password", m.Path)
		require.Len(t, m.Code, 6)

		res, err = setWithCode(f, "NewSecret42", m.Code)
		require.NoError(t, err)
		require.True(t, res.Modified)
		require.NotEqual(t, before, secretHash(t, f))
		require.NotContains(t, jsonOf(t, res), "NewSecret42")

		// The code is used up.
		_, err = setWithCode(f, "Other5ecret", m.Code)
		require.Equal(t, update.NothingPending, update.ErrorCode(err))
		// And it never confirms anything else.
		_, err = f.eng.Confirm(context.Background(), update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Code: m.Code, Client: "admin"})
		require.Equal(t, update.NothingPending, update.ErrorCode(err))
	})
}

func TestResetCodeBruteForceLocks(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), resetPolicy())
		f.seed(t)
		res, err := resetWith(f, update.Delivery{Kind: update.ReturnCode})
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		code := res.Pending[0].Code
		require.NotEmpty(t, code)
		require.Empty(t, f.sent.Messages(), "a returned code is not sent")
		hash := secretHash(t, f)
		doc0 := jsonOf(t, f.get(t, "u1").Doc)

		wrong := "ZZZZZ9"
		if code == wrong {
			wrong = "ZZZZZ8"
		}
		for i := 1; i <= 3; i++ {
			_, err := setWithCode(f, "NewSecret42", wrong)
			want := update.CodeMismatch
			if i == 3 {
				want = update.Locked
			}
			require.Equal(t, want, update.ErrorCode(err), "attempt %d", i)
		}
		// Locked: the right code no longer works; nothing but the
		// attempts changed.
		_, err = setWithCode(f, "NewSecret42", code)
		require.Equal(t, update.Locked, update.ErrorCode(err))
		require.Equal(t, hash, secretHash(t, f))
		require.Equal(t, doc0, jsonOf(t, f.get(t, "u1").Doc))

		// A new reset is throttled by the cooldown, then issues a fresh code.
		_, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
		require.Equal(t, update.Throttled, update.ErrorCode(err))
		f.clock.Advance(2 * time.Minute)
		res, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
		require.NoError(t, err)
		_, err = setWithCode(f, "NewSecret42", res.Pending[0].Code)
		require.NoError(t, err)
		require.NotEqual(t, hash, secretHash(t, f))
	})
}

func TestResetRules(t *testing.T) {
	f := newFixture(t, nil, resetPolicy())
	f.seed(t)
	ctx := context.Background()

	// No code issued yet.
	_, err := setWithCode(f, "NewSecret42", "ABC123")
	require.Equal(t, update.NothingPending, update.ErrorCode(err))

	// Expiry.
	res, err := resetWith(f, update.Delivery{Kind: update.ReturnCode})
	require.NoError(t, err)
	f.clock.Advance(61 * time.Minute)
	_, err = setWithCode(f, "NewSecret42", res.Pending[0].Code)
	require.Equal(t, update.Expired, update.ErrorCode(err))

	// A password set without a code supersedes an open reset.
	res, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
	require.NoError(t, err)
	_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "admin",
		Secrets: map[string]update.SecretValue{"/password": {Plain: "Direct123x"}}})
	require.NoError(t, err)
	_, err = setWithCode(f, "NewSecret42", res.Pending[0].Code)
	require.Equal(t, update.NothingPending, update.ErrorCode(err))

	// Window limit: 3 per hour.
	f.clock.Advance(2 * time.Hour)
	for i := 0; i < 3; i++ {
		_, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
		require.NoError(t, err)
		f.clock.Advance(2 * time.Minute)
	}
	_, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
	require.Equal(t, update.Throttled, update.ErrorCode(err))

	// A weak password with the right code changes nothing and keeps the code.
	f.clock.Advance(2 * time.Hour)
	res, err = resetWith(f, update.Delivery{Kind: update.ReturnCode})
	require.NoError(t, err)
	_, err = setWithCode(f, "weak", res.Pending[0].Code)
	require.Equal(t, update.Invalid, update.ErrorCode(err))
	_, err = setWithCode(f, "NewSecret42", res.Pending[0].Code)
	require.NoError(t, err)

	// Codes and current values do not mix; a field without resets takes no code.
	_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "admin",
		Secrets: map[string]update.SecretValue{"/password": {Plain: "NewSecret43", Code: "ABC123", Current: "NewSecret42"}}})
	require.Equal(t, update.Invalid, update.ErrorCode(err))
	g := newFixture(t, nil, nil)
	g.seed(t)
	_, err = g.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Client: "admin",
		Secrets: map[string]update.SecretValue{"/password": {Plain: "NewSecret43", Code: "ABC123"}}})
	require.Equal(t, update.Invalid, update.ErrorCode(err))
	_, err = g.eng.Reset(ctx, update.ResetRequest{Type: "user", Locator: update.ByID("u1"), Path: "/password", Client: "admin"})
	require.Equal(t, update.Malformed, update.ErrorCode(err))

	// Grants: a client whose paths leave out the secret may not reset it.
	_, err = f.eng.Reset(ctx, update.ResetRequest{Type: "user", Locator: update.ByID("u1"), Path: "/password", Client: "profiler"})
	require.Equal(t, update.Forbidden, update.ErrorCode(err))
}

// A reset's challenge never shows its code or hash in a read.
func TestResetHidesCode(t *testing.T) {
	f := newFixture(t, nil, resetPolicy())
	f.seed(t)
	res, err := resetWith(f, update.Delivery{Kind: update.ReturnCode})
	require.NoError(t, err)
	v := f.get(t, "u1")
	require.NotContains(t, jsonOf(t, v), res.Pending[0].Code)
	rec, err := f.store.Get(context.Background(), "user", "u1")
	require.NoError(t, err)
	require.NotContains(t, jsonOf(t, rec), res.Pending[0].Code)
	var open []verify.Challenge
	for _, ch := range rec.Pending {
		if ch.State == verify.Pending {
			open = append(open, ch)
		}
	}
	require.Len(t, open, 1)
}
