package scim

import (
	"crypto/rand"
	"fmt"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
)

// The entity types of SCIM records in the engine, namespaced because the
// shim server keeps every vendor's records in one store.
const (
	EntityUser  = "scim.user"
	EntityGroup = "scim.group"
)

// resourceTypes returns the resources the profile serves: Users with the
// enterprise extension and cfg's extensions, and Groups.
func resourceTypes(cfg Config) []*resourceType {
	userExts := append([]SchemaDef{enterpriseSchema()}, cfg.UserExtensions...)
	if cfg.ConfirmEmail != nil {
		userExts = append(userExts, verificationSchema())
	}
	return []*resourceType{
		{Name: "User", Endpoint: "/Users", Entity: EntityUser, Schema: userSchema(), Extensions: userExts},
		{Name: "Group", Endpoint: "/Groups", Entity: EntityGroup, Schema: groupSchema(),
			Extensions: cfg.GroupExtensions},
	}
}

// Policy returns the SCIM profile: one entity type per resource type
// (EntityUser, EntityGroup), whose fields are generated from the schema
// definitions that /Schemas serves, so the two cannot disagree. Each
// attribute's characteristics map onto a field rule:
//
//   - mutability readOnly, immutable, writeOnly: update.ReadOnly,
//     update.SetOnce, update.WriteOnly;
//   - uniqueness server: Unique (userName, and id, which the document holds
//     as a server-owned value so that it can be filtered on);
//   - caseExact: the Queryable's CaseExact, so filters on attributes that
//     are not case-exact compare under case folding;
//   - required: Required;
//   - type: the JSON type (decimal: number, dateTime: a string compared as
//     a date-time in filters);
//   - userName: the PRECIS case-mapped username profile with a confusable
//     skeleton for its unique key, so "Bjensen", "bjensen" and "bјensen"
//     (Cyrillic ј) are one name;
//   - password: a secret (bcrypt), never stored in the document or returned;
//   - members of a Group: a plural keyed by value, each member once;
//   - active: the record's engine state (Schema.StateFrom), so active
//     false makes the record Inactive and true Active again, in the same
//     update; only provisioning clients (write clients not bound to a
//     user) may change it: a user's own token writing active is 403;
//   - a multi-valued attribute with a primary sub-attribute: at most one
//     value primary (Plural.Primary), so a PATCH that makes one primary
//     clears the others.
//
// Attributes not declared are refused (unknown attributes are Invalid).
// Every client gets a grant: write clients may create, change and delete;
// read-only clients only read; a client naming a user (Client.User) may
// read and change that user alone.
func Policy(cfg Config) *update.Policy {
	cfg = cfg.withDefaults()
	p := &update.Policy{Types: map[string]*update.Schema{}, Grants: map[string]update.Grant{
		SeedClient: {Write: true, Create: true, Delete: true, State: true},
	}}
	for _, rt := range resourceTypes(cfg) {
		fields := map[string]*update.Field{}
		for _, a := range commonAttributes() {
			addField(fields, nil, a)
		}
		for _, a := range rt.Schema.Attributes {
			addField(fields, nil, a)
		}
		for _, x := range rt.Extensions {
			// Queryable for presence: "schemas eq URN" asks whether a
			// resource holds the extension.
			fields[pointer([]string{x.ID})] = &update.Field{Type: update.TypeObject, Query: &update.Queryable{}}
			for _, a := range x.Attributes {
				addField(fields, []string{x.ID}, a)
			}
		}
		if u := fields["/userName"]; u != nil {
			u.Identifier = &ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}
		}
		for path, f := range fields {
			if f.Type == update.TypeArray && fields[path+"/*/primary"] != nil {
				f.Plural = &update.Plural{Primary: "primary"}
			}
		}
		if cfg.ConfirmEmail != nil && rt.Entity == EntityUser {
			fields[cfg.ConfirmEmail.path()] = cfg.ConfirmEmail.field()
		}
		if m := fields["/members"]; m != nil {
			m.Plural = &update.Plural{Mode: update.PluralUpsert, Key: "value", LocallyUnique: []string{"value"}}
		}
		var stateFrom string
		if f := fields["/active"]; f != nil && f.Type == update.TypeBoolean {
			stateFrom = "/active"
		}
		p.Types[rt.Entity] = &update.Schema{
			Fields:    fields,
			Unknown:   update.Reject,
			StateFrom: stateFrom,
			Limits: update.Limits{
				MaxBytes:   cfg.MaxBodyBytes,
				MaxDepth:   cfg.MaxDepth,
				MaxString:  cfg.MaxStringBytes,
				MaxMembers: 128,
				MaxPlural:  cfg.MaxPlural,
			},
		}
	}
	for _, c := range cfg.Clients {
		admin := c.Write && c.User == ""
		g := update.Grant{Write: c.Write, Create: admin, Delete: admin, State: admin, Subject: c.User}
		p.Grants[c.ID] = g
	}
	return p
}

// addField adds the rules of attribute a, found below the segments at,
// and of its sub-attributes.
func addField(fields map[string]*update.Field, at []string, a Attribute) {
	segs := append(append([]string(nil), at...), a.Name)
	f := &update.Field{
		Required:   a.Required && !a.MultiValued,
		Unique:     a.Uniqueness != uniqNone,
		Mutability: update.Mutability(a.Mutability),
	}
	switch {
	case a.MultiValued:
		f.Type = update.TypeArray
	case a.Type == typeComplex:
		f.Type = update.TypeObject
	default:
		f.Type = jsonType(a.Type)
		f.Query = &update.Queryable{CaseExact: a.CaseExact, DateTime: a.Type == typeDateTime}
	}
	if a.Mutability == mutWriteOnly {
		// KeepIfSame: Okta sends the password with every PUT; the same
		// password again is no change and no new version.
		f.Secret, f.Mutability, f.Query = &update.Secret{KeepIfSame: true}, "", nil
	}
	if a.Mutability == mutReadOnly {
		f.Required = false // the server sets it, or nobody does
	}
	fields[pointer(segs)] = f
	if a.MultiValued {
		segs = append(segs, "*")
	}
	for _, s := range a.SubAttributes {
		addField(fields, segs, s)
	}
}

// jsonType maps a simple attribute type of RFC 7643 section 2.3 to the
// JSON type that carries it.
func jsonType(t string) update.JSONType {
	switch t {
	case typeBoolean:
		return update.TypeBoolean
	case typeDecimal:
		return update.TypeNumber
	case typeInteger:
		return update.TypeInteger
	}
	return update.TypeString
}

// engineOptions returns the engine options the profile relies on: the
// deployment's clock and logger, and ids in the UUID form SCIM clients
// expect.
func engineOptions(cfg Config) []update.Option {
	return []update.Option{update.WithClock(cfg.Now), update.WithLogger(cfg.Logger), update.WithIDGenerator(newID)}
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
