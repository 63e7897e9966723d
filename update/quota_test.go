package update_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// TestConfirmQuota checks that wrong codes past the client's quota are
// Throttled without being counted against the challenge, that the quota
// is the client's own, and that it slides open again.
func TestConfirmQuota(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		q := update.Quotas{ConfirmPerClient: storage.Quota{Limit: 2, Window: time.Minute}}
		f := newFixture(t, open(t), nil, update.WithQuotas(q))
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		msg, ok := f.sent.Last()
		require.True(t, ok)

		for range 2 {
			_, err := confirm(f, "/email", "WRONG1")
			assert.Equal(t, update.CodeMismatch, update.ErrorCode(err))
		}
		before := f.snapshot(t, "u1")
		_, err = confirm(f, "/email", msg.Code)
		assert.Equal(t, update.Throttled, update.ErrorCode(err))
		assert.Equal(t, update.ReasonQuota, update.AsError(err).Reason)
		assert.Equal(t, before, f.snapshot(t, "u1"), "a throttled confirm changes nothing")

		_, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "admin", Path: "/email", Code: "WRONG2"})
		assert.Equal(t, update.CodeMismatch, update.ErrorCode(err), "another client has its own quota")

		f.clock.Advance(3 * time.Minute)
		_, err = confirm(f, "/email", msg.Code)
		assert.NoError(t, err, "the quota slides open")
	})
}

// TestResendQuotaPerSubject checks that a subject's resend quota holds
// whichever client asks.
func TestResendQuotaPerSubject(t *testing.T) {
	q := update.Quotas{ResendPerSubject: storage.Quota{Limit: 1, Window: time.Hour}}
	f := newFixture(t, nil, nil, update.WithQuotas(q))
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
	require.NoError(t, err)
	resend := func(client string) error {
		f.clock.Advance(10 * time.Minute)
		_, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: client, Path: "/email"})
		return err
	}
	assert.NoError(t, resend("app"))
	err = resend("admin")
	assert.Equal(t, update.Throttled, update.ErrorCode(err))
	assert.Equal(t, update.ReasonQuota, update.AsError(err).Reason)
}

func TestQuotasNeedAUsableQuota(t *testing.T) {
	_, err := update.New(nil, userPolicy(), update.WithQuotas(update.Quotas{ResendPerClient: storage.Quota{Limit: -1, Window: time.Minute}}))
	assert.ErrorIs(t, err, storage.ErrInvalid)
}
