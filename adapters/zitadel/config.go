package zitadel

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/internal/tracelog"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// EntityType is the record type the adapter reads and writes. It is
// namespaced because all adapters can share one store.
const EntityType = "zitadel.user"

// Client is one bearer token and what it stands for.
type Client struct {
	// ID is the client id the engine's grant is keyed by.
	ID string
	// Token is the bearer token the client sends.
	Token string
	// OrgID is the organisation the token belongs to. An admin token
	// (UserID empty) holds user.write on every user of this organisation.
	OrgID string
	// UserID, when set, makes this a user's own token: it reaches only
	// that user and may not assert an address as verified.
	UserID string
}

// admin reports whether the client holds user.write over its organisation.
func (c Client) admin() bool { return c.UserID == "" }

// Config configures the adapter and its profile.
type Config struct {
	// Clients are the accepted bearer tokens. A request with any other
	// token is refused as unauthenticated.
	Clients []Client
	// DefaultRegion is the region numbers without a leading + are read
	// in (ISO 3166 alpha-2). Default "CH", as ZITADEL.
	DefaultRegion string
	// DefaultURLTemplate renders the link of a code sent without a
	// sendCode.urlTemplate of its own. Default DefaultEmailTemplate.
	DefaultURLTemplate string
	// MaxBodyBytes bounds every request body. Default 64 KiB; a
	// ZITADEL body is a few hundred bytes.
	MaxBodyBytes int64
	// MaxDepth bounds the nesting of a request body. Default 8; the
	// deepest ZITADEL body nests 4 levels.
	MaxDepth int
	// MaxAttempts wrong codes lock a challenge. Default 5.
	MaxAttempts int
	// ResendCooldown is the least time between two codes to one
	// address. Default one minute.
	ResendCooldown time.Duration
	// MaxSends codes may go to one address within SendWindow.
	// Default 5 per hour.
	MaxSends   int
	SendWindow time.Duration
	// Now is the clock of the deployment. Default time.Now. The adapter
	// itself reads no time (codes, limits and change dates are the
	// engine's); New passes it to the engine it builds.
	Now func() time.Time
	// Logger receives internal errors (never secrets or codes).
	// Default slog.Default().
	Logger *slog.Logger
	// GlobalUsernameOrgs lists the organisations whose usernames are
	// unique in the whole instance, as ZITADEL's domain policy makes them
	// when userLoginMustBeDomain is false. Usernames of every other
	// organisation are unique within it (userLoginMustBeDomain true), so
	// two organisations may each have a "minnie".
	GlobalUsernameOrgs []string
}

// DefaultEmailTemplate is the link a code is sent with when the request
// names no template of its own.
const DefaultEmailTemplate = "https://login.example.com/ui/v2/login/verify?userId={{.UserID}}&code={{.Code}}&orgId={{.OrgID}}"

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.DefaultRegion == "" {
		c.DefaultRegion = "CH"
	}
	if c.DefaultURLTemplate == "" {
		c.DefaultURLTemplate = DefaultEmailTemplate
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 8
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.ResendCooldown <= 0 {
		c.ResendCooldown = time.Minute
	}
	if c.MaxSends <= 0 {
		c.MaxSends = 5
	}
	if c.SendWindow <= 0 {
		c.SendWindow = time.Hour
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
	clients := httpx.ClientList[Client]{
		Clients: c.Clients, Noun: "client", SecretNoun: "token", UniqueSecrets: true,
		ID:     func(cl Client) string { return cl.ID },
		Secret: func(cl Client) string { return cl.Token },
	}
	if err := clients.Check(); err != nil {
		return fmt.Errorf("zitadel: %w", err)
	}
	for _, cl := range c.Clients {
		if cl.OrgID == "" {
			return fmt.Errorf("zitadel: client %q has no organisation", cl.ID)
		}
	}
	if _, err := verify.ParseLinkTemplate(c.DefaultURLTemplate, urlTemplateRules...); err != nil {
		return fmt.Errorf("zitadel: default URL template: %w", err)
	}
	return nil
}

// The demo organisation, user and tokens of the shim server.
const (
	DemoOrgID      = "69629023906488334"
	DemoUserID     = "69629026806489455"
	DemoAdminToken = "demo-zitadel-admin"
	DemoSelfToken  = "demo-zitadel-self"
)

// DemoConfig returns the configuration of the shim server's demo: an org
// admin token with user.write on the demo organisation and the demo
// user's own token.
func DemoConfig() Config {
	return Config{
		Clients: []Client{
			{ID: "zitadel-admin", Token: DemoAdminToken, OrgID: DemoOrgID},
			{ID: "zitadel-self", Token: DemoSelfToken, OrgID: DemoOrgID, UserID: DemoUserID},
		},
	}
}

// SeedDemo creates the demo user (Minnie Mouse, email and phone verified)
// through eng, the Engine of a Handler built from DemoConfig() or from a
// configuration with its admin client. A demo user that already exists is left as it is.
func SeedDemo(ctx context.Context, eng *update.Engine) error {
	if _, err := eng.Get(ctx, EntityType, update.ByID(DemoUserID)); err == nil {
		return nil
	} else if update.ErrorCode(err) != update.NotFound {
		return fmt.Errorf("zitadel: seed demo user: %w", err)
	}
	_, err := eng.Create(ctx, update.CreateRequest{
		Type:   EntityType,
		ID:     DemoUserID,
		Client: "zitadel-admin",
		Actor:  "seed",
		Doc: map[string]any{
			"orgId":    DemoOrgID,
			"username": "minnie",
			"profile": map[string]any{
				"givenName":         "Minnie",
				"familyName":        "Mouse",
				"displayName":       "Minnie Mouse",
				"preferredLanguage": "en",
				"gender":            "GENDER_FEMALE",
			},
			"email": map[string]any{"email": "minnie@example.com"},
			"phone": map[string]any{"phone": "+41791234567"},
		},
		Verified: []string{emailPath, phonePath},
	})
	if err != nil {
		// A concurrent seed may have won the race; its record is as good.
		if _, gerr := eng.Get(ctx, EntityType, update.ByID(DemoUserID)); gerr == nil {
			return nil
		}
		return fmt.Errorf("zitadel: seed demo user: %w", err)
	}
	return nil
}
