package update

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/update/ident"
)

// Policy is the set of semantics the engine applies: one Schema per entity
// type and one Grant per client. A Policy is plain data: build it in Go or
// load it from JSON with LoadPolicy / ParsePolicy. Do not change a Policy
// after handing it to New.
type Policy struct {
	// Types maps an entity type name ("user") to its schema.
	Types map[string]*Schema `json:"types"`
	// Grants maps a client id to what that client may do.
	Grants map[string]Grant `json:"grants,omitempty"`
	// DefaultGrant applies to clients without an entry in Grants
	// (including the empty client id). Nil means such clients are refused
	// with Forbidden.
	DefaultGrant *Grant `json:"defaultGrant,omitempty"`
}

// Schema is the rule set of one entity type.
type Schema struct {
	// Fields maps a JSON Pointer to the rule for the value there. A "*"
	// segment stands for any element of an array: "/statuses/*/status".
	Fields map[string]*Field `json:"fields"`
	// Unknown says what happens to a written path that no field rule covers.
	// A path is covered when a rule exists for it or for one of its
	// descendants (an intermediate object), or when its nearest ancestor
	// with a rule declares no rules below itself (an opaque value). A rule
	// that declares rules below it closes its object: other members are
	// unknown. Default Reject.
	Unknown Unknown `json:"unknown,omitempty"`
	// ClosedObjects closes every object rule (Type object), at every depth,
	// even one that declares no members below it: each member of its value
	// is then unknown and answered by Unknown. Without it such an object
	// is opaque and stored as sent.
	ClosedObjects bool `json:"closedObjects,omitempty"`
	// Omitted says what a Replace does with a declared field it was not
	// sent: remove it (default) or set it to null (Janrain's replace).
	Omitted Omitted `json:"omitted,omitempty"`
	// Limits bound every request before it is trusted. Zero fields take the
	// defaults of DefaultLimits.
	Limits Limits `json:"limits,omitempty"`
	// Tenant, when set, makes each record belong to a tenant (an
	// organisation, a customer) named by a field of its document; see
	// Tenancy. Nil: the type has no tenants, and every unique value is
	// unique among all its records.
	Tenant *Tenancy `json:"tenant,omitempty"`
	// StateFrom binds the record's state to a declared boolean field (a
	// JSON Pointer, e.g. "/active"): a change that makes the field true
	// makes the record Active, false Inactive, in the same store update;
	// removing the field or setting it null leaves the state as it is.
	// Changing the state needs Grant.State (Forbidden, rule "state",
	// otherwise); its event has kind EventActivate or EventDeactivate. At
	// create the field, when present, decides the state. Empty: no binding.
	StateFrom string `json:"stateFrom,omitempty"`
	// Timestamps makes the engine write the record's created and updated
	// times (Record.Created, Record.Updated) into the document, at
	// read-only string fields, in TimestampLayout: Created at create,
	// Updated at create and with every change it commits — never on a
	// request that changes nothing, so that stays Unchanged. Clients cannot
	// write them; declared with Query{DateTime: true}, they filter and sort
	// like any date-time field. Nil: the document holds no times.
	Timestamps *Timestamps `json:"timestamps,omitempty"`
}

// Tenancy says where a record's tenant is written and how its unique
// values are scoped.
//
// The tenant is the string at Path: a declared field of type string,
// required, immutable or read-only, not unique, confirmable, secret or
// plural, on a path without "*". Its value is 1 to 128 bytes of UTF-8
// without control characters (Invalid, rule "tenant", otherwise). A record
// stored before the type had tenants, without a value there, belongs to no
// tenant: its unique values are global, and only grants without Tenants
// reach it.
//
// A unique field is unique within the record's tenant (its UniqueScope
// ScopeTenant, the default): two tenants may each hold the value once.
// With ScopeGlobal, or for a record of a tenant listed in Global, the value
// is unique among the records of every tenant whose values are global.
// Lookups by a tenant-scoped key name the tenant (Locator.In, or a grant
// limited to one tenant).
type Tenancy struct {
	// Path is the JSON Pointer of the field that names the tenant.
	Path string `json:"path"`
	// Global lists tenants whose records hold their unique values across
	// tenants (ZITADEL: an organisation whose usernames are unique in the
	// whole instance).
	Global []string `json:"global,omitempty"`
}

// Scope says among which records a unique value must be unique.
type Scope string

// The uniqueness scopes.
const (
	ScopeTenant Scope = "tenant" // among the records of the record's tenant (the default; "" too)
	ScopeGlobal Scope = "global" // among all records of the type
)

