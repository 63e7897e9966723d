package janrain

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/ident"
)

// EntityType is the store type of Capture's "user" entity type. Capture type
// names are prefixed with "janrain." in the store because the adapters of
// several vendors may share one store.
const EntityType = "janrain.user"

// uuidKey is the external key under which a record's uuid is indexed. The
// uuid lives outside the document because it is server-owned: clients
// find records by it but never write it.
const uuidKey = "ext:uuid"

// idCounter is the store counter entity.create draws record ids from.
const idCounter = "janrain.user.id"

// systemClient is the engine client the adapter itself acts as when it
// seeds records. It contains ':' so no Basic-authenticated client can ever
// carry the same id.
const systemClient = "janrain:system"

// Tags of the custom validators Options registers.
const (
	tagPrintable = "janrain_printable" // Capture's unicode-printable
	tagDate      = "janrain_date"      // a Capture date: 2006-01-02
	tagDateTime  = "janrain_datetime"  // a Capture dateTime
)

// Capture constraints as validator tags; validator/v10 has the first four
// built in.
const (
	ruleAlphabetic     = "alpha"        // alphabetic: ASCII letters
	ruleAlphanumeric   = "alphanum"     // alphanumeric: ASCII letters and digits
	ruleUnicodeLetters = "alphaunicode" // unicode-letters
	ruleEmail          = "email"        // email-address
	ruleLength         = "max"          // length, in characters
)

// captureTypes maps Capture's type_name to the store type.
func captureTypes() map[string]string { return map[string]string{"user": EntityType} }

// Policy returns the default profile: Capture's semantics for the "user"
// entity type and one grant per configured client. Owner and direct_access
// clients may create, write and delete; every other class gets a grant
// without any write right, so the engine refuses them even if a caller
// bypasses the handler's own class check.
//
// The schema (ours, a demo of every Capture constraint): email
// (email-address, unique, required, length 256), givenName, familyName,
// displayName (unicode-printable, length 1000/1000/255), middleName
// (unicode-letters), gender (alphabetic), username (alphanumeric, unique),
// birthday (date), emailVerified (dateTime), primaryAddress {address1,
// city, zip (alphanumeric), country (alphabetic)}, and the plurals
// statuses [{id, status (alphabetic), statusCreated (dateTime)}] and
// profiles [{id, domain, identifier (locally-unique)}]. The reserved
// attributes id, uuid, created and lastUpdated are read-only.
//
// Updates merge; plurals append elements without an id (giving them fresh
// integer ids) and replace the element whose id is sent; a replace nulls
// the attributes it was not sent and gives every plural element a fresh id.
func Policy(cfg Config) *update.Policy {
	str := func(rules string) *update.Field { return &update.Field{Type: update.TypeString, Rules: rules} }
	plural := func(local ...string) *update.Field {
		return &update.Field{Type: update.TypeArray, Plural: &update.Plural{
			Mode: update.PluralUpsert, Key: "id", KeyGen: update.KeyGenInt, LocallyUnique: local,
		}}
	}
	readOnly := &update.Field{Mutability: update.ReadOnly}
	fields := map[string]*update.Field{
		// The record's sequential id is also kept in the document, as a
		// number, so that filters and sort_on compare it numerically.
		"/id":   {Type: update.TypeInteger, Mutability: update.ReadOnly, Keep: true},
		"/uuid": readOnly, "/created": readOnly, "/lastUpdated": readOnly,

		"/email": {Type: update.TypeString, Rules: "email,max=256", Required: true, Unique: true,
			Normalize: update.NormalizeEmail, Identifier: &ident.Spec{Profile: ident.Email, Skeleton: true}},
		"/givenName":   str(tagPrintable + ",max=1000"),
		"/familyName":  str(tagPrintable + ",max=1000"),
		"/middleName":  str(ruleUnicodeLetters + ",max=1000"),
		"/displayName": str(tagPrintable + ",max=255"),
		"/gender":      str(ruleAlphabetic + ",max=100"),
		"/username": {Type: update.TypeString, Rules: ruleAlphanumeric + ",max=50", Unique: true,
			Identifier: &ident.Spec{Profile: ident.UsernameCaseMapped, Skeleton: true}},
		"/birthday":      str(tagDate),
		"/emailVerified": str(tagDateTime),

		"/primaryAddress":          {Type: update.TypeObject},
		"/primaryAddress/address1": str(tagPrintable + ",max=1000"),
		"/primaryAddress/city":     str(tagPrintable + ",max=1000"),
		"/primaryAddress/zip":      str(ruleAlphanumeric + ",max=20"),
		"/primaryAddress/country":  str(ruleAlphabetic + ",max=100"),

		"/statuses":                 plural(),
		"/statuses/*":               {Type: update.TypeObject},
		"/statuses/*/id":            {Type: update.TypeInteger},
		"/statuses/*/status":        str(ruleAlphabetic + ",max=64"),
		"/statuses/*/statusCreated": str(tagDateTime),

		"/profiles":              plural("identifier"),
		"/profiles/*":            {Type: update.TypeObject},
		"/profiles/*/id":         {Type: update.TypeInteger},
		"/profiles/*/domain":     str(tagPrintable + ",max=255"),
		"/profiles/*/identifier": str(tagPrintable + ",max=1000"),
	}
	// Attributes clients may filter and sort on (entity.find and
	// entity.count): every plain attribute but the dateTime ones, whose
	// Capture timestamps do not order as strings.
	for _, f := range fields {
		switch {
		case f.Type == update.TypeString && f.Rules != tagDateTime, f.Type == update.TypeInteger:
			f.Query = &update.Queryable{}
		}
	}
	p := &update.Policy{
		Types: map[string]*update.Schema{EntityType: {
			Fields:  fields,
			Unknown: update.Reject,
			// Capture's objects are closed at every depth.
			ClosedObjects: true,
			Omitted:       update.OmitNull,
			Limits:        update.Limits{MaxDepth: cfg.withDefaults().MaxDepth, MaxPlural: cfg.withDefaults().MaxPlural},
		}},
		Grants: map[string]update.Grant{systemClient: {Write: true, Create: true}},
	}
	for _, c := range cfg.Clients {
		if c.Class.canWrite() {
			p.Grants[c.ID] = update.Grant{Write: true, Create: true, Delete: true}
		} else {
			p.Grants[c.ID] = update.Grant{}
		}
	}
	return p
}

