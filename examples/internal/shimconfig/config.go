package shimconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/update"
)

// maxConfigBytes bounds the -config file; a real one is a few kilobytes.
const maxConfigBytes = 1 << 20

// fileConfig is the -config file. Every section is optional: a section
// left out keeps that vendor's built-in demo configuration, and inside a
// section every member left out keeps its demo value. A client list that is
// present replaces the demo clients of that vendor as a whole.
type fileConfig struct {
	Janrain *janrainFile `json:"janrain,omitempty"`
	DRUID   *druidFile   `json:"druid,omitempty"`
	Rubiq   *rubiqFile   `json:"rubiq,omitempty"`
	ZITADEL *zitadelFile `json:"zitadel,omitempty"`
	Quotas  *quotasFile  `json:"quotas,omitempty"`
}

type janrainFile struct {
	Clients  []janrainClient `json:"clients,omitempty"`
	MaxBody  int64           `json:"maxBody,omitempty"`
	MaxDepth int             `json:"maxDepth,omitempty"`
	// RateLimit is each client's token bucket of calls.
	RateLimit *bucketFile `json:"rateLimit,omitempty"`
}

type janrainClient struct {
	ID     string          `json:"id"`
	Secret string          `json:"secret"`
	Class  permissionClass `json:"class"`
}

// permissionClass is a Janrain client class, checked as the file is read
// so that a misspelt one is reported at its place with the valid ones.
type permissionClass janrain.Class

// permissionClasses are the Capture API's client classes.
var permissionClasses = []janrain.Class{janrain.AccessIssuer, janrain.DirectAccess, janrain.DirectAccessRead, janrain.LoginClient, janrain.Owner}

func (c *permissionClass) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &jsonfile.ValueError{Problem: "a permission class is a string", Expected: "one of " + classNames()}
	}
	for _, v := range permissionClasses {
		if s == string(v) {
			*c = permissionClass(v)
			return nil
		}
	}
	names := strings.Split(classNames(), ", ")
	return jsonfile.OneOf("permission class", s, names)
}

