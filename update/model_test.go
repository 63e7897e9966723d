package update_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// modelChallenge is the reference model's view of the held email.
type modelChallenge struct {
	value    string
	code     string // "" when the code was never handed out (throttled)
	expires  time.Time
	attempts int
	state    verify.State
}

// TestVerificationModel drives the engine with random sequences of
// updates, confirms with right and wrong codes, resends, cancels and clock
// advances, and checks after every step against a small reference model:
// a held value becomes established only through a correct code within its
// TTL and attempt limit; there is never more than one open challenge per
// path; no code or code hash ever appears in a result, event, log or error.
func TestVerificationModel(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runModel(t, seed, 150) })
	}
}

func runModel(t *testing.T, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	var logs bytes.Buffer
	f := newFixture(t, nil, nil, update.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	f.seed(t)
	established := "mparker@example.com"
	var ch *modelChallenge
	var codes []string
	var outputs strings.Builder
	addrs := []string{"a@example.com", "b@example.com", "c@example.com", established}
	const maxAttempts = 5

	for step := 0; step < steps; step++ {
		now := f.clock.Now()
		var desc string
		switch op := rng.Intn(10); {
		case op < 3: // update the email
			to := addrs[rng.Intn(len(addrs))]
			desc = "update " + to
			res, err := apply(f, update.Request{Doc: map[string]any{"email": to},
				Delivery: map[string]update.Delivery{"/email": {Kind: update.ReturnCode}}})
			require.NoError(t, err, desc)
			outputs.WriteString(jsonOf(t, res))
			switch {
			case to == established:
				if ch != nil && ch.state == verify.Pending {
					ch.state = verify.Superseded
				}
			case ch != nil && ch.state == verify.Pending && ch.value == to:
				require.True(t, res.Unchanged, "%s: the same held value again is nothing new", desc)
			default:
				require.Len(t, res.Pending, 1, desc)
				code := res.Pending[0].Code
				if res.Pending[0].Throttled != "" {
					require.Empty(t, code, desc)
				}
				ch = &modelChallenge{value: to, code: code, expires: now.Add(time.Hour), state: verify.Pending}
				if code != "" {
					codes = append(codes, code)
				}
			}
		case op < 7: // confirm
			right := ch != nil && ch.code != "" && rng.Intn(2) == 0
			code := "ZZZZZ9"
			if right {
				code = ch.code
			}
			desc = fmt.Sprintf("confirm right=%v", right)
			res, err := confirm(f, "/email", code)
			outputs.WriteString(jsonOf(t, res))
			if err != nil {
				outputs.WriteString(err.Error())
			}
			want := expectConfirm(ch, right, now, maxAttempts)
			require.Equal(t, want, update.ErrorCode(err), "%s (err %v)", desc, err)
			if want == "" {
				established = ch.value
			}
		case op < 8: // resend
			desc = "resend"
			res, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: "app",
				Path: "/email", Delivery: update.Delivery{Kind: update.ReturnCode}})
			outputs.WriteString(jsonOf(t, res))
			switch {
			case ch == nil || ch.state == verify.Confirmed || ch.state == verify.Superseded || ch.state == verify.Cancelled:
				require.Equal(t, update.NothingPending, update.ErrorCode(err), desc)
			case ch.state == verify.Locked:
				require.Equal(t, update.Locked, update.ErrorCode(err), desc)
			case err != nil:
				require.Equal(t, update.Throttled, update.ErrorCode(err), desc)
			default:
				require.Len(t, res.Pending, 1)
				ch.code, ch.expires, ch.attempts, ch.state = res.Pending[0].Code, now.Add(time.Hour), 0, verify.Pending
				codes = append(codes, ch.code)
			}
		case op < 9: // cancel
			desc = "cancel"
			_, err := f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Locator: update.ByID("u1"), Client: "app", Path: "/email"})
			if ch != nil && ch.state == verify.Pending {
				require.NoError(t, err, desc)
				ch.state = verify.Cancelled
			} else {
				require.Equal(t, update.NothingPending, update.ErrorCode(err), desc)
			}
		default: // time passes
			d := time.Duration(rng.Intn(90)) * time.Minute
			desc = "advance " + d.String()
			f.clock.Advance(d)
		}

		v := f.get(t, "u1")
		require.Equal(t, established, v.Doc["email"], "step %d (%s): established value", step, desc)
		open := 0
		for _, p := range v.Pending {
			if p.Path == "/email" && p.State == verify.Pending {
				open++
			}
		}
		require.LessOrEqual(t, open, 1, "step %d: at most one open challenge per path", step)
		if ch != nil && ch.state == verify.Pending && now.Before(ch.expires) {
			require.Equal(t, 1, open, "step %d (%s): the model's open challenge is open", step, desc)
		}
	}

	hist, err := f.eng.History(ctx, "user", update.ByID("u1"))
	require.NoError(t, err)
	rec, err := f.store.Get(ctx, "user", "u1")
	require.NoError(t, err)
	everything := outputs.String() + jsonOf(t, hist) + logs.String()
	for _, c := range codes {
		// A code may legitimately appear in a result that asked for it
		// (ReturnCode); strip those fields before searching.
		everything = strings.ReplaceAll(everything, `"code":"`+c+`"`, "")
		require.NotContains(t, everything, c, "a code leaked")
	}
	for _, pc := range rec.Pending {
		if len(pc.CodeHash) == 0 {
			continue
		}
		require.NotContains(t, everything, hex.EncodeToString(pc.CodeHash))
		require.NotContains(t, everything, base64.StdEncoding.EncodeToString(pc.CodeHash))
	}
}

// expectConfirm is the model's answer to a confirm.
func expectConfirm(ch *modelChallenge, right bool, now time.Time, maxAttempts int) update.Code {
	if ch == nil {
		return update.NothingPending
	}
	switch ch.state {
	case verify.Confirmed, verify.Superseded, verify.Cancelled:
		return update.NothingPending
	case verify.Locked:
		return update.Locked
	case verify.Expired:
		return update.Expired
	}
	if ch.code == "" {
		return update.NothingPending // throttled: no code was issued, nothing is counted
	}
	if !now.Before(ch.expires) {
		ch.state = verify.Expired
		return update.Expired
	}
	if right {
		ch.state = verify.Confirmed
		return ""
	}
	ch.attempts++
	if ch.attempts >= maxAttempts {
		ch.state = verify.Locked
		return update.Locked
	}
	return update.CodeMismatch
}