// Field is the rule for one path.
type Field struct {
	// Type is the JSON type the value must have; "" accepts any type.
	Type JSONType `json:"type,omitempty"`
	// Rules are go-playground/validator tags applied to the value, e.g.
	// "email,max=200". Custom validators registered with WithValidator are
	// used by their tag name.
	Rules string `json:"rules,omitempty"`
	// Required fields must be present and non-null after every change.
	Required bool `json:"required,omitempty"`
	// Unique values are held by at most one record of the type. The store
	// indexes the normalized value under the key name of the path.
	Unique bool `json:"unique,omitempty"`
	// UniqueScope is where a Unique value is unique on a type with a
	// Tenant: ScopeTenant (the default) or ScopeGlobal. Only for Unique
	// fields of such types.
	UniqueScope Scope `json:"uniqueScope,omitempty"`
	// Mutability says who may write the field. Default ReadWrite. Below a
	// plural's "*" ("/members/*/value") ReadOnly and SetOnce hold per
	// element: a stored element, matched by the plural's key, keeps the
	// member's value whichever way the plural is written; SetOnce there
	// needs a plural with a Key.
	Mutability Mutability `json:"mutability,omitempty"`
	// Keep makes a Replace carry the field over when the request omits it
	// (credentials, server-owned fields).
	Keep bool `json:"keep,omitempty"`
	// Normalize rewrites the value before validation.
	Normalize Normalize `json:"normalize,omitempty"`
	// Region is the default region for Normalize "phone" (ISO 3166 alpha-2,
	// e.g. "CH"); numbers written with a leading + need none.
	Region string `json:"region,omitempty"`
	// Plural makes the field an array of elements with merge semantics of
	// its own. Nil means RFC 7386: an array sent replaces the array stored.
	Plural *Plural `json:"plural,omitempty"`
	// Confirm makes the field confirmable: a changed value is verified
	// through a code before (Hold) or after (ApplyUnverified) it counts.
	Confirm *Confirm `json:"confirm,omitempty"`
	// Secret makes the field a credential: the value is hashed, kept out of
	// the document and never returned.
	Secret *Secret `json:"secret,omitempty"`
	// Query lets clients filter and sort on the field (Engine.List and
	// Count). Nil: they may not.
	Query *Queryable `json:"query,omitempty"`
	// Identifier applies an identifier profile to a string field (after
	// Normalize, before validation): the value is stored in the profile's
	// prepared form, values the profile refuses are Invalid (rule
	// "identifier"), and a Unique field is indexed under the profile's key,
	// or its UTS #39 skeleton when Skeleton is set, so look-alike values
	// clash. Lookups by key go through the same profile. Nil (the default)
	// keeps values and keys as written.
	Identifier *ident.Spec `json:"identifier,omitempty"`
}

// JSONType names a JSON type.
type JSONType string

// The JSON types a field can require. Integer is a number without a
// fraction or exponent.
const (
	TypeAny     JSONType = ""
	TypeString  JSONType = "string"
	TypeNumber  JSONType = "number"
	TypeInteger JSONType = "integer"
	TypeBoolean JSONType = "boolean"
	TypeObject  JSONType = "object"
	TypeArray   JSONType = "array"
)

// Mutability says who may write a field.
type Mutability string

// The mutabilities.
const (
	ReadWrite Mutability = "readWrite" // clients read and write it (the default; "" too)
	SetOnce   Mutability = "immutable" // written once (at create or while absent), never changed
	ReadOnly  Mutability = "readOnly"  // server-owned: clients never write it
	WriteOnly Mutability = "writeOnly" // written, never returned by reads or results
)

// Normalize names a normalizer.
type Normalize string

// The normalizers.
const (
	NormalizeNone  Normalize = ""
	NormalizeEmail Normalize = "email"       // trim, lower-case the domain
	NormalizeLower Normalize = "email-lower" // trim, lower-case the whole address
	NormalizePhone Normalize = "phone"       // E.164 via libphonenumber, with Field.Region as default region
	NormalizeTrim  Normalize = "trim"        // trim surrounding white space
)

// Unknown says what happens to undeclared attributes.
type Unknown string

// The unknown-attribute policies.
const (
	Reject Unknown = "reject" // Invalid, rule "unknown" (the default; "" means Reject)
	Allow  Unknown = "allow"  // stored as sent
	Drop   Unknown = "drop"   // silently left out
)

// Omitted says what a Replace does with declared fields it was not sent.
type Omitted string

// The omitted-field policies of Replace.
const (
	OmitRemove Omitted = "remove" // the field is removed (the default; "" means OmitRemove)
	OmitNull   Omitted = "null"   // the field is set to null; plurals become empty
)

// PluralMode says how a Merge treats an array sent for a plural field.
type PluralMode string

// The plural modes.
const (
	PluralReplace PluralMode = "replace" // RFC 7386: the array sent replaces the stored one ("" too)
	PluralAppend  PluralMode = "append"  // elements sent are appended
	// PluralUpsert: an element whose key exists replaces that element (or
	// is merged into it, with MergeElements); an element without a key is
	// appended and given a fresh key when KeyGen is set; a key that does
	// not exist is NotFound naming the element's path.
	PluralUpsert PluralMode = "upsert"
)