func classNames() string {
	var names []string
	for _, v := range permissionClasses {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}

type druidFile struct {
	Clients        []druidClient   `json:"clients,omitempty"`
	UserTokens     []druidUser     `json:"userTokens,omitempty"`
	TokenTTL       update.Duration `json:"tokenTTL,omitempty"`
	CodeTTL        update.Duration `json:"codeTTL,omitempty"`
	ResendCooldown update.Duration `json:"resendCooldown,omitempty"`
	Region         string          `json:"region,omitempty"`
	MaxBodyBytes   int64           `json:"maxBodyBytes,omitempty"`
	TokenQuota     *quotaFile      `json:"tokenQuota,omitempty"`
}

// druidUser is a user's own access token, as DRUID's login would issue it.
type druidUser struct {
	Token  string `json:"token"`
	Client string `json:"client"`
	User   string `json:"user"`
}

type druidClient struct {
	ID              string   `json:"id"`
	Secret          string   `json:"secret"`
	ChallengeFlow   bool     `json:"challengeFlow"`
	AssertConfirmed bool     `json:"assertConfirmed"`
	EntryPoints     []string `json:"entryPoints"`
	Scopes          []string `json:"scopes,omitempty"`
}

type rubiqFile struct {
	Apps           []rubiqApp      `json:"apps,omitempty"`
	Region         string          `json:"region,omitempty"`
	Cooldown       update.Duration `json:"cooldown,omitempty"`
	MaxSends       int             `json:"maxSends,omitempty"`
	Window         update.Duration `json:"window,omitempty"`
	CodeLength     int             `json:"codeLength,omitempty"`
	CodeTTL        update.Duration `json:"codeTTL,omitempty"`
	MaxAttempts    int             `json:"maxAttempts,omitempty"`
	ReleasePending *bool           `json:"releasePending,omitempty"`
}

type rubiqApp struct {
	ID              string              `json:"id"`
	Token           string              `json:"token"`
	Update          bool                `json:"update"`
	Contracts       map[string][]string `json:"contracts"`
	DefaultContract string              `json:"defaultContract"`
	Format          rubiq.Format        `json:"format,omitempty"`
}

type zitadelFile struct {
	Clients        []zitadelClient `json:"clients,omitempty"`
	Region         string          `json:"region,omitempty"`
	URLTemplate    string          `json:"urlTemplate,omitempty"`
	MaxAttempts    int             `json:"maxAttempts,omitempty"`
	ResendCooldown update.Duration `json:"resendCooldown,omitempty"`
	MaxSends       int             `json:"maxSends,omitempty"`
	SendWindow     update.Duration `json:"sendWindow,omitempty"`
	// GlobalUsernameOrgs are the organisations whose usernames are unique
	// in the whole instance rather than per organisation.
	GlobalUsernameOrgs []string `json:"globalUsernameOrgs,omitempty"`
}

type zitadelClient struct {
	ID     string `json:"id"`
	Token  string `json:"token"`
	OrgID  string `json:"orgId"`
	UserID string `json:"userId,omitempty"`
}

// Vendors is the configuration of the adapters.
type Vendors struct {
	Janrain janrain.Config
	DRUID   druid.Config
	Rubiq   rubiq.Config
	ZITADEL zitadel.Config
	SCIM    scim.Config
	// Quotas apply to every vendor's engine.
	Quotas update.Quotas
}

// Demo returns every adapter's built-in demo configuration.
func Demo() Vendors {
	return Vendors{
		Janrain: janrain.DemoConfig(),
		DRUID:   druid.DemoConfig(),
		Rubiq:   rubiq.DemoConfig(),
		ZITADEL: zitadel.DemoConfig(),
		SCIM:    scim.DemoConfig(),
		Quotas:  defaultQuotas(),
	}
}

// ErrConfig marks a -config file that cannot be used.
var ErrConfig = errors.New("config file")

// Load reads a -config file and applies it over the demo
// configuration. Unknown members, trailing data and files over 1 MiB are
// refused; every error names the file, line, column and JSON path (a
// *jsonfile.Error). An empty path returns the demo configuration.
func Load(path string) (Vendors, error) {
	cfg := Demo()
	if path == "" {
		return cfg, nil
	}
	data, err := storeopen.ReadBounded(path, maxConfigBytes)
	if err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	fc, err := parseConfig(path, data)
	if err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	fc.apply(&cfg)
	return cfg, nil
}

// parseConfig decodes the config file data, named file in errors, strictly.
func parseConfig(file string, data []byte) (*fileConfig, error) {
	var fc fileConfig
	if err := jsonfile.Decode(file, data, &fc); err != nil {
		return nil, err
	}
	if err := fc.check(file, data); err != nil {
		return nil, err
	}
	return &fc, nil
}

// check refuses negative numbers, which the adapters would otherwise
// silently replace by their defaults.
func (fc *fileConfig) check(file string, data []byte) error {
	type num struct {
		path []any
		v    int64
	}
	var nums []num
	if j := fc.Janrain; j != nil {
		nums = append(nums, num{[]any{"janrain", "maxBody"}, j.MaxBody}, num{[]any{"janrain", "maxDepth"}, int64(j.MaxDepth)})
		if err := checkBucket(file, data, []any{"janrain", "rateLimit"}, j.RateLimit); err != nil {
			return err
		}
	}
	if d := fc.DRUID; d != nil {
		nums = append(nums, num{[]any{"druid", "maxBodyBytes"}, d.MaxBodyBytes})
		if err := checkQuota(file, data, []any{"druid", "tokenQuota"}, d.TokenQuota); err != nil {
			return err
		}
	}
	if r := fc.Rubiq; r != nil {
		nums = append(nums, num{[]any{"rubiq", "maxSends"}, int64(r.MaxSends)}, num{[]any{"rubiq", "codeLength"}, int64(r.CodeLength)},
			num{[]any{"rubiq", "maxAttempts"}, int64(r.MaxAttempts)})
	}
	if z := fc.ZITADEL; z != nil {
		nums = append(nums, num{[]any{"zitadel", "maxAttempts"}, int64(z.MaxAttempts)}, num{[]any{"zitadel", "maxSends"}, int64(z.MaxSends)})
	}
	if err := fc.Quotas.check(file, data); err != nil {
		return err
	}
	for _, n := range nums {
		if n.v < 0 {
			return jsonfile.At(file, data, n.path, &jsonfile.ValueError{
				Problem: fmt.Sprintf("%d is negative", n.v), Expected: "0 (the default) or more"})
		}
	}
	return nil
}

// apply overlays the file's settings on cfg. The adapters' own New and
// Policy check the result, so a bad client list is reported by them.
func (fc *fileConfig) apply(cfg *Vendors) {
	fc.Quotas.apply(&cfg.Quotas)
	if j := fc.Janrain; j != nil {
		if j.Clients != nil {
			cfg.Janrain.Clients = nil
			for _, c := range j.Clients {
				cfg.Janrain.Clients = append(cfg.Janrain.Clients, janrain.Client{ID: c.ID, Secret: c.Secret, Class: janrain.Class(c.Class)})
			}
		}
		setInt64(&cfg.Janrain.MaxBody, j.MaxBody)
		setInt(&cfg.Janrain.MaxDepth, j.MaxDepth)
		if j.RateLimit != nil {
			cfg.Janrain.RateLimit = j.RateLimit.bucket()
		}
	}
	if d := fc.DRUID; d != nil {
		if d.Clients != nil || d.UserTokens != nil {
			// A client list replaces the demo's users' tokens too.
			cfg.DRUID.UserTokens = nil
			for _, u := range d.UserTokens {
				cfg.DRUID.UserTokens = append(cfg.DRUID.UserTokens, druid.UserToken{Token: u.Token, Client: u.Client, UserID: u.User})
			}
		}
		if d.Clients != nil {
			cfg.DRUID.Clients = nil
			for _, c := range d.Clients {
				cfg.DRUID.Clients = append(cfg.DRUID.Clients, druid.Client(c))
			}
		}
		setDuration(&cfg.DRUID.TokenTTL, d.TokenTTL)
		setDuration(&cfg.DRUID.CodeTTL, d.CodeTTL)
		setDuration(&cfg.DRUID.ResendCooldown, d.ResendCooldown)
		setString(&cfg.DRUID.DefaultRegion, d.Region)
		setInt64(&cfg.DRUID.MaxBodyBytes, d.MaxBodyBytes)
		if d.TokenQuota != nil {
			cfg.DRUID.TokenQuota = d.TokenQuota.quota()
		}
	}
	if r := fc.Rubiq; r != nil {
		if r.Apps != nil {
			cfg.Rubiq.Apps = nil
			for _, a := range r.Apps {
				cfg.Rubiq.Apps = append(cfg.Rubiq.Apps, rubiq.App(a))
			}
		}
		setString(&cfg.Rubiq.Region, r.Region)
		setDuration(&cfg.Rubiq.Cooldown, r.Cooldown)
		setInt(&cfg.Rubiq.MaxSends, r.MaxSends)
		setDuration(&cfg.Rubiq.Window, r.Window)
		setInt(&cfg.Rubiq.CodeLength, r.CodeLength)
		setDuration(&cfg.Rubiq.CodeTTL, r.CodeTTL)
		setInt(&cfg.Rubiq.MaxAttempts, r.MaxAttempts)
		if r.ReleasePending != nil {
			cfg.Rubiq.ReleasePending = *r.ReleasePending
		}
	}
	if z := fc.ZITADEL; z != nil {
		if z.Clients != nil {
			cfg.ZITADEL.Clients = nil
			for _, c := range z.Clients {
				cfg.ZITADEL.Clients = append(cfg.ZITADEL.Clients, zitadel.Client(c))
			}
		}
		setString(&cfg.ZITADEL.DefaultRegion, z.Region)
		setString(&cfg.ZITADEL.DefaultURLTemplate, z.URLTemplate)
		setInt(&cfg.ZITADEL.MaxAttempts, z.MaxAttempts)
		setDuration(&cfg.ZITADEL.ResendCooldown, z.ResendCooldown)
		setInt(&cfg.ZITADEL.MaxSends, z.MaxSends)
		setDuration(&cfg.ZITADEL.SendWindow, z.SendWindow)
		if z.GlobalUsernameOrgs != nil {
			cfg.ZITADEL.GlobalUsernameOrgs = z.GlobalUsernameOrgs
		}
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

func setInt64(dst *int64, v int64) {
	if v != 0 {
		*dst = v
	}
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setDuration(dst *time.Duration, v update.Duration) {
	if v != 0 {
		*dst = time.Duration(v)
	}
}
