package scim

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

// The defaults a zero Config field takes.
const (
	DefaultMaxResults     = 200
	DefaultMaxFilterBytes = 4096
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxDepth       = 8
	DefaultMaxStringBytes = 4096
	DefaultMaxPlural      = 1000
	DefaultMaxBulkOps     = 100
)

// Client is one provisioning client.
type Client struct {
	// ID is the client id the engine records in the history and looks up
	// in the policy's grants. It is not a secret.
	ID string
	// Token is the bearer token the client authenticates with. It is never
	// logged or written to the history.
	Token string
	// Write lets the client create, change and delete; without it the
	// client reads only, and every write answers 403.
	Write bool
	// User, when set, is the id of the User the token belongs to: /Me
	// names that user, and the client may read and (with Write) change
	// that user alone.
	User string
}

// Config configures the SCIM profile and handler.
type Config struct {
	Clients []Client
	// Prefix is the path the service is mounted at ("/scim/v2"); every
	// endpoint is registered below it. Default "" (the root).
	Prefix string
	// BaseURL is the absolute URL of the service root, from which
	// meta.location is built ("https://example.com/scim/v2"). Empty: the
	// request's scheme and Host followed by Prefix.
	BaseURL string
	// UserExtensions and GroupExtensions are extension schemas beyond the
	// enterprise user extension; their attributes live in the document
	// under the schema's URN, as SCIM writes them.
	UserExtensions  []SchemaDef
	GroupExtensions []SchemaDef
	// MaxResults bounds a page (filter.maxResults); a larger count is
	// lowered to it, as RFC 7644 section 3.4.2.4 allows. At most
	// storage.MaxLimit. Default DefaultMaxResults.
	MaxResults int
	// MaxFilterBytes bounds a filter string before it is parsed.
	MaxFilterBytes int
	// MaxBodyBytes bounds a request body (announced as bulk.maxPayloadSize);
	// MaxDepth its JSON nesting; MaxStringBytes any string in it;
	// MaxPlural the values of a multi-valued attribute.
	MaxBodyBytes   int
	MaxDepth       int
	MaxStringBytes int
	MaxPlural      int
	// ConfirmEmail, when set, holds (or applies unverified) a changed email
	// of a User until a code sent to it is confirmed through
	// POST /Users/{id}/.confirm; pending changes show in the User's
	// SchemaVerification extension. Nil (the default) applies every write,
	// as provisioning clients expect.
	ConfirmEmail *EmailConfirmation
	// MaxBulkOperations bounds the operations of one /Bulk request
	// (bulk.maxOperations). Default DefaultMaxBulkOps.
	MaxBulkOperations int
	// Now is the clock of the deployment; New passes it to the engine.
	// Default time.Now.
	Now func() time.Time
	// Logger receives the handler's log lines (never tokens or bodies).
	// Nil means slog.Default().
	Logger *slog.Logger
}

// SeedClient is the client id SeedDemo creates records as; no token maps
// to it.
const SeedClient = "scim:seed"

// DemoConfig returns the demo clients of the shim server, mounted at
// /scim/v2: demo-scim-admin may provision (read and write),
// demo-scim-readonly only reads, demo-scim-bjensen is Barbara Jensen's own
// token (/Me). The tokens are demo values, not secrets.
func DemoConfig() Config {
	return Config{Prefix: "/scim/v2", Clients: []Client{
		{ID: "scim:demo-admin", Token: "demo-scim-admin", Write: true},
		{ID: "scim:demo-readonly", Token: "demo-scim-readonly"},
		{ID: "scim:demo-bjensen", Token: "demo-scim-bjensen", Write: true, User: DemoUserID},
	}}
}

// The ids of the demo records: the users Barbara Jensen and Jim Smith and
// the group Tour Guides.
const (
	DemoUserID       = "2819c223-7f76-453a-919d-413861904646"
	DemoSecondUserID = "d6c26d8a-9d4f-4a5f-9a1c-1f3e8a2c7b10"
	DemoGroupID      = "e9e30dba-f08f-4109-8486-d5c6a331660a"
)

