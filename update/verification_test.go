package update_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func confirm(f *fixture, path, code string) (*update.Result, error) {
	return f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: path, Code: code})
}

func lastCode(t testing.TB, f *fixture, to string) string {
	t.Helper()
	c, ok := f.sent.CodeFor(to)
	require.True(t, ok, "a code was sent to %s", to)
	return c
}

func TestHoldThenConfirm(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)

		res, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com","givenName":"M"}`)})
		require.NoError(t, err)
		assert.True(t, res.Modified)
		assert.True(t, res.VerificationDispatched)
		require.Len(t, res.Pending, 1)
		p := res.Pending[0]
		assert.Equal(t, "/email", p.Path)
		assert.True(t, p.Held)
		assert.True(t, p.Dispatched)
		assert.Empty(t, p.Code, "the code is never in a result unless asked for")
		assert.Equal(t, f.clock.Now().Add(time.Hour), p.Expires)
		assert.Equal(t, []string{"/givenName"}, changedPaths(res), "the held value is not a document change")

		v := f.get(t, "u1")
		assert.Equal(t, "mparker@example.com", v.Doc["email"], "the old value stays established")
		assert.Equal(t, true, v.Doc["emailVerified"])

		msg, ok := f.sent.Last()
		require.True(t, ok)
		assert.Equal(t, verify.Email, msg.Channel)
		assert.Equal(t, "new@example.com", msg.To)

		res, err = confirm(f, "/email", msg.Code)
		require.NoError(t, err)
		assert.Equal(t, []string{"/email"}, changedPaths(res))
		v = f.get(t, "u1")
		assert.Equal(t, "new@example.com", v.Doc["email"])
		assert.Equal(t, true, v.Doc["emailVerified"])
		assert.Empty(t, v.Pending)

		_, err = confirm(f, "/email", msg.Code)
		assert.Equal(t, update.NothingPending, update.ErrorCode(err))
		assert.Equal(t, "confirmed", update.AsError(err).Reason, "a used code is told apart from none")
	})
}

func TestApplyUnverifiedThenConfirm(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		res, err := apply(f, update.Request{Doc: doc(t, `{"phone":"079 765 43 21"}`),
			Delivery: map[string]update.Delivery{"/phone": {Kind: update.ReturnCode}}})
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		code := res.Pending[0].Code
		assert.Len(t, code, 6)
		assert.Regexp(t, `^[0-9]{6}$`, code, "the phone's code spec is numeric")
		assert.False(t, res.VerificationDispatched, "a returned code is not sent")
		assert.Empty(t, f.sent.Messages())

		v := f.get(t, "u1")
		assert.Equal(t, "+41797654321", v.Doc["phone"], "applied at once, normalized to E.164")
		assert.Equal(t, false, v.Doc["phoneVerified"])

		_, err = confirm(f, "/phone", code)
		require.NoError(t, err)
		assert.Equal(t, true, f.get(t, "u1").Doc["phoneVerified"])
	})
}

func TestAlreadyVerified(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	snap := f.snapshot(t, "u1")
	req := update.Request{Doc: doc(t, `{"email":"direct@example.com"}`),
		Delivery: map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}}
	_, err := apply(f, req)
	assert.Equal(t, update.Forbidden, update.ErrorCode(err), "only a client allowed to assert it may")
	assert.Equal(t, snap, f.snapshot(t, "u1"))

	req.Client = "admin"
	res, err := apply(f, req)
	require.NoError(t, err)
	assert.Empty(t, res.Pending)
	assert.Equal(t, "direct@example.com", f.get(t, "u1").Doc["email"])
	assert.Empty(t, f.sent.Messages())
}

func TestWrongCodesLock(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		code := lastCode(t, f, "new@example.com")
		for i := 1; i <= 4; i++ {
			_, err = confirm(f, "/email", "WRONG1")
			assert.Equal(t, update.CodeMismatch, update.ErrorCode(err), "attempt %d", i)
		}
		_, err = confirm(f, "/email", "WRONG1")
		assert.Equal(t, update.Locked, update.ErrorCode(err), "the fifth wrong code locks")
		_, err = confirm(f, "/email", code)
		assert.Equal(t, update.Locked, update.ErrorCode(err), "a locked challenge refuses even the right code")
		assert.Equal(t, "mparker@example.com", f.get(t, "u1").Doc["email"])
		hist, err := f.eng.History(ctx, "user", update.ByID("u1"))
		require.NoError(t, err)
		failed := 0
		for _, ev := range hist {
			if ev.Kind == "verify_failed" {
				failed++
			}
		}
		assert.Equal(t, 5, failed, "every wrong attempt is persisted")
	})
}

