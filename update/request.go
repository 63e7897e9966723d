package update

import (
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Mode is how a request's document is applied.
type Mode string

// The request modes.
const (
	// Merge changes only what is sent (RFC 7386): null removes a member,
	// objects merge recursively, other values replace; arrays of plural
	// fields follow their Plural rule.
	Merge Mode = "merge"
	// Replace puts the document sent in place of the one stored (or of the
	// subtree at Request.Path). What is not sent is removed, or set to null
	// when the schema says so, except fields marked Keep, secrets and
	// server-owned (ReadOnly) fields.
	Replace Mode = "replace"
	// Patch applies RFC 6902 operations (Request.Ops).
	Patch Mode = "patch"
	// Modify applies attribute-oriented modifications (Request.Mods):
	// add appends to plurals and merges into objects, and an operation may
	// select a plural's elements by a filter (see Modification).
	Modify Mode = "modify"
)

// Locator names one record: by ID, or by a unique key.
type Locator struct {
	ID  string
	Key *storage.Key
	// Tenant, when set, is the tenant the record must belong to (types
	// with a Schema.Tenant): a record of another tenant is NotFound. A
	// key unique per tenant is looked up within it. See In.
	Tenant string
}

// In returns the locator limited to tenant: ByKey("/username",
// "minnie").In("org-a") finds org-a's minnie.
func (l Locator) In(tenant string) Locator {
	l.Tenant = tenant
	return l
}

// ByID locates a record by its id.
func ByID(id string) Locator { return Locator{ID: id} }

// ByKey locates a record by a unique value: the key name is the field's
// JSON Pointer ("/email") or an external key name ("ext:crm"). The value is
// normalized with the field's normalizer before the lookup.
func ByKey(name, value string) Locator {
	return Locator{Key: &storage.Key{Name: name, Value: value}}
}

// Expect holds preconditions; each one set must match the stored record or
// the request fails with Conflict and changes nothing. Times compare by
// SameInstant: to the microsecond, the precision vendors and PostgreSQL
// carry. The Conflict's Reason names the precondition that failed and its
// Mismatch holds both values.
type Expect struct {
	Version *uint64
	Created *time.Time
	Updated *time.Time
}

// DeliveryKind says what happens to the code of a confirmable change.
type DeliveryKind string

// The delivery kinds.
const (
	// Send dispatches the code through the engine's Dispatcher (default).
	Send DeliveryKind = "send"
	// ReturnCode returns the code in the Result; nothing is sent.
	ReturnCode DeliveryKind = "return"
	// AlreadyVerified applies the value as verified without a code. Only
	// clients whose Grant has AssertVerified may ask for it.
	AlreadyVerified DeliveryKind = "verified"
)

// Delivery is the caller's choice for one confirmable path.
type Delivery struct {
	Kind DeliveryKind
	// LinkTemplate is a text/template rendered into Message.Link, with the
	// fields of verify.LinkData. Checked before anything changes.
	LinkTemplate string
	// OrgID is passed to the link template as .OrgID.
	OrgID string
}

// SecretValue is a credential sent for a Secret field.
type SecretValue struct {
	// Plain is a clear-text value; it is checked against the complexity
	// rule and hashed. Exactly one of Plain and Hash is set.
	Plain string
	// Hash is a pre-hashed value in a format the field accepts.
	Hash string
	// Current, when set, must match the stored secret for the change to
	// go ahead (CodeMismatch otherwise).
	Current string
	// Code, when set, is a reset code from Engine.Reset: it must match the
	// open reset challenge at the path (the field needs Secret.Reset). A
	// wrong code is counted and fails the request; the right one is used
	// up by it.
	Code string
}

// Request is one update of one record.
type Request struct {
	// Type is the entity type; Locator names the record.
	Type    string
	Locator Locator
	// Client is the id of the calling client, looked up in Policy.Grants;
	// Actor is who acts (a user, an operator), recorded in the history.
	Client string
	Actor  string
	// Subject, when set, is the record the caller acts for: the user a
	// token names, which the calling code has checked. It limits the
	// client's grant to that record, as Grant.Subject does; a grant with
	// a Subject of its own must name the same record, and a Self grant
	// serves only requests that set it.
	Subject string

	Mode Mode
	// Path is the JSON Pointer of the subtree Doc applies to; "" is the
	// whole document. With Merge, Doc is merged into the value at Path;
	// with Replace, Doc replaces it. Either way the parent of Path must
	// exist (NotFound otherwise); the value at Path itself may be absent.
	// Plural rules apply to arrays met while merging, so a plural array is
	// sent inside its parent object, not as the Doc of its own path.
	Path string
	// Doc is the decoded JSON sent (map[string]any, []any, string,
	// json.Number, bool, nil) for Merge and Replace.
	Doc any
	// Ops are the operations of a Patch.
	Ops []merge.Operation
	// Mods are the modifications of a Modify.
	Mods []Modification
	// Secrets carries credentials by path (e.g. "/password"). A string
	// sent in Doc at a secret path counts as SecretValue{Plain: ...}.
	Secrets map[string]SecretValue
	// Delivery chooses, per confirmable path, what happens to the code.
	// Paths not listed get Delivery{Kind: Send}.
	Delivery map[string]Delivery

	Expect Expect
	// DryRun plans and checks everything and commits nothing.
	DryRun bool
	// IncludeRecord puts the record after the change into the Result.
	IncludeRecord bool
	// Spend, when set, names the single-use token that authorizes the
	// request; the store must implement storage.Spender. Apply spends it
	// whatever becomes of the request: in the transaction of the update
	// when the request gets that far (one store call for both), by
	// itself when the request is refused before (a check that needs no
	// stored state, a dry run). When the token cannot be spent, Apply
	// returns Unauthorized (its Reason says why, its chain holds the
	// *storage.SpendError) whatever else is wrong with the request, and
	// changes nothing; when Spend.Check refuses, Apply returns Check's
	// error (an *Error unchanged, anything else as Internal) and the
	// spend stands.
	// Apply spends only this token: the request is checked as its Client
	// and Subject say, which the caller must have bound to the token.
	Spend *storage.Spend
}

// CreateRequest creates one record.
type CreateRequest struct {
	Type string
	// ID is the new record's id; empty asks the engine's generator.
	ID     string
	Client string
	Actor  string
	Doc    map[string]any
	// Server holds values for read-only (server-owned) fields, set by the
	// calling code rather than taken from a client: a record id a vendor
	// shows, a uuid, a creation stamp. Clients' documents go in Doc, where
	// read-only fields are refused. Server values are type- and rule-checked.
	Server map[string]any
	// State is the new record's state; empty means Active.
	State storage.RecordState
	// ExternalKeys are extra unique keys (Name "ext:crm") the record is
	// findable by.
	ExternalKeys []storage.Key
	Secrets      map[string]SecretValue
	// Delivery chooses per confirmable path what happens to the code of
	// its initial value; AlreadyVerified counts as listing the path in
	// Verified.
	Delivery map[string]Delivery
	// Verified lists confirmable paths whose initial values count as
	// verified (requires Grant.AssertVerified), e.g. for seeding.
	Verified []string
	DryRun   bool
	// IncludeRecord puts the new record into the Result.
	IncludeRecord bool
}

// Result is the normalized answer to every update.
//
// It marshals to JSON with lowercase member names, so a service can
// return or log it as it is:
//
//	{"id": "u1", "modified": true, "unchanged": false,
//	 "verificationDispatched": true,
//	 "changes": [{"path": "/givenName", "op": "replace", "old": "Matthew", "new": "Matt"}],
//	 "pending": [...], "version": 2,
//	 "created": "2026-01-02T03:04:05Z", "updated": "2026-01-02T03:04:05Z",
//	 "record": {...}, "dryRun": true}
//
// verificationDispatched, changes, pending, record and dryRun are left out
// when false or empty. Secret values never appear (see Changes); a code
// appears only where the request asked for it (PendingInfo.Code).
type Result struct {
	ID string `json:"id"`
	// Modified: the document or the pending challenges changed and were
	// committed (or would be, on a dry run). Unchanged: nothing to do.
	// Exactly one of the two is true.
	Modified  bool `json:"modified"`
	Unchanged bool `json:"unchanged"`
	// VerificationDispatched: at least one code went to a dispatcher.
	VerificationDispatched bool `json:"verificationDispatched,omitempty"`
	// Changes lists what changed in the document; secret values appear as
	// "[redacted]".
	Changes []storage.Change `json:"changes,omitempty"`
	// Pending lists the challenges this request opened or touched.
	Pending []PendingInfo `json:"pending,omitempty"`
	// Version, Created and Updated are the record's after the request.
	Version uint64    `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Record is set when the request asked for it.
	Record *View `json:"record,omitempty"`
	DryRun bool  `json:"dryRun,omitempty"`
}

// PendingInfo describes one challenge in a Result or a View. It marshals
// as {"id", "path", "channel", "state", "expires", "held", "dispatched",
// "throttled", "dispatchError", "code"}, the last three left out when
// empty.
type PendingInfo struct {
	ID      string         `json:"id"`
	Path    string         `json:"path"`
	Channel verify.Channel `json:"channel"`
	State   verify.State   `json:"state"`
	Expires time.Time      `json:"expires"`
	// Held: the value waits outside the document (Hold mode).
	Held bool `json:"held"`
	// Dispatched: the code went to the dispatcher.
	Dispatched bool `json:"dispatched"`
	// Throttled is "" when the code went out (or was returned), else why
	// not: "cooldown" or "window" (the limiter refused; the challenge has no
	// code until a Resend), or "pending" (the same value already waits for
	// its code, so nothing new was issued).
	Throttled string `json:"throttled,omitempty"`
	// DispatchError says why a send failed, as specifically as the
	// engine's log line does ("no dispatcher configured ...", or
	// "dispatch failed: " and the dispatcher's error); the challenge stays
	// open and Resend can retry.
	DispatchError string `json:"dispatchError,omitempty"`
	// Code is set only when the request asked for it (ReturnCode).
	Code string `json:"code,omitempty"`
}

// View is a record as a client may see it: no secrets, no write-only
// fields, no code hashes. It marshals as {"type", "id", "version",
// "created", "updated", "state", "doc", "hasSecret", "pending", "keys"},
// the last three left out when empty.
type View struct {
	Type    string              `json:"type"`
	ID      string              `json:"id"`
	Version uint64              `json:"version"`
	Created time.Time           `json:"created"`
	Updated time.Time           `json:"updated"`
	State   storage.RecordState `json:"state"`
	Doc     map[string]any      `json:"doc"`
	// HasSecret lists the secret paths that have a value.
	HasSecret []string      `json:"hasSecret,omitempty"`
	Pending   []PendingInfo `json:"pending,omitempty"`
	Keys      []storage.Key `json:"keys,omitempty"`
}
