package druid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/internal/tracelog"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// Client is one application registered with DRUID.
type Client struct {
	// ID is the client id, also the app_id the activity's actor names.
	ID string
	// Secret is the client secret sent to /oauth2/token.
	Secret string
	// ChallengeFlow allows the client the challenge-code grant; without it
	// the token endpoint refuses the client (403).
	ChallengeFlow bool
	// AssertConfirmed lets the client send an email or phone number with
	// "confirmed": true and have it set at once as confirmed.
	AssertConfirmed bool
	// EntryPoints are the entry point ids the client may name in From.
	EntryPoints []string
	// Scopes the client may ask for. Nil means just "update".
	Scopes []string
}

// UserToken is a user's own access token, as DRUID's login issues it to
// a client after the user signed in: it names the client and the user.
type UserToken struct {
	Token  string
	Client string
	UserID string
}

// Config configures the adapter. The zero value of every field but
// Clients has a usable default, applied by New and Policy.
type Config struct {
	Clients []Client
	// UserTokens are users' own access tokens the adapter accepts for the
	// non-administrative update (Bearer <access_token>, no
	// code_verifier). Tokens not listed are asked of LookupUserToken.
	UserTokens []UserToken
	// LookupUserToken, when set, resolves an access token that is not in
	// UserTokens: the deployment's login service checks it and returns
	// the client and user it names, ok false for a token it does not
	// know. An error is answered as an internal error.
	LookupUserToken func(ctx context.Context, token string) (tok UserToken, ok bool, err error)
	// MaxBulkLines bounds the lines of one bulk upload. Default 100,000.
	MaxBulkLines int
	// MaxLineBytes bounds one line of a bulk upload. Default
	// MaxBodyBytes.
	MaxLineBytes int
	// BulkConcurrency is how many lines of one bulk upload may be in the
	// engine at once (lines on one user always apply in order). 1 applies
	// the lines one after another. Default 8.
	BulkConcurrency int
	// TokenTTL is how long a challenge-code token lives. Default 60 s.
	TokenTTL time.Duration
	// TokenQuota bounds the tokens one client may be issued: at most
	// Limit in any Window (sliding, see storage.Quota), counted across
	// every process on the store. A client past it is answered 429 while
	// other clients are served. Default 6000 a minute.
	TokenQuota storage.Quota
	// Tokens is where issued tokens, used code verifiers and token quotas
	// are kept. Default: the store New is given, which shares them with
	// every process on that store; New fails if the store does not
	// implement storage.Ephemeral and Tokens is nil.
	Tokens storage.Ephemeral
	// MaxBodyBytes bounds a request body. Default 64 KiB.
	MaxBodyBytes int64
	// MaxDepth bounds the nesting of a request body. Default 12.
	MaxDepth int
	// DefaultRegion is the region phone numbers without a leading + are
	// read in (ISO 3166 alpha-2). Default "ES".
	DefaultRegion string
	// PasswordCost is the bcrypt cost of password hashes. Default 10.
	PasswordCost int
	// CodeTTL is how long a confirmation code is valid. Default 24 h.
	CodeTTL time.Duration
	// ResendCooldown is the least time between two codes for one id.
	// Default 60 s.
	ResendCooldown time.Duration
	// Now is the clock of the deployment, the adapter's tokens' and the
	// engine's (New passes it on). Default time.Now.
	Now func() time.Time
	// Logger receives one line per refused or failed request, without
	// secrets. Default slog.Default().
	Logger *slog.Logger
}

// The demo data of the shim server.
const (
	DemoClientID   = "demo-app"
	DemoSecret     = "demo-app-secret"
	DemoEntryPoint = "demo-entrypoint"
	DemoUserID     = "druid-user-1"
	// DemoUserToken is druid-user-1's own access token, as if issued by
	// DRUID's login to demo-app.
	DemoUserToken = "demo-user-access-token"
)

