package scim

import (
	"strings"
)

// The schema URNs of RFC 7643 and the message URNs of RFC 7644.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	schemaSPC          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"

	MessageList   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	MessageSearch = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	MessageError  = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// The attribute types of RFC 7643 section 2.3.
const (
	typeString    = "string"
	typeBoolean   = "boolean"
	typeDecimal   = "decimal"
	typeInteger   = "integer"
	typeDateTime  = "dateTime"
	typeReference = "reference"
	typeComplex   = "complex"
)

// The characteristics of RFC 7643 section 7.
const (
	mutReadWrite = "readWrite"
	mutReadOnly  = "readOnly"
	mutImmutable = "immutable"
	mutWriteOnly = "writeOnly"

	retDefault = "default"
	retAlways  = "always"
	retNever   = "never"
	retRequest = "request"

	uniqNone   = "none"
	uniqServer = "server"
)

// Attribute is one attribute definition of RFC 7643 section 7. The schema
// tables below are the single source of both the engine's policy
// (Policy) and the /Schemas discovery answer, so what a client reads
// there is what the engine enforces.
type Attribute struct {
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	MultiValued     bool        `json:"multiValued"`
	Description     string      `json:"description,omitempty"`
	Required        bool        `json:"required"`
	CaseExact       bool        `json:"caseExact"`
	Mutability      string      `json:"mutability"`
	Returned        string      `json:"returned"`
	Uniqueness      string      `json:"uniqueness"`
	CanonicalValues []string    `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string    `json:"referenceTypes,omitempty"`
	SubAttributes   []Attribute `json:"subAttributes,omitempty"`
}

// SchemaDef is one schema: its URN, name and attributes.
type SchemaDef struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Attributes  []Attribute `json:"attributes"`
}

// sub returns an attribute with the defaults of RFC 7643 section 2.2:
// readWrite, returned by default, not unique, not case-exact.
func sub(name, typ string) Attribute {
	return Attribute{Name: name, Type: typ, Mutability: mutReadWrite, Returned: retDefault, Uniqueness: uniqNone}
}

func str(name string) Attribute { return sub(name, typeString) }

func complexAttr(name string, multi bool, subs ...Attribute) Attribute {
	a := sub(name, typeComplex)
	a.MultiValued, a.SubAttributes = multi, subs
	return a
}

// plural returns a multi-valued complex attribute with the sub-attributes
// RFC 7643 section 2.4 gives every one of them, plus extra.
func plural(name string, types []string, extra ...Attribute) Attribute {
	typ := str("type")
	typ.CanonicalValues = types
	subs := append([]Attribute{str("value"), str("display"), typ, sub("primary", typeBoolean)}, extra...)
	return complexAttr(name, true, subs...)
}

func with(a Attribute, f func(*Attribute)) Attribute { f(&a); return a }

// userSchema is RFC 7643 section 4.1.
func userSchema() SchemaDef {
	return SchemaDef{ID: SchemaUser, Name: "User", Description: "User Account", Attributes: []Attribute{
		with(str("userName"), func(a *Attribute) { a.Required, a.Uniqueness = true, uniqServer }),
		complexAttr("name", false, str("formatted"), str("familyName"), str("givenName"),
			str("middleName"), str("honorificPrefix"), str("honorificSuffix")),
		str("displayName"), str("nickName"), with(sub("profileUrl", typeReference), func(a *Attribute) { a.ReferenceTypes = []string{"external"} }),
		str("title"), str("userType"), str("preferredLanguage"), str("locale"), str("timezone"),
		sub("active", typeBoolean),
		with(str("password"), func(a *Attribute) { a.Mutability, a.Returned = mutWriteOnly, retNever }),
		plural("emails", []string{"work", "home", "other"}),
		plural("phoneNumbers", []string{"work", "home", "mobile", "fax", "pager", "other"}),
		plural("ims", []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
		plural("photos", []string{"photo", "thumbnail"}),
		complexAttr("addresses", true, str("formatted"), str("streetAddress"), str("locality"),
			str("region"), str("postalCode"), str("country"),
			with(str("type"), func(a *Attribute) { a.CanonicalValues = []string{"work", "home", "other"} }),
			sub("primary", typeBoolean)),
		with(plural("groups", []string{"direct", "indirect"}), func(a *Attribute) { a.Mutability = mutReadOnly }),
		plural("entitlements", nil),
		plural("roles", nil),
		plural("x509Certificates", nil),
	}}
}

// enterpriseSchema is RFC 7643 section 4.3.
func enterpriseSchema() SchemaDef {
	return SchemaDef{ID: SchemaEnterprise, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []Attribute{
		str("employeeNumber"), str("costCenter"), str("organization"), str("division"), str("department"),
		complexAttr("manager", false, str("value"), with(sub("$ref", typeReference), func(a *Attribute) { a.ReferenceTypes = []string{"User"} }),
			with(str("displayName"), func(a *Attribute) { a.Mutability = mutReadOnly })),
	}}
}

// groupSchema is RFC 7643 section 4.2. Members are keyed by value.
func groupSchema() SchemaDef {
	return SchemaDef{ID: SchemaGroup, Name: "Group", Description: "Group", Attributes: []Attribute{
		with(str("displayName"), func(a *Attribute) { a.Required = true }),
		complexAttr("members", true,
			with(str("value"), func(a *Attribute) { a.Mutability, a.CaseExact = mutImmutable, true }),
			with(sub("$ref", typeReference), func(a *Attribute) { a.Mutability, a.ReferenceTypes = mutImmutable, []string{"User", "Group"} }),
			with(str("type"), func(a *Attribute) { a.Mutability, a.CanonicalValues = mutImmutable, []string{"User", "Group"} }),
			str("display")),
	}}
}

// commonAttributes are the attributes of RFC 7643 section 3.1 that every
// resource has. id is kept in the document as a server-owned value, so
// clients can filter and sort on it like on any other attribute; so are
// meta's created and lastModified, which the engine writes
// (update.Schema.Timestamps). meta's other sub-attributes (resourceType,
// location, version) are derived when a resource is encoded and are not
// attributes of the document: they cannot be filtered on.
func commonAttributes() []Attribute {
	readOnly := func(a *Attribute) { a.Mutability = mutReadOnly }
	return []Attribute{
		with(str("id"), func(a *Attribute) {
			a.CaseExact, a.Mutability, a.Returned, a.Uniqueness = true, mutReadOnly, retAlways, uniqServer
		}),
		with(str("externalId"), func(a *Attribute) { a.CaseExact = true }),
		with(complexAttr(metaName, false, with(sub(metaCreated, typeDateTime), readOnly), with(sub(metaLastModified, typeDateTime), readOnly)),
			func(a *Attribute) { a.Mutability, a.Returned = mutReadOnly, retAlways }),
	}
}

// The meta attribute and the sub-attributes of it that the document
// holds.
const (
	metaName         = "meta"
	metaCreated      = "created"
	metaLastModified = "lastModified"
)

// resourceType is one endpoint's resource: its schema and extensions.
type resourceType struct {
	Name       string
	Endpoint   string // "/Users"
	Entity     string // the engine's entity type
	Schema     SchemaDef
	Extensions []SchemaDef
}

// extension returns the extension with the URN (compared without regard
// to case, as RFC 7643 section 2.1 asks of attribute names).
func (rt *resourceType) extension(urn string) (*SchemaDef, bool) {
	for i := range rt.Extensions {
		if strings.EqualFold(rt.Extensions[i].ID, urn) {
			return &rt.Extensions[i], true
		}
	}
	return nil, false
}

// top returns the top-level attribute named name in rt's core schema (or
// the common attributes).
func (rt *resourceType) top(name string) (*Attribute, bool) {
	if a, ok := find(commonAttrs, name); ok {
		return a, true
	}
	return find(rt.Schema.Attributes, name)
}

// commonAttrs are the common attributes, built once for resolving paths;
// nothing writes to them.
var commonAttrs = commonAttributes()

// find returns the attribute named name in list, without regard to case.
func find(list []Attribute, name string) (*Attribute, bool) {
	for i := range list {
		if strings.EqualFold(list[i].Name, name) {
			return &list[i], true
		}
	}
	return nil, false
}
