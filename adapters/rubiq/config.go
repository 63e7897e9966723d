package rubiq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/internal/tracelog"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// The fields of a Rubiq entity. A contract is a subset of them.
const (
	FieldName   = "name"
	FieldEmail  = "email"
	FieldMobile = "mobile"
	FieldCity   = "city"
)

// The defaults a zero Config field takes.
const (
	DefaultRegion         = "NO"
	DefaultCooldown       = 2 * time.Minute
	DefaultMaxSends       = 5
	DefaultWindow         = time.Hour
	DefaultCodeLength     = 6
	DefaultCodeTTL        = 30 * time.Minute
	DefaultMaxAttempts    = 5
	DefaultMaxBodyBytes   = 64 << 10
	DefaultMaxDepth       = 8
	DefaultMaxStringBytes = 1024
)

// App is one calling application.
type App struct {
	// ID is the client id the engine records in the history and looks up
	// in the policy's grants. It is not a secret.
	ID string
	// Token is the bearer token the app authenticates with. It is never
	// logged or written to the history.
	Token string
	// Update is Rubiq's "permission to update accounts"; without it every
	// update answers 412.
	Update bool
	// Contracts maps a contract id to the fields it covers.
	Contracts map[string][]string
	// DefaultContract is the contract used when the path names none.
	DefaultContract string
	// Format is how the app's answers are written: FormatPlain (the
	// default) or FormatEnvelope.
	Format Format
}

// Format is how an app's answers are written.
type Format string

// The answer formats.
const (
	// FormatPlain writes Rubiq's plain answers: the status object alone,
	// {"status":{"statusCode":"200.1","statusText":"..."}}, the account
	// data alone on a read, and no body on 204. "" means FormatPlain.
	FormatPlain Format = "plain"
	// FormatEnvelope wraps every answer as
	// {"status":{"statusCode":200.1,"statusText":"..."},"data":...}: the
	// status code as a JSON number, the read's account data (or a 400's
	// failing fields) in data, and 204 answered 200 with statusCode 204 so
	// the envelope has a body to travel in.
	FormatEnvelope Format = "envelope"
)

// formats are the valid Format values, for messages.
var formats = []string{string(FormatPlain), string(FormatEnvelope)}

// UnmarshalJSON reads a format name, refusing any other with the valid
// ones named, so a misspelt format in a configuration file is reported at
// its place.
func (f *Format) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &jsonfile.ValueError{Problem: "a format is a string", Expected: "one of " + strings.Join(formats, ", ")}
	}
	if !slices.Contains(formats, s) {
		return jsonfile.OneOf("answer format", s, formats)
	}
	*f = Format(s)
	return nil
}

// envelope reports whether answers in f are wrapped.
func (f Format) envelope() bool { return f == FormatEnvelope }

// Config configures the Rubiq profile and handler. The zero value of every
// limit takes the Default constant of the same name; Apps must not be empty.
type Config struct {
	Apps []App
	// Region is the default region for mobile numbers written without a
	// leading + (ISO 3166 alpha-2). Default DefaultRegion.
	Region string
	// Cooldown is the least time between two verification sends for one
	// entity and field: Rubiq's two minutes. Default DefaultCooldown.
	Cooldown time.Duration
	// MaxSends verification requests are allowed per Window. Defaults
	// DefaultMaxSends and DefaultWindow.
	MaxSends int
	Window   time.Duration
	// CodeLength is the number of digits of a verification code; CodeTTL
	// how long it is accepted; MaxAttempts wrong codes lock it.
	CodeLength  int
	CodeTTL     time.Duration
	MaxAttempts int
	// ReleasePending stops a value waiting for its code from counting for
	// uniqueness. By default it counts, as Rubiq's 400.4 includes entities
	// not yet verified; with ReleasePending another entity may take the
	// value meanwhile, and 2004 then answers 400.4 or 400.5.
	ReleasePending bool
	// MaxBodyBytes bounds a request body; MaxDepth its JSON nesting;
	// MaxStringBytes any string in it.
	MaxBodyBytes   int
	MaxDepth       int
	MaxStringBytes int
	// Now is the clock of the deployment; New passes it to the engine.
	// Default time.Now.
	Now func() time.Time
	// Logger receives the handler's log lines (never tokens, codes or
	// bodies). Nil means slog.Default().
	Logger *slog.Logger
}

// SeedClient is the client id SeedDemo creates records as. Its grant may
// create records and assert that seeded contact points are verified; no
// token maps to it, so no HTTP caller can act as it.
const SeedClient = "rubiq:seed"

