package verify

// Placeholders while the package is written; deleted when the real
// implementations land. The signatures are the package's contract.

import (
	"context"
	"errors"
	"text/template"
	"time"
)

var errTODO = errors.New("verify: not implemented yet")

var (
	ErrMismatch = errors.New("verify: code does not match")
	ErrExpired  = errors.New("verify: code expired")
	ErrLocked   = errors.New("verify: too many wrong codes")
	ErrUsed     = errors.New("verify: code already used")
	ErrClosed   = errors.New("verify: challenge is closed")
)

type CodeSpec struct {
	Length   int
	Alphabet string
	TTL      time.Duration
}

const Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const Digits = "0123456789"

var DefaultCodeSpec = CodeSpec{Length: 6, Alphabet: Alphanumeric, TTL: time.Hour}

func (s CodeSpec) WithDefaults() CodeSpec   { return s }
func (s CodeSpec) Validate() error          { return nil }
func NewCode(spec CodeSpec) (string, error) { return "", errTODO }

type Hasher struct{ key []byte }

func NewHasher(key []byte) (*Hasher, error)            { return &Hasher{key: key}, nil }
func (h *Hasher) Hash(challengeID, code string) []byte { return nil }
func (h *Hasher) Match(c *Challenge, code string) bool { return false }

func (c *Challenge) Check(h *Hasher, code string, now time.Time, maxAttempts int) error {
	return errTODO
}
func (c *Challenge) Rekey(hash []byte, now time.Time, ttl time.Duration) {}
func (c *Challenge) Close(s State)                                       {}

type Decision string

const (
	Allowed     Decision = ""
	Cooldown    Decision = "cooldown"
	WindowLimit Decision = "window"
)

type Limiter struct {
	Cooldown time.Duration
	Window   time.Duration
	MaxSends int
}

func (l Limiter) Decide(sends []time.Time, now time.Time) Decision { return Allowed }

type Message struct {
	ChallengeID string
	RecordType  string
	RecordID    string
	Path        string
	Channel     Channel
	To          string
	Code        string
	Expires     time.Time
	Link        string
}

type Dispatcher interface {
	Dispatch(ctx context.Context, m Message) error
}

type LinkData struct{ UserID, Code, OrgID, Path, Channel string }

func ParseLinkTemplate(s string) (*template.Template, error)      { return nil, errTODO }
func RenderLink(t *template.Template, d LinkData) (string, error) { return "", errTODO }
