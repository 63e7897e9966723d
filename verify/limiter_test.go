package verify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idupdate/idupdate/verify"
)

func TestLimiterDecide(t *testing.T) {
	l := verify.Limiter{Cooldown: time.Minute, Window: time.Hour, MaxSends: 3}
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	tests := []struct {
		name    string
		limiter verify.Limiter
		sends   []time.Time
		want    verify.Decision
	}{
		{"AllowedNoSends", l, nil, verify.Allowed},
		{"CooldownJustSent", l, []time.Time{ago(0)}, verify.Cooldown},
		{"CooldownInsideEdge", l, []time.Time{ago(time.Minute - time.Nanosecond)}, verify.Cooldown},
		{"AllowedAtCooldownEdge", l, []time.Time{ago(time.Minute)}, verify.Allowed},
		{"CooldownSendAfterNow", l, []time.Time{t0.Add(time.Second)}, verify.Cooldown},
		{"CooldownLatestOutOfOrder", l, []time.Time{ago(10 * time.Second), ago(30 * time.Minute)}, verify.Cooldown},
		{"AllowedBelowWindowLimit", l, []time.Time{ago(50 * time.Minute), ago(10 * time.Minute)}, verify.Allowed},
		{"WindowLimitReached", l, []time.Time{ago(50 * time.Minute), ago(20 * time.Minute), ago(10 * time.Minute)}, verify.WindowLimit},
		{"WindowLimitInsideEdge", l, []time.Time{ago(time.Hour - time.Nanosecond), ago(20 * time.Minute), ago(10 * time.Minute)}, verify.WindowLimit},
		{"AllowedOldestAtWindowEdge", l, []time.Time{ago(time.Hour), ago(20 * time.Minute), ago(10 * time.Minute)}, verify.Allowed},
		{"WindowLimitBeatsCooldown", l, []time.Time{ago(50 * time.Minute), ago(20 * time.Minute), ago(time.Second)}, verify.WindowLimit},
		{"CooldownFutureSendNotInWindow", l, []time.Time{ago(50 * time.Minute), ago(20 * time.Minute), t0.Add(time.Hour)}, verify.Cooldown},
		{"ZeroLimiterAllowsAll", verify.Limiter{}, []time.Time{ago(0), ago(0), ago(0)}, verify.Allowed},
		{"NoWindowWithoutMaxSends", verify.Limiter{Window: time.Hour}, []time.Time{ago(time.Second)}, verify.Allowed},
		{"NoWindowWithoutWindow", verify.Limiter{MaxSends: 1}, []time.Time{ago(time.Second)}, verify.Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.limiter.Decide(tt.sends, t0))
		})
	}
}

func TestLimiterPrune(t *testing.T) {
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	sends := []time.Time{ago(3 * time.Hour), ago(time.Hour), ago(59 * time.Minute), ago(time.Minute), t0}
	tests := []struct {
		name    string
		limiter verify.Limiter
		want    []time.Time
	}{
		{"WindowLonger", verify.Limiter{Cooldown: time.Minute, Window: time.Hour, MaxSends: 3},
			[]time.Time{ago(59 * time.Minute), ago(time.Minute), t0}},
		{"CooldownLonger", verify.Limiter{Cooldown: 2 * time.Hour, Window: time.Minute, MaxSends: 3},
			[]time.Time{ago(time.Hour), ago(59 * time.Minute), ago(time.Minute), t0}},
		{"NoLimitsKeepsOnlyFuture", verify.Limiter{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Time(nil), sends...)
			got := tt.limiter.Prune(in, t0)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, sends, in, "the input must not be modified")
		})
	}
	t.Run("DecisionsUnchanged", func(t *testing.T) {
		l := verify.Limiter{Cooldown: 5 * time.Minute, Window: time.Hour, MaxSends: 3}
		pruned := l.Prune(sends, t0)
		for d := time.Duration(0); d <= 2*time.Hour; d += 30 * time.Second {
			at := t0.Add(d)
			assert.Equal(t, l.Decide(sends, at), l.Decide(pruned, at), "at now+%s", d)
		}
	})
}
