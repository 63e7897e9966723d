// Package update provides the identity update engine: it applies replace,
// merge and plural-append/upsert semantics to user documents as a Policy
// configures them per field, routes changes of confirmable fields through
// pending verification, and answers every call with a normalized Result or
// a typed *Error.
//
// # The pieces
//
// A Policy holds one Schema per entity type and one Grant per client. A
// Schema holds Field rules keyed by JSON Pointer ("/email",
// "/statuses/*/status"). An Engine applies Requests to records kept in a
// storage.Store. Policies are plain data and load from JSON (LoadPolicy),
// so a policy experiment needs no recompile.
//
// # Modes
//
// Merge (RFC 7386): only what is sent changes. A member set to null is
// removed; an object merges into the stored object member by member; any
// other value replaces the stored one. An array replaces the stored array,
// unless the field has a Plural rule:
//
//   - PluralAppend: the elements sent are appended; with a Key and a
//     KeyGen, each element sent without a key is given a fresh one.
//   - PluralUpsert: elements are matched by Plural.Key. A sent element whose
//     key exists replaces that element (or, with MergeElements, is merged
//     into it); one without a key is appended and, with a KeyGen, given a
//     fresh key; one whose key does not exist is NotFound, naming the plural
//     and the key. The cost is linear in the plural's length.
//
// Replace: the document sent takes the place of the stored one (or of the
// subtree at Request.Path). What is not sent is removed — or set to null,
// plurals to [], when the schema's Omitted is OmitNull — except fields a
// replace may not drop: Keep fields, read-only (server-owned) fields,
// set-once fields, verified flags and secrets. Plurals with a KeyGen get
// fresh keys for every element, numbered past the keys they replace. The
// change list names everything the replace removed.
//
// Patch (RFC 6902): the operations in Request.Ops, all or nothing; a
// failing test operation is Conflict.
//
// # Key selectors
//
// Request.Path and the path and from of Patch operations may name a plural
// element by its key instead of its index: "/statuses/[id=5253]" is the
// element of /statuses whose id is 5253, "/statuses/[id=5253]/status" its
// status. The syntax, escaping and matching are merge's (see the merge
// package, Key selectors): RFC 6901 escaping first ("/" in a key is "~1",
// "~" is "~0"); then "[", the key member, "=", the key, "]", where the key
// runs from the first "=" to the final "]" and needs no further escaping.
// Keys compare in key form: a key spelling a JSON number matches a numeric
// key of the same value (5253, 5253.0 and the string "5253" are one key),
// any other key matches a string key with exactly its text. The first
// matching element is selected.
//
// A selector is allowed only on a plural with a declared Plural.Key, and
// only by that member; anything else is Malformed (RuleSelector) before
// any record is read, and so is a path token that starts with "[" but is
// not a well-formed selector. For rules and grants the selected element is
// an element like any other: "/statuses/*/status" governs
// "/statuses/[id=5253]/status", and a grant path covers a selector below
// it. Selectors are resolved inside the store transaction, against the
// document the change applies to, so concurrent requests cannot make a
// selector land on the wrong element and need no retry. A key no element
// carries is NotFound naming the plural and the key. In Patch each
// operation resolves against the document the operations before it left,
// and a selector stands for the element's index at that moment (so "add"
// at a selector inserts before the element).
//
// What a path selects by cannot change through it: a Merge or Replace
// that would change or drop the selected element's key is Invalid
// (RuleImmutable). A Replace at a selected element keeps the element's
// stored key when the value sent leaves it out.
//
// In every mode the stored document is never modified in place: the new
// document shares every untouched subtree with the old one and copies only
// the containers along the changed paths.
//
// # Checks, in order
//
// Before any record is read: the client's grant (Write, and Paths for every
// written path), limits (depth, string length, members, plural length),
// unknown attributes (Schema.Unknown: Reject, Allow, Drop; an object whose
// rule declares members below it is closed, and with Schema.ClosedObjects
// every object rule is, at every depth), read-only fields and verified
// flags (Immutable), normalization (email, E.164 phone numbers with a
// default region), link templates, and secrets (complexity, hashing).
// Then, inside the store's transaction, on the change list: preconditions
// (Expect → Conflict), set-once fields (Immutable), JSON types and validator
// tags of every written value and of the values below it, required fields,
// verified values a change would remove (Confirm.KeepVerified: a verified
// value may be replaced, not removed; rule "verified"), locally unique
// plural members, plural length after the change, and
// finally unique keys, which the store enforces atomically (NotUnique,
// naming the field and whether the holder is active or inactive).
// Invalid lists every failing field, not just the first: values the input
// checks refuse are left out while the record checks run, and both lists
// come back in one error. Forbidden, TooLarge and Immutable are graver and
// are answered first, before the record is read.
//
// Confirm, Resend and Cancel need Write and the challenge's path inside
// the grant's Paths; Create needs Create, Delete needs Delete; every call
// on a record needs the record inside the grant's Subject and Tenants.
// Asking for a code back (Delivery ReturnCode) needs ReturnCode. Reads
// made for a client pass AsClient: any grant may read, within its Subject
// and Tenants. A read without AsClient is the calling code's own and
// checks no grant.
//
// # Tenants
//
// A Schema with a Tenant makes every record belong to the tenant named by
// a field of its document (an organisation, a customer; Tenancy.Path),
// set when the record is created and never changed. The engine then keeps
// tenants apart; the store needs nothing for it:
//
//   - Uniqueness. A Unique field is unique within the record's tenant
//     (Field.UniqueScope ScopeTenant, the default), or among all records
//     (ScopeGlobal, or any field of a tenant listed in Tenancy.Global).
//     The engine indexes a per-tenant value under a key that carries the
//     tenant, so two tenants each hold "minnie" without a clash; errors,
//     views and Rekey name keys as clients do, without the tenant.
//   - Grants. A Grant with Tenants reaches only those tenants' records. To
//     it every other record does not exist: Get, History, Apply, Confirm,
//     Resend, Reset, Cancel and Delete answer exactly the NotFound of a
//     missing record (checked inside the store transaction, and before any
//     quota is spent or secret compared), List and Count leave such
//     records out, and Create in another tenant is Forbidden. A NotUnique
//     it meets does not name the holding record (Error.Holder has no
//     HolderID), since the holder of a global value may be another
//     tenant's; that a global value is taken is inherent to its being
//     global, and per-tenant values never clash across tenants.
//   - Lookups. A key unique per tenant is looked up within a tenant:
//     Locator.In names it, or the grant is limited to exactly one. Without
//     either the lookup is Malformed (RuleTenant). Locator.In and
//     ListRequest.Tenant also narrow any grant to one tenant.
//
// A type without Tenant has one tenant, as before; a grant limited to
// tenants is Forbidden on it. Turning tenants on for stored records takes
// one Rekey, which moves their keys under their tenants.
//
// A Self grant is for users' own tokens issued at run time (a login):
// the calling code checks the token and names its user in
// Request.Subject, and the grant then reaches that record only. Every
// other call under a Self grant, reads included, is Forbidden.
//
// # Confirmable fields
//
// A Field with Confirm is verified by a code. Under Hold a changed value is
// taken back out of the document and waits in a verify.Challenge; the old
// value stays established until Confirm applies the new one (checking its
// uniqueness again). Under ApplyUnverified the value is written at once and
// the verified flag (Confirm.VerifiedPath) cleared until Confirm sets it.
// Per request and path, Delivery chooses what happens to the code: Send
// (through the Dispatcher, after the commit, optionally with a link
// rendered from a template), ReturnCode (in the Result, nothing sent), or
// AlreadyVerified (no code; only for grants with AssertVerified). A newer
// change to the same path supersedes the open challenge; sending the value
// that already waits issues nothing new. Codes come from crypto/rand, are
// stored only as keyed hashes, compared in constant time, expire, lock the
// challenge after MaxAttempts wrong tries, and are rate limited by a
// cooldown and a maximum per window — throttled codes are reported, never
// silently dropped, and the send history follows the path across
// superseding changes.
//
// A confirmable field may be one element's member of a plural, named by an
// element selector in its Fields key: "/emails/[type=work]/value" (the
// first email whose type is "work") or "/phones/[primary=true]/value". Its
// Field carries Confirm only; the member's own rule ("/emails/*/value")
// checks the value. The challenge keeps the selector path, so a held value
// follows its element wherever a change moves it, and Confirm writes it
// into the element the selector names then.
//
// # Record state
//
// Schema.StateFrom binds the record's state (Active, Inactive) to a
// boolean field: the update that changes the field changes the state in
// the same store write, for clients whose Grant has State, and its event
// has kind EventActivate or EventDeactivate.
//
// # Record times
//
// Schema.Timestamps writes the record's created and updated times
// (storage.Record.Created, Updated) into its document, at read-only string
// fields, so that clients filter and sort on them through List like on
// any date-time field: {"created": "/meta/created", "updated":
// "/meta/lastModified"}. The times are written in TimestampLayout (UTC,
// nine fraction digits: the stores' precision, so a written time is the
// record's instant exactly, and one width, so the strings sort as the
// instants). Created is written at create; updated with every write the
// engine commits (Apply, Confirm, Cancel, Resend, Reset, Rekey), in the
// same store write and listed in its change list and event — never by a
// request that changes nothing, which stays Unchanged. Only the engine
// writes them: each field, and every object above it, must be declared
// read-only, so a client that writes, replaces or removes one is
// Immutable, and a Replace carries them over. A record stored before its
// schema had Timestamps gets both at its next write.
//
// # Results and errors
//
// Every call that changes a record returns a Result: Modified or Unchanged,
// VerificationDispatched, the change list (secret and write-only values
// redacted), the challenges opened or touched, the version and times. A
// request that changes nothing writes nothing: no version bump, no event.
// A request that fails changes nothing at all. Errors are *Error values
// with a Code; ErrorCode returns the code of any error (Internal for
// errors of unknown origin, whose details never reach a client).
//
// # Secrets
//
// A Field with Secret holds a credential. Its plain value is checked
// against the complexity rule and hashed (bcrypt or argon2id); accepted
// pre-hashed formats are checked for format and cost. Hashes live in
// storage.Record.Secrets, never in the document, and no read, result,
// event, log line or error carries a secret or a hash.
//
// A Secret with Reset takes reset codes ("forgot password"): Engine.Reset
// issues one (sent to the address at Reset.To, or returned), and an update
// whose SecretValue carries it as Code sets the new value without the
// current one. Reset codes are verification codes in every rule above
// (hashed, compared in constant time, expiring, locked after MaxAttempts
// wrong tries, rate limited); a wrong one fails the update and is counted,
// the right one is used up, and a secret set any other way voids it.
//
// # Identifiers and hostile text
//
// Every string and member name written, and every id, actor, client and
// key a request names, is refused before any store sees it when it holds
// NUL, U+FFFD (what a decoder leaves of invalid UTF-8 or of an unpaired
// surrogate escape such as "\ud800") or invalid UTF-8: Invalid with rule
// "encoding" for document values, Malformed for the rest. So memory,
// SQLite and PostgreSQL give one answer to one input.
//
// A Field with an Identifier (package ident) goes through a profile after
// Normalize and before validation: PRECIS usernames (RFC 8265, case-mapped
// or case-preserved), email addresses (local part free of invisible and
// bidi controls, domain compared as IDNA 2008 A-labels), or free text
// (NFC, no controls or bidi overrides). The value is stored in the
// profile's prepared form; a refused value is Invalid with rule
// "identifier". A Unique field is indexed under the profile's key, or its
// UTS #39 confusable skeleton when Skeleton is set, so "Minnie",
// "ｍinnie" and "mіnnie" (Cyrillic і) clash with "minnie"; lookups by
// key use the same key. Fields without an Identifier (the default) keep
// comparing values as written. Changing a field's profile changes the keys
// its stored records should have; records written before keep their old
// keys until their field is written again.
//
// # Listing and indexes
//
// List and Count filter and sort on the fields whose rule has Query set
// (Queryable), never on secrets or write-only fields; strings compare
// case-insensitively unless the field is CaseExact. An eq on a field is an
// index lookup, not a scan of the type, when the store can start from an
// index: a case-exact Unique field through its unique key, and an Indexed
// field — or a Unique one compared case-insensitively — through the index
// terms the engine stores with every record (storage.Record.Terms: each
// value at the field's path, folded as the field compares). That holds for
// an eq at the top of the filter or an operand of a top-level and, and for
// one on a member of a plural's elements inside any ("/emails/*/value").
// Indexing costs one index row per value on every write. Records stored
// before a field became Indexed get their terms when next written, or all
// at once from Rekey. The engine starts from the terms only once every
// record of the type holds them — the type was empty when it was first
// used, or Rekey ran; the store's Meta remembers it for the indexed
// fields of the time — and answers by a scan until then, so a term lookup
// never misses a record. Every process writing a type must index the
// same fields.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Each update runs inside one
// Store.Update, which serializes read-modify-write on a record; codes are
// dispatched and observers notified only after the commit.
package update
