package verify

import "time"

// Decision is a Limiter's answer to "may a code be sent now?".
type Decision string

// The decisions. Allowed is the zero value.
const (
	// Allowed: send.
	Allowed Decision = ""
	// Cooldown: the last send was less than Limiter.Cooldown ago.
	Cooldown Decision = "cooldown"
	// WindowLimit: Limiter.MaxSends sends already fall in the window.
	WindowLimit Decision = "window"
)

// Limiter decides whether one challenge may send another code. It is a
// plain value with no clock and no state of its own: the send history and
// the time are passed in, so it is safe for concurrent use and tests never
// sleep. The zero Limiter allows everything.
type Limiter struct {
	// Cooldown is the least time between two sends; <= 0 means none.
	Cooldown time.Duration
	// Window and MaxSends: at most MaxSends sends in any Window. Either
	// <= 0 disables the window limit.
	Window   time.Duration
	MaxSends int
}

// Decide answers for a challenge whose sends are listed in sends (any
// order) at time now:
//
//   - WindowLimit when MaxSends > 0, Window > 0 and at least MaxSends
//     sends lie in (now−Window, now];
//   - otherwise Cooldown when Cooldown > 0 and the latest send lies after
//     now−Cooldown (a send stamped after now, from a clock step, counts);
//   - otherwise Allowed.
//
// When both limits apply WindowLimit is reported, as it is the harder one:
// waiting out the cooldown would not help.
func (l Limiter) Decide(sends []time.Time, now time.Time) Decision {
	if l.windowFull(sends, now) {
		return WindowLimit
	}
	if l.Cooldown > 0 && len(sends) > 0 {
		from := now.Add(-l.Cooldown)
		for _, s := range sends {
			if s.After(from) {
				return Cooldown
			}
		}
	}
	return Allowed
}

func (l Limiter) windowFull(sends []time.Time, now time.Time) bool {
	if l.MaxSends <= 0 || l.Window <= 0 {
		return false
	}
	from := now.Add(-l.Window)
	n := 0
	for _, s := range sends {
		if s.After(from) && !s.After(now) {
			n++
		}
	}
	return n >= l.MaxSends
}

// Prune returns the sends Decide may still need at now or any later time:
// those after now minus the longer of Window and Cooldown. The result is a
// new slice in the original order (nil when nothing is left); sends is not
// modified. Storing the pruned list after each send keeps Challenge.Sends
// from growing without bound.
func (l Limiter) Prune(sends []time.Time, now time.Time) []time.Time {
	horizon := max(l.Window, l.Cooldown, 0)
	from := now.Add(-horizon)
	var kept []time.Time
	for _, s := range sends {
		if s.After(from) {
			kept = append(kept, s)
		}
	}
	return kept
}