// DemoConfig returns the demo apps of the shim server: demo-rubiq-app may
// update accounts through its default contract (name, email, mobile, city)
// or the contract "profile" (name, city); demo-rubiq-envelope may update
// through the default contract and gets its answers in envelope mode;
// demo-rubiq-readonly may read but not update accounts. The tokens are
// demo values, not secrets.
func DemoConfig() Config {
	return Config{Apps: []App{
		{
			ID:     "rubiq:demo-app",
			Token:  "demo-rubiq-app",
			Update: true,
			Contracts: map[string][]string{
				"default": {FieldName, FieldEmail, FieldMobile, FieldCity},
				"profile": {FieldName, FieldCity},
			},
			DefaultContract: "default",
		},
		{
			ID:     "rubiq:demo-envelope",
			Token:  "demo-rubiq-envelope",
			Update: true,
			Contracts: map[string][]string{
				"default": {FieldName, FieldEmail, FieldMobile, FieldCity},
			},
			DefaultContract: "default",
			Format:          FormatEnvelope,
		},
		{
			ID:     "rubiq:demo-readonly",
			Token:  "demo-rubiq-readonly",
			Update: false,
			Contracts: map[string][]string{
				"default": {FieldName, FieldEmail, FieldMobile, FieldCity},
			},
			DefaultContract: "default",
		},
	}}
}

// decodeLimits returns the limits a request body's JSON is decoded
// within.
func (c Config) decodeLimits() merge.DecodeLimits {
	return merge.DecodeLimits{MaxBytes: c.MaxBodyBytes, MaxDepth: c.MaxDepth}
}

// withDefaults returns c with every zero limit set to its default.
func (c Config) withDefaults() Config {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	setD(&c.Cooldown, DefaultCooldown)
	set(&c.MaxSends, DefaultMaxSends)
	setD(&c.Window, DefaultWindow)
	set(&c.CodeLength, DefaultCodeLength)
	setD(&c.CodeTTL, DefaultCodeTTL)
	set(&c.MaxAttempts, DefaultMaxAttempts)
	set(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	set(&c.MaxDepth, DefaultMaxDepth)
	set(&c.MaxStringBytes, DefaultMaxStringBytes)
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

var contractID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// check reports the first problem that makes c unusable.
func (c Config) check() error {
	if len(c.Apps) == 0 {
		return errors.New("rubiq: config has no apps")
	}
	apps := httpx.ClientList[App]{
		Clients: c.Apps, Noun: "app", SecretNoun: "token", UniqueSecrets: true,
		ID:       func(a App) string { return a.ID },
		Secret:   func(a App) string { return a.Token },
		Reserved: func(id string) string { return httpx.ReservedID(id, SeedClient) },
	}
	if err := apps.Check(); err != nil {
		return fmt.Errorf("rubiq: %w", err)
	}
	for _, a := range c.Apps {
		if a.Format != "" && !slices.Contains(formats, string(a.Format)) {
			return fmt.Errorf("rubiq: app %q: unknown answer format %q; expected one of %s", a.ID, a.Format, strings.Join(formats, ", "))
		}
		if _, ok := a.Contracts[a.DefaultContract]; !ok {
			return fmt.Errorf("rubiq: app %q: default contract %q is not one of its contracts", a.ID, a.DefaultContract)
		}
		for cid, fields := range a.Contracts {
			if len(fields) == 0 {
				// An empty grant path list would mean "every path".
				return fmt.Errorf("rubiq: app %q: contract %q has no fields", a.ID, cid)
			}
			if !contractID.MatchString(cid) {
				return fmt.Errorf("rubiq: app %q: contract id %q is not 1-64 characters of A-Z a-z 0-9 _ . -", a.ID, cid)
			}
			for _, f := range fields {
				if !knownField(f) {
					return fmt.Errorf("rubiq: app %q: contract %q names unknown field %q", a.ID, cid, f)
				}
			}
		}
	}
	return nil
}

func knownField(f string) bool {
	switch f {
	case FieldName, FieldEmail, FieldMobile, FieldCity:
		return true
	}
	return false
}

// SeedDemo creates the demo entities if they do not exist: 1001 (active,
// external key crm-42 of type crm, name "Ola Nordmann", verified email
// ola@example.com and mobile +4790000001) and 1002 (inactive, verified
// mobile +4790000002). A record that already exists is left alone. eng is
// the Engine of a Handler.
func SeedDemo(ctx context.Context, eng *update.Engine) error {
	seeds := []update.CreateRequest{
		{
			ID:           "1001",
			Doc:          map[string]any{FieldName: "Ola Nordmann", FieldEmail: "ola@example.com", FieldMobile: "+4790000001"},
			ExternalKeys: []storage.Key{ExternalKey("crm", "crm-42")},
			Verified:     []string{"/" + FieldEmail, "/" + FieldMobile},
		},
		{
			ID:       "1002",
			Doc:      map[string]any{FieldMobile: "+4790000002"},
			State:    storage.Inactive,
			Verified: []string{"/" + FieldMobile},
		},
	}
	for _, s := range seeds {
		s.Type, s.Client, s.Actor = EntityType, SeedClient, "seed"
		_, err := eng.Get(ctx, EntityType, update.ByID(s.ID))
		if err == nil {
			continue
		}
		if update.ErrorCode(err) != update.NotFound {
			return fmt.Errorf("rubiq: seed %s: %w", s.ID, err)
		}
		if _, err := eng.Create(ctx, s); err != nil && !errors.Is(err, storage.ErrExists) {
			return fmt.Errorf("rubiq: seed %s: %w", s.ID, err)
		}
	}
	return nil
}

// ExternalKey returns the engine key under which an entity is found by its
// Rubiq external key of the given type.
func ExternalKey(extType, extKey string) storage.Key {
	return storage.Key{Name: "ext:" + extType, Value: extKey}
}