func TestCodeExpires(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		code := lastCode(t, f, "new@example.com")
		f.clock.Advance(time.Hour)
		_, err = confirm(f, "/email", code)
		assert.Equal(t, update.Expired, update.ErrorCode(err))
		assert.Equal(t, "mparker@example.com", f.get(t, "u1").Doc["email"])

		res, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
		require.NoError(t, err, "an expired challenge can get a new code")
		assert.True(t, res.VerificationDispatched)
		fresh := lastCode(t, f, "new@example.com")
		_, err = confirm(f, "/email", fresh)
		require.NoError(t, err)
		assert.Equal(t, "new@example.com", f.get(t, "u1").Doc["email"])
	})
}

func TestResendLimits(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		resend := func() error {
			_, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
			return err
		}
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		first := lastCode(t, f, "new@example.com")

		snap := f.snapshot(t, "u1")
		err = resend()
		assert.Equal(t, update.Throttled, update.ErrorCode(err))
		assert.Equal(t, "cooldown", update.AsError(err).Reason)
		assert.Equal(t, snap, f.snapshot(t, "u1"), "a refused resend writes nothing")

		f.clock.Advance(2 * time.Minute)
		require.NoError(t, resend())
		second := lastCode(t, f, "new@example.com")
		f.clock.Advance(2 * time.Minute)
		require.NoError(t, resend())

		f.clock.Advance(2 * time.Minute)
		err = resend()
		assert.Equal(t, update.Throttled, update.ErrorCode(err))
		assert.Equal(t, "window", update.AsError(err).Reason, "three sends an hour")

		_, err = confirm(f, "/email", first)
		assert.Equal(t, update.CodeMismatch, update.ErrorCode(err), "a resent code kills the old one")
		_, err = confirm(f, "/email", second)
		assert.Equal(t, update.CodeMismatch, update.ErrorCode(err))
	})
}

