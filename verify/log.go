package verify

import (
	"context"
	"log/slog"
)

// LogDispatcher "delivers" codes by writing them to a log, for development
// servers where no mail or SMS gateway exists.
//
// It is deliberately the one place in this module that logs a code: each
// record carries channel, to, path, expiry, link and the code itself.
// Never use it in production — anyone who can read the logs could confirm
// any pending change.
//
// A nil Logger means slog.Default(). LogDispatcher is safe for concurrent
// use if its Logger is, which every slog.Logger is.
type LogDispatcher struct {
	Logger *slog.Logger
}

var _ Dispatcher = LogDispatcher{}

// Dispatch logs m at Info level, code included, and returns ctx.Err() if
// ctx is already done (nothing is logged then).
func (d LogDispatcher) Dispatch(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l := d.Logger
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(ctx, slog.LevelInfo, "verification code",
		slog.String("challengeId", m.ChallengeID),
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.To),
		slog.String("path", m.Path),
		slog.Time("expires", m.Expires),
		slog.String("link", m.Link),
		slog.String("code", m.Code),
	)
	return nil
}