// engineOptions returns the engine options the profile needs: the
// deployment's clock, the handler's logger, sequential record ids from
// the store's counter and the validators of Capture
// constraints that validator/v10 lacks (unicode-printable, date,
// dateTime), without which the engine rejects the policy's rule tags.
func engineOptions(cfg Config) []update.Option {
	return []update.Option{
		update.WithClock(cfg.Now), update.WithLogger(cfg.Logger),
		update.WithIDCounter(EntityType, update.IDCounter{Counter: idCounter, Field: "id"}),
		update.WithValidator(tagPrintable, func(fl validator.FieldLevel) bool {
			return isPrintable(fl.Field().String())
		}),
		update.WithValidator(tagDate, func(fl validator.FieldLevel) bool {
			_, err := time.Parse(time.DateOnly, fl.Field().String())
			return err == nil
		}),
		update.WithValidator(tagDateTime, func(fl validator.FieldLevel) bool {
			_, err := ParseTime(fl.Field().String())
			return err == nil
		}),
	}
}

// isPrintable reports whether every character of s is a printable unicode
// character (letters, marks, numbers, punctuation, symbols, spaces).
func isPrintable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// jsonInt returns n as a document number.
func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// CreateRequest returns the engine request entity.create makes for a new
// record of type "user" with the attributes doc, as client: a fresh
// uuid (version 4) as the record's ext:uuid key. It names no record id,
// so the engine draws one from the store's counter. Code that creates
// records without a request, such as an importer, builds them with it so
// they are the records entity.create would have written.
func CreateRequest(client string, doc map[string]any) update.CreateRequest {
	return update.CreateRequest{Type: EntityType, Client: client, Actor: client, Doc: doc, ExternalKeys: uuidKeys(uuid.NewString())}
}

// uuidKeys returns the external keys of a record with the uuid.
func uuidKeys(uuid string) []storage.Key { return []storage.Key{{Name: uuidKey, Value: uuid}} }