func TestUpdateThrottledStillHolds(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"one@example.com"}`)})
		require.NoError(t, err)
		res, err := apply(f, update.Request{Doc: doc(t, `{"email":"two@example.com"}`)})
		require.NoError(t, err)
		require.Len(t, res.Pending, 1)
		assert.Equal(t, "cooldown", res.Pending[0].Throttled, "the send history follows the path, not the challenge")
		assert.False(t, res.Pending[0].Dispatched)
		assert.False(t, res.VerificationDispatched)
		v := f.get(t, "u1")
		require.Len(t, v.Pending, 1, "one open challenge per path")

		snap := f.snapshot(t, "u1")
		_, err = confirm(f, "/email", lastCode(t, f, "one@example.com"))
		assert.Equal(t, update.NothingPending, update.ErrorCode(err), "the superseded challenge's code is dead")
		assert.Equal(t, "no_code", update.AsError(err).Reason, "the throttled challenge has no code yet")
		assert.Equal(t, snap, f.snapshot(t, "u1"), "no attempt is counted against a challenge without a code")

		f.clock.Advance(2 * time.Minute)
		_, err = f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
		require.NoError(t, err)
		_, err = confirm(f, "/email", lastCode(t, f, "two@example.com"))
		require.NoError(t, err)
		assert.Equal(t, "two@example.com", f.get(t, "u1").Doc["email"])
	})
}

func TestResendSameValueIsNothingNew(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
	require.NoError(t, err)
	snap := f.snapshot(t, "u1")
	res, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
	require.NoError(t, err)
	assert.True(t, res.Unchanged)
	require.Len(t, res.Pending, 1)
	assert.Equal(t, "pending", res.Pending[0].Throttled)
	assert.Len(t, f.sent.Messages(), 1)
	assert.Equal(t, snap, f.snapshot(t, "u1"))

	res, err = apply(f, update.Request{Doc: doc(t, `{"email":"mparker@example.com"}`)})
	require.NoError(t, err)
	assert.True(t, res.Modified, "sending the established value again withdraws the held one")
	assert.Empty(t, f.get(t, "u1").Pending)
}

func TestCancel(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err)
		_, err = f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
		require.NoError(t, err)
		_, err = confirm(f, "/email", lastCode(t, f, "new@example.com"))
		assert.Equal(t, update.NothingPending, update.ErrorCode(err))
		_, err = f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
		assert.Equal(t, update.NothingPending, update.ErrorCode(err))

		// The reservation went with it: another record may now take the value.
		_, err = f.eng.Create(ctx, update.CreateRequest{Type: "user", Client: "admin", Doc: doc(t, `{"familyName":"X","email":"new@example.com"}`)})
		assert.NoError(t, err)
	})
}

func TestReservationAndRecheckAtConfirm(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"wanted@example.com"}`)})
		require.NoError(t, err)
		_, err = f.eng.Create(ctx, update.CreateRequest{Type: "user", Client: "admin", Doc: doc(t, `{"familyName":"X","email":"wanted@example.com"}`)})
		assert.Equal(t, update.NotUnique, update.ErrorCode(err), "a held value reserves its uniqueness")

		_, err = f.eng.Get(ctx, "user", update.ByKey("/email", "wanted@example.com"))
		assert.Equal(t, update.NotFound, update.ErrorCode(err), "a reservation does not name the record")

		// Without reservation, the value can be taken meanwhile; confirm checks again.
		pol := userPolicy()
		pol.Types["user"].Fields["/email"].Confirm.ReservePending = false
		g := newFixture(t, open(t), pol)
		g.seed(t)
		_, err = apply(g, update.Request{Doc: doc(t, `{"email":"wanted@example.com"}`)})
		require.NoError(t, err)
		code := lastCode(t, g, "wanted@example.com")
		_, err = g.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u9", Client: "admin", Doc: doc(t, `{"familyName":"X","email":"wanted@example.com"}`)})
		require.NoError(t, err)
		snap := g.snapshot(t, "u1")
		_, err = confirm(g, "/email", code)
		require.Error(t, err)
		assert.Equal(t, update.NotUnique, update.ErrorCode(err))
		assert.Equal(t, "u9", update.AsError(err).Holder.HolderID)
		assert.Equal(t, snap, g.snapshot(t, "u1"), "a confirm that cannot apply changes nothing")
	})
}

func TestDispatchFailureKeepsChallenge(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil, update.WithLogger(slog.New(slog.DiscardHandler)))
		f.seed(t)
		f.sent.FailWith(errors.New("smtp down"))
		res, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`)})
		require.NoError(t, err, "a failed send does not fail the committed update")
		require.Len(t, res.Pending, 1)
		assert.Equal(t, "dispatch failed: smtp down", res.Pending[0].DispatchError, "as specific as the log line")
		assert.False(t, res.VerificationDispatched)

		f.sent.FailWith(nil)
		f.clock.Advance(2 * time.Minute)
		res, err = f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
		require.NoError(t, err)
		assert.True(t, res.VerificationDispatched)
		_, err = confirm(f, "/email", lastCode(t, f, "new@example.com"))
		assert.NoError(t, err)
	})
}

func TestLinkTemplate(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com"}`),
		Delivery: map[string]update.Delivery{"/email": {LinkTemplate: "https://example.com/verify?user={{.UserID}}&code={{.Code}}&org={{.OrgID}}", OrgID: "org7"}}})
	require.NoError(t, err)
	msg, ok := f.sent.Last()
	require.True(t, ok)
	assert.Equal(t, "https://example.com/verify?user=u1&code="+msg.Code+"&org=org7", msg.Link)
}

func TestConfirmWithoutPath(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := apply(f, update.Request{Doc: doc(t, `{"email":"new@example.com","phone":"+41790000000"}`)})
		require.NoError(t, err)
		_, err = confirm(f, "", lastCode(t, f, "+41790000000"))
		require.NoError(t, err, "the code picks its challenge")
		v := f.get(t, "u1")
		assert.Equal(t, true, v.Doc["phoneVerified"])
		assert.Equal(t, "mparker@example.com", v.Doc["email"], "the other challenge is untouched")
		require.Len(t, v.Pending, 1)
		assert.Equal(t, "/email", v.Pending[0].Path)
	})
}

func changedPaths(res *update.Result) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, c.Path)
	}
	return out
}