// KeyGen names a generator of plural element keys.
type KeyGen string

// The key generators.
const (
	KeyGenNone KeyGen = ""     // elements keep whatever key they were sent with
	KeyGenInt  KeyGen = "int"  // a positive integer unused in the plural
	KeyGenUUID KeyGen = "uuid" // a random UUID string
)

// Plural configures an array field.
type Plural struct {
	Mode PluralMode `json:"mode,omitempty"`
	// Key is the member that identifies an element, e.g. "id".
	Key string `json:"key,omitempty"`
	// KeyGen assigns keys to new elements. On Replace every element gets a
	// fresh key when it is set.
	KeyGen KeyGen `json:"keyGen,omitempty"`
	// MergeElements merges an upserted element into the stored one
	// (RFC 7386) instead of replacing it.
	MergeElements bool `json:"mergeElements,omitempty"`
	// LocallyUnique lists member names whose values may not repeat
	// between elements of one plural.
	LocallyUnique []string `json:"locallyUnique,omitempty"`
	// Primary names a boolean member at most one element may hold true
	// ("primary"). A Modify that makes an element's member true sets it
	// false on the elements that held it before.
	Primary string `json:"primary,omitempty"`
}

// ConfirmMode says when a changed confirmable value counts.
type ConfirmMode string

// The confirm modes.
const (
	// Hold keeps the old value in the document; the new one waits in a
	// challenge until confirmed.
	Hold ConfirmMode = "hold"
	// ApplyUnverified writes the new value at once and clears the
	// verified flag until the code is confirmed.
	ApplyUnverified ConfirmMode = "applyUnverified"
)

// Confirm configures a confirmable field.
type Confirm struct {
	Channel string      `json:"channel"` // "email" or "sms"
	Mode    ConfirmMode `json:"mode"`
	// VerifiedPath is the JSON Pointer of the boolean that says the value
	// is verified, e.g. "/emailVerified". Optional.
	VerifiedPath string `json:"verifiedPath,omitempty"`
	// Code is the code's form and life. Zero fields: 6 characters of
	// A–Z0–9, valid one hour.
	Code CodeSpec `json:"code,omitempty"`
	// MaxAttempts wrong codes lock the challenge. Default 5.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// Cooldown is the least time between two sends. Default none.
	Cooldown Duration `json:"cooldown,omitempty"`
	// MaxSends within Window; zero means no window limit.
	MaxSends int      `json:"maxSends,omitempty"`
	Window   Duration `json:"window,omitempty"`
	// ReservePending makes a held value count for uniqueness while it waits.
	ReservePending bool `json:"reservePending,omitempty"`
	// KeepVerified lets a verified value be replaced, never removed: a
	// change that leaves the field absent or null while the record's value
	// is verified (VerifiedPath true) is Invalid, rule "verified". A Replace
	// that leaves the field out and a merge or patch that nulls or removes
	// it are refused alike. Checked on the stored record, inside the
	// store's transaction.
	KeepVerified bool `json:"keepVerified,omitempty"`
}

// CodeSpec is the form and life of verification codes.
type CodeSpec struct {
	Length   int      `json:"length,omitempty"`
	Alphabet string   `json:"alphabet,omitempty"`
	TTL      Duration `json:"ttl,omitempty"`
}

// Secret configures a credential field.
type Secret struct {
	// Hasher is "bcrypt" (default) or "argon2id".
	Hasher string `json:"hasher,omitempty"`
	// Cost is the bcrypt cost (default 10).
	Cost int `json:"cost,omitempty"`
	// AcceptHashed lists the pre-hashed formats a request may send instead
	// of a plain value: "bcrypt", "argon2id". Empty refuses all.
	AcceptHashed []string `json:"acceptHashed,omitempty"`
	// MinCost and MaxCost bound an accepted bcrypt hash's cost.
	MinCost int `json:"minCost,omitempty"`
	MaxCost int `json:"maxCost,omitempty"`
	// Complexity is the rule a plain value must meet.
	Complexity Complexity `json:"complexity,omitempty"`
	// KeepIfSame makes a plain value that matches the stored secret no
	// change at all: not re-hashed, not in the change list, no version bump.
	// For APIs whose clients send the password with every replacement
	// (DRUID). It costs one hash comparison per such request.
	KeepIfSame bool `json:"keepIfSame,omitempty"`
	// Reset, when set, lets Engine.Reset issue codes that set a new value
	// without the current one (SecretValue.Code).
	Reset *Reset `json:"reset,omitempty"`
}

