package rubiq

import (
	"slices"
	"strconv"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
	"github.com/idupdate/idupdate/verify"
)

// EntityType is the entity type of Rubiq records in the engine. It is
// namespaced because the shim server keeps every vendor's records in one
// store.
const EntityType = "rubiq.entity"

// The server-owned flags that say a contact point is verified.
const (
	pathEmailVerified  = "/emailVerified"
	pathMobileVerified = "/mobileVerified"
)

// Policy returns the Rubiq profile: one entity type, EntityType, with the
// fields name, email, mobile and city, updated by Merge. Email and mobile
// are unique and confirmable in Hold mode (the stored value stays until
// endpoint 2004 confirms the new one), with cfg's cooldown, window limit,
// code form and attempt limit; unless cfg.ReleasePending, a pending value
// counts for uniqueness, so a mobile number waiting for its code is
// already taken (400.4). Mobile
// numbers are normalized to E.164 with cfg.Region as the default region.
//
// Each app gets a grant: it may write at all only with App.Update, and only
// the fields of its contracts. The contract of one request is checked by
// DecodeUpdate, which names the field; the grant is the engine's second
// line. SeedClient may create records with verified contact points.
// Zero limits in cfg take their defaults.
func Policy(cfg Config) *update.Policy {
	cfg = cfg.withDefaults()
	str := func(rules string, norm update.Normalize) *update.Field {
		return &update.Field{Type: update.TypeString, Rules: rules, Normalize: norm}
	}
	confirm := func(ch verify.Channel, verified string) *update.Confirm {
		return &update.Confirm{
			Channel:      string(ch),
			Mode:         update.Hold,
			VerifiedPath: verified,
			Code: update.CodeSpec{
				Length:   cfg.CodeLength,
				Alphabet: verify.Digits,
				TTL:      update.Duration(cfg.CodeTTL),
			},
			MaxAttempts:    cfg.MaxAttempts,
			Cooldown:       update.Duration(cfg.Cooldown),
			MaxSends:       cfg.MaxSends,
			Window:         update.Duration(cfg.Window),
			ReservePending: !cfg.ReleasePending,
		}
	}
	maxLen := "max=" + strconv.Itoa(cfg.MaxStringBytes)
	email := str("email,"+maxLen, update.NormalizeEmail)
	email.Unique, email.Confirm = true, confirm(verify.Email, pathEmailVerified)
	email.Identifier = &ident.Spec{Profile: ident.Email, Skeleton: true}
	mobile := str("", update.NormalizePhone)
	mobile.Region = cfg.Region
	mobile.Unique, mobile.Confirm = true, confirm(verify.SMS, pathMobileVerified)

	p := &update.Policy{
		Types: map[string]*update.Schema{EntityType: {
			Fields: map[string]*update.Field{
				"/" + FieldName:    str(maxLen, update.NormalizeTrim),
				"/" + FieldCity:    str(maxLen, update.NormalizeTrim),
				"/" + FieldEmail:   email,
				"/" + FieldMobile:  mobile,
				pathEmailVerified:  {Type: update.TypeBoolean, Mutability: update.ReadOnly},
				pathMobileVerified: {Type: update.TypeBoolean, Mutability: update.ReadOnly},
			},
			Unknown: update.Reject,
			Limits: update.Limits{
				MaxBytes:   cfg.MaxBodyBytes,
				MaxDepth:   cfg.MaxDepth,
				MaxString:  cfg.MaxStringBytes,
				MaxMembers: 64,
				MaxPlural:  64,
			},
		}},
		Grants: map[string]update.Grant{
			SeedClient: {Write: true, Create: true, AssertVerified: true},
		},
	}
	for _, a := range cfg.Apps {
		p.Grants[a.ID] = update.Grant{Write: a.Update, Paths: contractPaths(a)}
	}
	return p
}

// contractPaths returns the JSON Pointers of every field in any of a's
// contracts, sorted.
func contractPaths(a App) []string {
	var paths []string
	for _, fields := range a.Contracts {
		for _, f := range fields {
			if p := "/" + f; !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	return paths
}

// engineOptions returns the engine options the profile relies on: the
// deployment's clock and the handler's logger.
func engineOptions(cfg Config) []update.Option {
	return []update.Option{update.WithClock(cfg.Now), update.WithLogger(cfg.Logger)}
}