// DemoConfig returns the shim server's demo configuration: client
// demo-app / demo-app-secret, allowed the challenge-code flow and to assert
// confirmed ids, with entry point demo-entrypoint, and druid-user-1's own
// access token demo-user-access-token.
func DemoConfig() Config {
	return Config{Clients: []Client{{
		ID:              DemoClientID,
		Secret:          DemoSecret,
		ChallengeFlow:   true,
		AssertConfirmed: true,
		EntryPoints:     []string{DemoEntryPoint},
		Scopes:          []string{scopeUpdate},
	}}, UserTokens: []UserToken{{Token: DemoUserToken, Client: DemoClientID, UserID: DemoUserID}}}
}

// SeedDemo creates the demo user druid-user-1: email jane@example.com and
// phone number +34600111222, both confirmed, datas name Jane and surname
// Doe. It is idempotent: an existing druid-user-1 is left alone. eng is
// the Engine of a Handler built from DemoConfig (or from a configuration
// granting demo-app Create and AssertConfirmed).
func SeedDemo(ctx context.Context, eng *update.Engine) error {
	_, err := eng.Get(ctx, EntityType, update.ByID(DemoUserID))
	if err == nil {
		return nil
	}
	if update.ErrorCode(err) != update.NotFound {
		return fmt.Errorf("druid: seed demo: %w", err)
	}
	_, err = eng.Create(ctx, update.CreateRequest{
		Type:   EntityType,
		ID:     DemoUserID,
		Client: DemoClientID,
		Actor:  "seed",
		Doc: map[string]any{
			pathEmail[1:]: "jane@example.com",
			pathPhone[1:]: "+34600111222",
			pathDatas[1:]: map[string]any{"name": "Jane", "surname": "Doe"},
		},
		Verified: []string{pathEmail, pathPhone},
	})
	if err != nil && !errors.Is(err, storage.ErrExists) {
		return fmt.Errorf("druid: seed demo: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.TokenTTL <= 0 {
		c.TokenTTL = 60 * time.Second
	}
	if c.TokenQuota == (storage.Quota{}) {
		c.TokenQuota = storage.Quota{Limit: 6000, Window: time.Minute}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.MaxBulkLines <= 0 {
		c.MaxBulkLines = 100_000
	}
	if c.BulkConcurrency <= 0 {
		c.BulkConcurrency = 8
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = int(c.MaxBodyBytes)
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 12
	}
	if c.DefaultRegion == "" {
		c.DefaultRegion = "ES"
	}
	if c.PasswordCost <= 0 {
		c.PasswordCost = 10
	}
	if c.CodeTTL <= 0 {
		c.CodeTTL = 24 * time.Hour
	}
	if c.ResendCooldown <= 0 {
		c.ResendCooldown = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	// Lines logged with a request's context name its trace.
	c.Logger = tracelog.Logger(c.Logger)
	return c
}

// check reports a configuration the adapter cannot serve with.
func (c Config) check() error {
	if err := storage.CheckQuota("token quota", c.TokenQuota); err != nil {
		return fmt.Errorf("druid: TokenQuota: %w", err)
	}
	clients := httpx.ClientList[Client]{
		Clients: c.Clients, Noun: "client", SecretNoun: "secret",
		ID:     func(cl Client) string { return cl.ID },
		Secret: func(cl Client) string { return cl.Secret },
		Reserved: func(id string) string {
			if strings.HasSuffix(id, selfSuffix) {
				return fmt.Sprintf("ends with %q, which names a client's self grant", selfSuffix)
			}
			return ""
		},
	}
	if err := clients.Check(); err != nil {
		return fmt.Errorf("druid: %w", err)
	}
	seen := map[string]bool{}
	for _, cl := range c.Clients {
		seen[cl.ID] = true
	}
	for _, ut := range c.UserTokens {
		if ut.Token == "" || ut.UserID == "" || !seen[ut.Client] {
			return errors.New("druid: a user token needs a token, a user and a configured client")
		}
	}
	return nil
}

func (c Config) client(id string) (Client, bool) {
	for _, cl := range c.Clients {
		if cl.ID == id {
			return cl, true
		}
	}
	return Client{}, false
}

func (cl Client) scopes() []string {
	if cl.Scopes == nil {
		return []string{scopeUpdate}
	}
	return cl.Scopes
}