// Complexity is a password complexity rule.
type Complexity struct {
	MinLength int  `json:"minLength,omitempty"`
	MaxLength int  `json:"maxLength,omitempty"` // default 72, bcrypt's limit
	Lower     bool `json:"lower,omitempty"`
	Upper     bool `json:"upper,omitempty"`
	Digit     bool `json:"digit,omitempty"`
	Symbol    bool `json:"symbol,omitempty"`
}

// Limits bound a request before it is trusted.
type Limits struct {
	MaxBytes   int `json:"maxBytes,omitempty"`   // a request body, for ParseDocument
	MaxDepth   int `json:"maxDepth,omitempty"`   // nesting of objects and arrays
	MaxPlural  int `json:"maxPlural,omitempty"`  // elements of any array, after the change
	MaxString  int `json:"maxString,omitempty"`  // bytes of any string
	MaxMembers int `json:"maxMembers,omitempty"` // members of any object sent
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{
	MaxBytes:   1 << 20,
	MaxDepth:   32,
	MaxPlural:  1000,
	MaxString:  64 << 10,
	MaxMembers: 1000,
}

// Grant is what one client may do.
//
// Every grant lets its client read (Get and History with AsClient), within
// Subject; a client without a grant reads nothing.
type Grant struct {
	// Write allows updates at all; without it every change is Forbidden.
	Write bool `json:"write"`
	// Create allows Create; Delete allows Delete.
	Create bool `json:"create,omitempty"`
	Delete bool `json:"delete,omitempty"`
	// Paths limits writes to these JSON Pointers and what lies below them.
	// Empty means every path.
	Paths []string `json:"paths,omitempty"`
	// AssertVerified lets the client set a confirmable value as already
	// verified (Delivery AlreadyVerified).
	AssertVerified bool `json:"assertVerified,omitempty"`
	// ReturnCode lets the client have a verification or reset code
	// returned in the Result (Delivery ReturnCode) instead of sent to the
	// user; without it such a request is Forbidden.
	ReturnCode bool `json:"returnCode,omitempty"`
	// Tenants, when set, limits the client to the records of these tenants
	// (types with a Tenant). To it any other record does not exist: reads,
	// lookups by key, changes, confirmations, resends and deletes answer
	// NotFound as for a missing record, and List and Count leave it out. It
	// creates records only in these tenants (Forbidden otherwise), and
	// types without a Tenant are Forbidden to it.
	Tenants []string `json:"tenants,omitempty"`
	// State lets the client change a record's state by writing the field
	// its schema binds to it (Schema.StateFrom).
	State bool `json:"state,omitempty"`
	// Subject, when set, is the only record id the client may change, or
	// read through Get and History with AsClient — a user's own token. Any
	// other record is Forbidden.
	Subject string `json:"subject,omitempty"`
	// Self makes the grant one for users acting on themselves through a
	// token that names them, issued at run time: every call under it must
	// name its subject (Request.Subject) and reaches that record only, as
	// if Subject were set to it. Any call that names none is Forbidden,
	// reads included. Self and Subject exclude each other.
	Self bool `json:"self,omitempty"`
}

// Duration is a time.Duration that reads and writes JSON as "90s", "2m".
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string ("1h", "120s").
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return durationError(string(b))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return durationError(strconv.Quote(s))
	}
	if v < 0 {
		return &jsonfile.ValueError{Problem: fmt.Sprintf("duration %q is negative", s), Expected: "0 or more"}
	}
	*d = Duration(v)
	return nil
}

// LoadPolicy reads a policy from a JSON file; see ParsePolicy. Its errors
// name the file, line, column and JSON path (a *ConfigError).
func LoadPolicy(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	defer f.Close()
	return parsePolicy(path, f)
}

// ParsePolicy reads a policy from JSON. Unknown keys are errors, and the
// policy is checked as New would check it, so a typo fails here and not at
// the first request — except validator tags, which New checks, since only
// New knows the custom validators registered with WithValidator. Errors
// name the line, column and JSON path (a *ConfigError).
func ParsePolicy(r io.Reader) (*Policy, error) { return parsePolicy("", r) }

func parsePolicy(file string, r io.Reader) (*Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, 8<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 8<<20 {
		return nil, fmt.Errorf("policy: larger than %d bytes", 8<<20)
	}
	var p Policy
	if err := jsonfile.Decode(file, data, &p); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if _, err := compilePolicy(&p, nil); err != nil {
		return nil, jsonfile.Locate(err, file, data)
	}
	return &p, nil
}

// LocatePolicyError places an error of New, which knows the policy only
// as a Go value, in the policy file it was loaded from (file, whose
// contents are data): a *ConfigError from New gets its line and column.
// Other errors are returned unchanged.
func LocatePolicyError(err error, file string, data []byte) error {
	return jsonfile.Locate(err, file, data)
}
