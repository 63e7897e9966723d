// Package janrain provides the Janrain / Akamai Identity Cloud Capture
// entity API over the update engine: a profile reproducing Capture's
// semantics, pure decode and encode functions, and an http.Handler on
// Capture's own paths, so the vendor's documented curl commands work
// unchanged against it.
//
// # Endpoints
//
// All take an application/x-www-form-urlencoded POST body and HTTP Basic
// client credentials:
//
//	POST /entity          read a record, or the attribute_name subtree
//	POST /entity.create   create a record: {"stat":"ok","id":N,"uuid":"..."}
//	POST /entity.update   merge value into the record or attribute_name
//	POST /entity.replace  replace the record or attribute_name with value
//	POST /entity.delete   delete the record, one attribute, or one plural element
//
// A record is located by exactly one of uuid, id, or key_attribute with
// key_value (a JSON value: strings in double quotes). type_name "user" is
// the store type "janrain.user". attribute_name is "displayName",
// "/primaryAddress/city", "/statuses#5253" (a plural element by id) or
// "/statuses#5253/status". value may also be sent under its older name
// attributes. created and lastUpdated are preconditions (330 on
// mismatch); include_record=true returns the record or subtree in result.
//
// # Wiring
//
// The handler builds its engine from the profile, over a store:
//
//	h, err := janrain.New(janrain.DemoConfig(), store, update.WithDispatcher(d))
//	err = janrain.SeedDemo(ctx, h.Engine())
//
// Every write is one engine call (Call.Request): a plural element named
// in attribute_name becomes a key selector ("/statuses/[id=5253]") and
// created and lastUpdated become the request's Expect, so the engine finds
// the element and checks the timestamps inside the transaction that
// writes. The adapter reads no record before a write and retries none.
//
// # Our choices where the vendor's public record is silent
//
//   - attribute_name: "/plural#ID" selects a plural element, "/a/b" a nested
//     object attribute, "/plural#ID/field" a field inside an element.
//   - Plural element ids are integers unique within their plural (the
//     engine's integer element keys, KeyGenInt), not across the whole store.
//   - Example 3 of the vendor's entity.update page sends value='{"Gary
//     Jackson"}', which is not JSON: it gets error 200 invalid_argument
//     naming value, with a description showing the intended form
//     value='"Gary Jackson"'; that form works.
//   - Basic credentials with surplus '=' padding are accepted (the vendor's
//     example 1 ends in "==").
//   - Statuses: 400 for Capture errors, 401 (with WWW-Authenticate) for
//     missing or wrong credentials, 403 for a permission class that may not
//     call the operation, 405 for a method other than POST, 500 for
//     unexpected errors. Bad credentials carry code 403
//     client_permission_error, since the vendor table lists no other code
//     for them.
//   - type_name is required (100 missing_argument when absent).
//   - Reads are allowed to owner, direct_access and direct_access_read
//     clients; writes to owner and direct_access; access_issuer and
//     login_client call none of these operations (403).
//   - entity.create draws a random id in [2^20, 2^31) from crypto/rand and
//     draws again when the id is taken; uuids are random (version 4).
//     There is no counter: the store has no listing, and a counter record
//     would serialize every create.
//   - The uuid is kept as the record's external key "ext:uuid", not in the
//     document, so clients can find records by it but never write it.
//   - entity.delete of an attribute sets it to null (a plural to []), of a
//     plural element removes the element; deleting an absent attribute
//     succeeds without a change.
//   - Email is not confirmable in the default profile (like Capture), and
//     emailVerified is an ordinary dateTime attribute.
//   - Writes to id, uuid, created or lastUpdated are 234 reserved_attribute;
//     sending id or uuid to entity.create is 320 id_in_new_record.
//   - Concurrent writes to one record are serialized by the store; none is
//     refused because another landed first. 330 timestamp_mismatch is
//     answered only for a created or lastUpdated the call sent, and says
//     which one, with the record's value and the one sent, both in
//     Capture's format.
//   - Every operation takes only its own parameters: any other, in the
//     form or in the query string, is 200 invalid_argument naming it, and
//     nothing is read or changed. A misspelt attribute_name therefore never
//     turns an attribute delete into a record delete.
//   - A plural holds at most Config.MaxPlural elements (default 5000).
//   - No rate limiting: 510 api_limit_error (status 429) is mapped from the
//     engine's Throttled, but nothing the entity operations do produces it.
//   - Objects are closed: a member the schema does not declare, at any
//     depth, is 223 unknown_attribute, also inside a declared object or a
//     plural element.
//   - A repeated parameter, or value together with attributes, is 201
//     duplicate_argument; entity.delete with a blank attribute_name is 200
//     (it never widens to deleting the record).
package janrain
