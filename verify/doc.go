// Package verify provides the pending-verification primitives: codes, their keyed hashes, the challenge state machine, the send limiter and the dispatchers that deliver codes.
//
// # State machine
//
// A Challenge is one pending verification of one value at one path:
//
//	          Rekey (issue or resend a code)
//	            ┌──────┐
//	            ▼      │
//	New ──▶ Pending ───┘
//	           │
//	           ├── Check, right code, before Expires ─────▶ Confirmed
//	           ├── Check at or after Expires ──────────────▶ Expired
//	           ├── Check, wrong code, attempt limit hit ───▶ Locked
//	           ├── Close(Superseded): newer change to path ▶ Superseded
//	           └── Close(Cancelled): withdrawn ────────────▶ Cancelled
//
// A wrong code below the attempt limit leaves the challenge Pending with
// one more attempt counted. Every state but Pending is final: Check
// reports it (ErrUsed, ErrExpired, ErrLocked, ErrClosed) and Rekey and
// Close leave it alone. The transitions are pure — the time is passed in
// — and the caller persists the challenge after each one, so that wrong
// attempts survive a restart.
//
// # What is stored
//
// A challenge never holds a code. It holds the code's HMAC-SHA256 under a
// server key, computed over the challenge id and the code (Hasher), so a
// store dump reveals no codes, guesses cannot be tested without the key,
// and a hash moved to another challenge does not verify there. Comparison
// is constant time. The hash is cleared when the challenge reaches a final
// state. The plain code exists only in the Message handed to a Dispatcher
// (or returned to a caller who asked for it).
//
// # Send limits
//
// Limiter.Decide looks at a challenge's send times and the current time:
//
//   - WindowLimit when MaxSends > 0, Window > 0 and MaxSends or more sends
//     lie in the half-open interval (now−Window, now]: a send exactly
//     Window ago no longer counts;
//   - else Cooldown when Cooldown > 0 and some send lies after
//     now−Cooldown: a send exactly Cooldown ago no longer blocks;
//   - else Allowed.
//
// WindowLimit wins when both apply because it lasts longer. Limiter.Prune
// drops sends at or before now minus the longer of Window and Cooldown,
// which can never matter again.
//
// # Dispatchers
//
// LogDispatcher writes codes to a log (development only), Recorder keeps
// them for tests, and Webhook POSTs them as signed JSON.
package verify
