package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// redacted stands in for a code (or a link, which usually embeds it)
// wherever a Message is printed or logged.
const redacted = "[redacted]"

// Message is one code on its way to its owner.
//
// Printing or logging a Message (String, GoString, LogValue) shows neither
// Code nor Link, since a link usually embeds the code. MarshalJSON, in
// contrast, includes both: it is the body a Webhook delivers, and the
// receiver needs the code to send it on. Treat the JSON as a secret.
type Message struct {
	ChallengeID string
	RecordType  string
	RecordID    string
	// Path is the JSON Pointer of the field being verified.
	Path    string
	Channel Channel
	// To is the address: an email address or an E.164 phone number.
	To string
	// Code is the plain code. It exists only here, on its way out.
	Code string
	// Expires is when the code stops being accepted.
	Expires time.Time
	// Link is the rendered link template, or empty.
	Link string
}

// messageJSON fixes the wire names of a Message; json.Unmarshal into a
// Message accepts them too, since field names match case-insensitively.
type messageJSON struct {
	ChallengeID string    `json:"challengeId"`
	RecordType  string    `json:"recordType,omitempty"`
	RecordID    string    `json:"recordId,omitempty"`
	Path        string    `json:"path"`
	Channel     Channel   `json:"channel"`
	To          string    `json:"to"`
	Code        string    `json:"code"`
	Expires     time.Time `json:"expires"`
	Link        string    `json:"link,omitempty"`
}

// MarshalJSON encodes m including its code; see Message.
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(messageJSON(m))
}

// String describes m without its code or link.
func (m Message) String() string {
	return fmt.Sprintf("verify.Message{ChallengeID:%q RecordType:%q RecordID:%q Path:%q Channel:%q To:%q Code:%s Expires:%s Link:%s}",
		m.ChallengeID, m.RecordType, m.RecordID, m.Path, m.Channel, m.To,
		hide(m.Code), m.Expires.Format(time.RFC3339), hide(m.Link))
}

// GoString makes %#v as safe as %v.
func (m Message) GoString() string { return m.String() }

// LogValue makes slog log m as a group without its code or link.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("challengeId", m.ChallengeID),
		slog.String("recordType", m.RecordType),
		slog.String("recordId", m.RecordID),
		slog.String("path", m.Path),
		slog.String("channel", string(m.Channel)),
		slog.String("to", m.To),
		slog.String("code", hide(m.Code)),
		slog.Time("expires", m.Expires),
		slog.String("link", hide(m.Link)),
	)
}

// hide says whether a secret was present without showing it.
func hide(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// Dispatcher delivers a Message to its owner. The engine calls it after
// the challenge is committed, never inside a transaction; an error means
// the code did not go out, and the challenge stays resendable.
// Implementations must be safe for concurrent use.
type Dispatcher interface {
	Dispatch(ctx context.Context, m Message) error
}

// DispatcherFunc adapts a function to Dispatcher.
type DispatcherFunc func(ctx context.Context, m Message) error

// Dispatch calls f(ctx, m).
func (f DispatcherFunc) Dispatch(ctx context.Context, m Message) error { return f(ctx, m) }