// withDefaults returns c with every zero limit set to its default.
func (c Config) withDefaults() Config {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.MaxResults, DefaultMaxResults)
	set(&c.MaxFilterBytes, DefaultMaxFilterBytes)
	set(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	set(&c.MaxDepth, DefaultMaxDepth)
	set(&c.MaxStringBytes, DefaultMaxStringBytes)
	set(&c.MaxPlural, DefaultMaxPlural)
	set(&c.MaxBulkOperations, DefaultMaxBulkOps)
	c.Prefix = strings.TrimSuffix(c.Prefix, "/")
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
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

// check reports the first problem that makes c unusable.
func (c Config) check() error {
	if len(c.Clients) == 0 {
		return errors.New("scim: config has no clients")
	}
	if c.MaxResults > storage.MaxLimit {
		return fmt.Errorf("scim: MaxResults %d is above %d", c.MaxResults, storage.MaxLimit)
	}
	if c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, "{}")) {
		return fmt.Errorf("scim: prefix %q is not a plain absolute path", c.Prefix)
	}
	clients := httpx.ClientList[Client]{
		Clients: c.Clients, Noun: "client", SecretNoun: "token", UniqueSecrets: true,
		ID:       func(cl Client) string { return cl.ID },
		Secret:   func(cl Client) string { return cl.Token },
		Reserved: func(id string) string { return httpx.ReservedID(id, SeedClient) },
	}
	if err := clients.Check(); err != nil {
		return fmt.Errorf("scim: %w", err)
	}
	if c.ConfirmEmail != nil {
		if err := c.ConfirmEmail.check(); err != nil {
			return err
		}
	}
	for _, x := range append(append([]SchemaDef(nil), c.UserExtensions...), c.GroupExtensions...) {
		if !strings.HasPrefix(x.ID, "urn:") || x.ID == SchemaEnterprise || len(x.Attributes) == 0 {
			return fmt.Errorf("scim: extension %q: needs a URN of its own and attributes", x.ID)
		}
	}
	return nil
}

// SeedDemo creates the demo records if they do not exist: Barbara Jensen
// (userName bjensen, the user of RFC 7643's examples, with a work email and
// the enterprise extension), Jim Smith (jsmith) and the group Tour Guides
// holding Barbara. A record that already exists is left alone. eng is the
// Engine of a Handler.
func SeedDemo(ctx context.Context, eng *update.Engine) error {
	const jim, guides = DemoSecondUserID, DemoGroupID
	seeds := []update.CreateRequest{
		{Type: EntityUser, ID: DemoUserID, Doc: map[string]any{
			"userName": "bjensen", "externalId": "bjensen", "active": true,
			"name":           map[string]any{"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
			"displayName":    "Babs Jensen",
			"emails":         []any{map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true}},
			SchemaEnterprise: map[string]any{"employeeNumber": "701984", "department": "Tour Operations"},
		}},
		{Type: EntityUser, ID: jim, Doc: map[string]any{
			"userName": "jsmith", "active": true, "displayName": "Jim Smith",
			"name": map[string]any{"familyName": "Smith", "givenName": "Jim"},
		}},
		{Type: EntityGroup, ID: guides, Doc: map[string]any{
			"displayName": "Tour Guides",
			"members":     []any{map[string]any{"value": DemoUserID, "display": "Babs Jensen", "type": "User"}},
		}},
	}
	for _, s := range seeds {
		s.Client, s.Actor = SeedClient, "seed"
		s.Server = map[string]any{"id": s.ID}
		_, err := eng.Get(ctx, s.Type, update.ByID(s.ID))
		if err == nil {
			continue
		}
		if update.ErrorCode(err) != update.NotFound {
			return fmt.Errorf("scim: seed %s: %w", s.ID, err)
		}
		if _, err := eng.Create(ctx, s); err != nil && update.ErrorCode(err) != update.Conflict {
			return fmt.Errorf("scim: seed %s: %w", s.ID, err)
		}
	}
	return nil
}
