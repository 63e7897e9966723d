package zitadel

import (
	"net/mail"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
	"github.com/idupdate/idupdate/verify"
)

// The JSON Pointers of the stored user document. The document mirrors the
// human part of ZITADEL's GetUserByID answer, so a read is a copy, not a
// translation.
const (
	orgPath            = "/orgId"
	usernamePath       = "/username"
	profilePath        = "/profile"
	givenNamePath      = "/profile/givenName"
	familyNamePath     = "/profile/familyName"
	nickNamePath       = "/profile/nickName"
	displayNamePath    = "/profile/displayName"
	languagePath       = "/profile/preferredLanguage"
	genderPath         = "/profile/gender"
	emailPath          = "/email/email"
	emailVerifiedPath  = "/email/isVerified"
	phonePath          = "/phone/phone"
	phoneVerifiedPath  = "/phone/isVerified"
	passwordPath       = "/password"
	changeRequiredPath = "/passwordChangeRequired"
)

// genders are the values of ZITADEL's Gender enum, as a validator oneof.
const genders = "GENDER_UNSPECIFIED GENDER_FEMALE GENDER_MALE GENDER_DIVERSE"

// bareEmailTag is the validator that refuses display-name forms.
const bareEmailTag = "zitadel_bare_email"

// Policy returns the profile that reproduces ZITADEL's UpdateHumanUser:
// every field of a section patched on its own, email and phone applied at
// once and marked unverified, codes of 6 characters A–Z0–9 valid one hour,
// passwords under ZITADEL's default complexity policy, bcrypt hashes of
// cost 10–16 accepted, organisations as tenants and usernames unique per
// organisation (or instance-wide for Config.GlobalUsernameOrgs). Each
// configured client gets a grant limited to its organisation: an admin
// token may create, delete and assert "verified"; a user's own token may
// change its own sections but assert nothing.
// New builds the engine of this policy with the options it needs.
func Policy(cfg Config) *update.Policy {
	cfg = cfg.withDefaults()
	confirm := func(channel verify.Channel, verifiedPath string) *update.Confirm {
		return &update.Confirm{
			Channel:      string(channel),
			Mode:         update.ApplyUnverified,
			VerifiedPath: verifiedPath,
			Code: update.CodeSpec{
				Length:   6,
				Alphabet: verify.Alphanumeric,
				TTL:      update.Duration(time.Hour),
			},
			MaxAttempts: cfg.MaxAttempts,
			Cooldown:    update.Duration(cfg.ResendCooldown),
			MaxSends:    cfg.MaxSends,
			Window:      update.Duration(cfg.SendWindow),
		}
	}
	name := "min=1,max=200"
	schema := &update.Schema{
		Fields: map[string]*update.Field{
			orgPath: {Type: update.TypeString, Required: true, Mutability: update.SetOnce, Query: &update.Queryable{CaseExact: true}},
			usernamePath: {Type: update.TypeString, Required: true, Unique: true, Normalize: update.NormalizeTrim, Rules: name,
				Identifier: &ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}, Query: &update.Queryable{}},
			profilePath:     {Type: update.TypeObject, Required: true},
			givenNamePath:   {Type: update.TypeString, Required: true, Rules: name, Query: &update.Queryable{}},
			familyNamePath:  {Type: update.TypeString, Required: true, Rules: name, Query: &update.Queryable{}},
			nickNamePath:    {Type: update.TypeString, Rules: "max=200", Query: &update.Queryable{}},
			displayNamePath: {Type: update.TypeString, Rules: "max=200", Query: &update.Queryable{}},
			languagePath:    {Type: update.TypeString, Rules: "max=10,bcp47_language_tag"},
			genderPath:      {Type: update.TypeString, Rules: "oneof=" + genders},
			"/email":        {Type: update.TypeObject, Required: true},
			emailPath: {
				Type: update.TypeString, Required: true, Normalize: update.NormalizeEmail,
				Rules: "max=200," + bareEmailTag, Confirm: confirm(verify.Email, emailVerifiedPath),
				Identifier: &ident.Spec{Profile: ident.Email, Skeleton: true}, Query: &update.Queryable{},
			},
			emailVerifiedPath: {Type: update.TypeBoolean},
			"/phone":          {Type: update.TypeObject},
			phonePath: {
				Type: update.TypeString, Normalize: update.NormalizePhone, Region: cfg.DefaultRegion,
				Rules: "max=200,e164", Confirm: confirm(verify.SMS, phoneVerifiedPath), Query: &update.Queryable{},
			},
			phoneVerifiedPath:  {Type: update.TypeBoolean},
			changeRequiredPath: {Type: update.TypeBoolean},
			passwordPath: {Secret: &update.Secret{
				Hasher:       "bcrypt",
				Cost:         10,
				AcceptHashed: []string{"bcrypt"},
				MinCost:      10,
				MaxCost:      16,
				Complexity: update.Complexity{
					MinLength: 8, MaxLength: 72,
					Lower: true, Upper: true, Digit: true, Symbol: true,
				},
				// PasswordReset codes: mailed to the user's address, with the
				// email codes' form, life, attempt lock and send limits.
				Reset: &update.Reset{
					Channel: string(verify.Email), To: emailPath,
					Code:        update.CodeSpec{Length: 6, Alphabet: verify.Alphanumeric, TTL: update.Duration(time.Hour)},
					MaxAttempts: cfg.MaxAttempts, Cooldown: update.Duration(cfg.ResendCooldown),
					MaxSends: cfg.MaxSends, Window: update.Duration(cfg.SendWindow),
				},
			}},
		},
		Unknown: update.Reject,
		// Organisations are the tenants: a username is unique within its
		// organisation, or in the whole instance for the organisations
		// listed in GlobalUsernameOrgs.
		Tenant: &update.Tenancy{Path: orgPath, Global: cfg.GlobalUsernameOrgs},
		Limits: update.Limits{
			MaxBytes:   int(cfg.MaxBodyBytes),
			MaxDepth:   cfg.MaxDepth,
			MaxString:  1024,
			MaxMembers: 64,
			MaxPlural:  16,
		},
	}
	p := &update.Policy{
		Types:  map[string]*update.Schema{EntityType: schema},
		Grants: map[string]update.Grant{},
	}
	for _, c := range cfg.Clients {
		// Every token acts within its organisation: users of another one
		// do not exist for it. Both kinds may ask for a code back
		// (returnCode).
		orgs := []string{c.OrgID}
		if c.admin() {
			p.Grants[c.ID] = update.Grant{Write: true, Create: true, Delete: true, AssertVerified: true, ReturnCode: true, Tenants: orgs}
			continue
		}
		// A user's own token never writes a verified flag directly: the
		// only way to one is a confirmed code (CVE-2026-27946).
		p.Grants[c.ID] = update.Grant{
			Write:      true,
			ReturnCode: true,
			Tenants:    orgs,
			Subject:    c.UserID, // the engine refuses any other user as well
			Paths:      []string{usernamePath, profilePath, emailPath, "/phone", passwordPath, changeRequiredPath},
		}
	}
	return p
}

// engineOptions returns the engine options the profile relies on: the
// deployment's clock and the validator that accepts only a bare address
// ("a@b.c", not "Name <a@b.c>").
func engineOptions(cfg Config) []update.Option {
	return []update.Option{update.WithClock(cfg.Now), update.WithValidator(bareEmailTag, bareEmail)}
}

func bareEmail(fl validator.FieldLevel) bool {
	return isBareEmail(fl.Field().String())
}

// isBareEmail reports whether s is an address and nothing else.
func isBareEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
