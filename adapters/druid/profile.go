package druid

import (
	"time"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
	"github.com/idupdate/idupdate/verify"
)

// EntityType is the entity type of DRUID users in the engine's store.
const EntityType = "druid.user"

// The JSON Pointers of the engine document a DRUID user is kept as. The
// vendor's object.ids.<name>.value becomes /<name>, and the confirmed flag
// of a confirmable id lives beside it; datas, assertions and addresses keep
// their names.
const (
	pathEmail          = "/email"
	pathEmailConfirmed = "/emailConfirmed"
	pathPhone          = "/phone_number"
	pathPhoneConfirmed = "/phoneNumberConfirmed"
	pathScreenName     = "/screen_name"
	pathNationalID     = "/national_id"
	pathDatas          = "/datas"
	pathAssertions     = "/assertions"
	pathAddresses      = "/addresses"
	pathPassword       = "/password"
)

// idField describes one of the vendor's user ids.
type idField struct {
	name        string // the member name under object.ids
	path        string // the engine path of its value
	confirmPath string // the engine path of its confirmed flag; "" if not confirmable
}

// idFields lists the ids DRUID knows, in the order responses list them.
var idFields = []idField{
	{name: "email", path: pathEmail, confirmPath: pathEmailConfirmed},
	{name: "phone_number", path: pathPhone, confirmPath: pathPhoneConfirmed},
	{name: "screen_name", path: pathScreenName},
	{name: "national_id", path: pathNationalID},
}

func idByName(name string) (idField, bool) {
	for _, f := range idFields {
		if f.name == name {
			return f, true
		}
	}
	return idField{}, false
}

func idByPath(path string) (idField, bool) {
	for _, f := range idFields {
		if f.path == path || f.confirmPath == path {
			return f, true
		}
	}
	return idField{}, false
}

// Policy returns the profile reproducing DRUID's semantics for cfg: one
// schema, "druid.user", updated by Replace; email and phone_number unique
// and confirmable under Hold (the old value stays until the new one is
// confirmed); screen_name and national_id unique; datas and assertions
// objects and addresses an array, each replaced as a whole; the password a
// bcrypt secret that a Replace keeps; the confirmed flags kept by a Replace
// because the request never carries them. Each configured client gets a
// grant to write and create, and to assert verified values when its
// AssertConfirmed is set; each also gets a self grant ("<client>/self")
// for its users' own access tokens, limited by the engine to the user
// each request names. Clients not configured are refused.
func Policy(cfg Config) *update.Policy {
	cfg = cfg.withDefaults()
	confirm := func(ch verify.Channel, flag string) *update.Confirm {
		return &update.Confirm{
			Channel:      string(ch),
			Mode:         update.Hold,
			VerifiedPath: flag,
			Code:         update.CodeSpec{Length: 8, Alphabet: verify.Alphanumeric, TTL: update.Duration(cfg.CodeTTL)},
			MaxAttempts:  5,
			Cooldown:     update.Duration(cfg.ResendCooldown),
			MaxSends:     5,
			Window:       update.Duration(24 * time.Hour),
			KeepVerified: true,
		}
	}
	fields := map[string]*update.Field{
		pathEmail: {
			Type: update.TypeString, Rules: "email,max=254", Unique: true,
			Normalize: update.NormalizeEmail, Confirm: confirm(verify.Email, pathEmailConfirmed),
			Identifier: &ident.Spec{Profile: ident.Email, Skeleton: true},
		},
		pathEmailConfirmed: {Type: update.TypeBoolean, Keep: true},
		pathPhone: {
			Type: update.TypeString, Rules: "max=32", Unique: true,
			Normalize: update.NormalizePhone, Region: cfg.DefaultRegion,
			Confirm: confirm(verify.SMS, pathPhoneConfirmed),
		},
		pathPhoneConfirmed: {Type: update.TypeBoolean, Keep: true},
		pathScreenName:     {Type: update.TypeString, Rules: "min=1,max=100", Unique: true, Normalize: update.NormalizeTrim},
		pathNationalID:     {Type: update.TypeString, Rules: "min=1,max=64", Unique: true, Normalize: update.NormalizeTrim},
		pathDatas:          {Type: update.TypeObject},
		pathAssertions:     {Type: update.TypeObject},
		pathAddresses:      {Type: update.TypeArray},
		// DRUID's clients send the password with every replacement: the
		// same one again is no change (so an otherwise equal update is 304).
		pathPassword: {Secret: &update.Secret{KeepIfSame: true,
			Hasher: "bcrypt", Cost: cfg.PasswordCost,
			Complexity: update.Complexity{MinLength: 8, MaxLength: 72},
		}},
	}
	grants := make(map[string]update.Grant, 2*len(cfg.Clients))
	for _, cl := range cfg.Clients {
		grants[cl.ID] = update.Grant{Write: true, Create: true, AssertVerified: cl.AssertConfirmed}
		// A user's own token: that user alone (the engine takes the user
		// from each request), the paths selfPaths lists, and never a
		// confirmed flag asserted: a changed email or phone number waits
		// for its code.
		grants[selfGrant(cl.ID)] = update.Grant{Write: true, Self: true, Paths: selfPaths}
	}
	return &update.Policy{
		Types: map[string]*update.Schema{EntityType: {
			Fields:  fields,
			Unknown: update.Reject,
			Limits: update.Limits{
				MaxBytes:   int(cfg.MaxBodyBytes),
				MaxDepth:   cfg.MaxDepth,
				MaxPlural:  20,
				MaxString:  4 << 10,
				MaxMembers: 200,
			},
		}},
		Grants: grants,
	}
}

// selfPaths are what a user may change with their own access token:
// everything but national_id, which an administrative update sets.
var selfPaths = []string{pathEmail, pathPhone, pathScreenName, pathDatas, pathAssertions, pathAddresses, pathPassword}

// selfSuffix makes a client's self grant name; a client id may not end
// with it.
const selfSuffix = "/self"

// selfGrant names the grant a client's users act under with their own
// access tokens.
func selfGrant(client string) string { return client + selfSuffix }

// engineOptions returns the engine options the profile relies on: the
// deployment's clock and the handler's logger.
func engineOptions(cfg Config) []update.Option {
	return []update.Option{update.WithClock(cfg.Now), update.WithLogger(cfg.Logger)}
}
