package janrain

import (
	"context"
	"encoding/json"
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

// Class is a Capture API client permission class.
type Class string

// The permission classes of Capture API clients. Owner and DirectAccess may
// read and write records; DirectAccessRead may only read; AccessIssuer and
// LoginClient may call none of the entity operations served here.
const (
	Owner            Class = "owner"
	AccessIssuer     Class = "access_issuer"
	DirectAccess     Class = "direct_access"
	DirectAccessRead Class = "direct_access_read"
	LoginClient      Class = "login_client"
)

// canRead reports whether clients of the class may call /entity.
func (c Class) canRead() bool {
	return c == Owner || c == DirectAccess || c == DirectAccessRead
}

// canWrite reports whether clients of the class may create, update,
// replace and delete.
func (c Class) canWrite() bool { return c == Owner || c == DirectAccess }

// Client is one API client allowed to call the adapter with HTTP Basic
// authentication.
type Client struct {
	// ID is the client_id; it may not contain ':' (Basic authentication
	// splits there).
	ID string
	// Secret is the client_secret. The handler compares it in constant
	// time; it is never logged or returned.
	Secret string
	// Class is the client's permission class.
	Class Class
}

// Config configures the adapter's profile and handler.
type Config struct {
	// Clients are the API clients; at least one is required by New.
	Clients []Client
	// MaxBody bounds a request body in bytes. Default 1 MiB.
	MaxBody int64
	// MaxDepth bounds the nesting of a JSON value (value, attributes,
	// key_value). Default 16.
	MaxDepth int
	// MaxPlural bounds the elements of one plural. Default 5000.
	MaxPlural int
	// RateLimit bounds the calls one client may make: a token bucket of
	// Burst calls refilled at Rate calls a second (see storage.Bucket),
	// kept in Limiter for every process that shares it. A client whose
	// bucket is empty is answered 510 api_limit_error and its call does
	// nothing, while other clients are served. A zero RateLimit is the
	// default, DefaultRateLimitRate a second in bursts of at most
	// DefaultRateLimitBurst.
	RateLimit storage.Bucket
	// Limiter is where the buckets are kept. Default: the store New is
	// given, which shares them with every process on that store; New fails
	// if the store does not implement storage.Ephemeral and Limiter is nil.
	Limiter storage.Ephemeral
	// Now is the clock of the deployment; New passes it to the engine.
	// Default time.Now.
	Now func() time.Time
	// Logger receives one line per failed request (never parameters or
	// credentials). Nil means slog.Default().
	Logger *slog.Logger
}

// The defaults of a zero Config field.
const (
	DefaultMaxBody   int64 = 1 << 20
	DefaultMaxDepth        = 16
	DefaultMaxPlural       = 5000
	// A client may make DefaultRateLimitRate calls a second on average,
	// and DefaultRateLimitBurst, a minute's worth, at once: the same 6000
	// a minute a client could always make, without holding a burst back.
	DefaultRateLimitRate  = 100
	DefaultRateLimitBurst = 6000
)

func (c Config) withDefaults() Config {
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxPlural <= 0 {
		c.MaxPlural = DefaultMaxPlural
	}
	if c.RateLimit == (storage.Bucket{}) {
		c.RateLimit = storage.Bucket{Rate: DefaultRateLimitRate, Burst: DefaultRateLimitBurst}
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

// check reports a configuration that cannot work.
func (c Config) check() error {
	if len(c.Clients) == 0 {
		return errors.New("janrain: no clients configured")
	}
	if c.RateLimit != (storage.Bucket{}) {
		if err := storage.CheckBucket("rate limit", c.RateLimit); err != nil {
			return fmt.Errorf("janrain: RateLimit: %w", err)
		}
	}
	clients := httpx.ClientList[Client]{
		Clients: c.Clients, Noun: "client", SecretNoun: "secret",
		ID:     func(cl Client) string { return cl.ID },
		Secret: func(cl Client) string { return cl.Secret },
		Reserved: func(id string) string {
			if strings.Contains(id, ":") {
				return "contains ':', which HTTP Basic authentication cannot carry"
			}
			return ""
		},
	}
	if err := clients.Check(); err != nil {
		return fmt.Errorf("janrain: %w", err)
	}
	for _, cl := range c.Clients {
		switch cl.Class {
		case Owner, AccessIssuer, DirectAccess, DirectAccessRead, LoginClient:
		default:
			return fmt.Errorf("janrain: client %q has unknown permission class %q", cl.ID, cl.Class)
		}
	}
	return nil
}

// DemoConfig returns the demo clients: the two owner clients whose
// credentials appear in the vendor's entity.update examples 1 and 3, and
// the read-only client demo_reader:demo_reader_secret. They are public
// test credentials; never use them for real data.
func DemoConfig() Config {
	return Config{Clients: []Client{
		{ID: "sgnyvus6pc4jm7khr2neq5gs89gbr2eq", Secret: "wt4c3un9wkkcfvyknqx44ync476afs68", Class: Owner},
		{ID: "ut4bgrra7w282jcfmypfqx9pzhqhjj2b", Secret: "unjze9nwkfuy6jpw838qpa7ad3hdnya6", Class: Owner},
		{ID: "demo_reader", Secret: "demo_reader_secret", Class: DirectAccessRead},
	}}
}

// The demo records SeedDemo creates.
const (
	DemoID         = "5252"
	DemoUUID       = "6bbe7e58-bede-41b8-940b-5614c7607a4e"
	DemoSecondID   = "5254"
	DemoSecondUUID = "3c0e9a52-7f4b-4d8e-9f31-2b6a1d5c8e07"
)

// SeedDemo creates the demo records of type "user" in eng (the Engine of a
// Handler): Matthew Park (id 5252, with status
// element 5253) and G Jack (id 5254). A record that already exists is left
// as it is, so SeedDemo may run at every start.
func SeedDemo(ctx context.Context, eng *update.Engine) error {
	demo := []struct {
		id, uuid string
		doc      map[string]any
	}{
		{DemoID, DemoUUID, map[string]any{
			"givenName": "Matthew", "familyName": "Park", "displayName": "Matt P",
			"email":    "mparker@example.com",
			"statuses": []any{map[string]any{"id": jsonInt(5253), "status": "inactive"}},
		}},
		{DemoSecondID, DemoSecondUUID, map[string]any{
			"displayName": "G Jack", "email": "gjack@example.com",
		}},
	}
	for _, d := range demo {
		_, err := eng.Get(ctx, EntityType, update.ByID(d.id))
		if err == nil {
			continue
		}
		if update.ErrorCode(err) != update.NotFound {
			return fmt.Errorf("janrain: seed %s: %w", d.id, err)
		}
		_, err = eng.Create(ctx, update.CreateRequest{
			Type: EntityType, ID: d.id, Client: systemClient, Actor: "seed",
			Doc: d.doc, Server: map[string]any{"id": json.Number(d.id)}, ExternalKeys: uuidKeys(d.uuid),
		})
		if err != nil {
			return fmt.Errorf("janrain: seed %s: %w", d.id, err)
		}
	}
	return nil
}
