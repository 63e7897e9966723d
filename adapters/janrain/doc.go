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
//	POST /entity.find     records matching filter, a page of them
//	POST /entity.count    how many records match filter
//
// A record is located by exactly one of uuid, id, or key_attribute with
// key_value (a JSON value: strings in double quotes). type_name "user" is
// the store type "janrain.user". attribute_name is "displayName",
// "/primaryAddress/city", "/statuses#5253" (a plural element by id) or
// "/statuses#5253/status". value may also be sent under its older name
// attributes. created and lastUpdated are preconditions (330 on
// mismatch); include_record=true returns the record or subtree in result.
// The entity read takes attributes, a JSON array of attribute names
// ("primaryAddress.city" reaches into an object), and returns only those.
//
// entity.find takes filter (Capture's filter language, see ParseFilter),
// sort_on, max_results, first_result, attributes, show_total_count and
// timeout, and answers {"stat":"ok","result_count":N,"results":[…]} with
// "total_count" when show_total_count=true; entity.count takes filter
// and timeout and answers {"stat":"ok","total_count":N}. The filter is
// parsed into a storage.Filter and answered by the engine's List and
// Count, so the store evaluates it (with its indexes) and every backend
// gives the same answer.
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
//   - entity.create numbers records 1, 2, 3, ... from the store's counter
//     "janrain.user.id" (update.WithIDCounter), inside the engine's
//     create, so replicas sharing a store never hand out one id twice. A
//     create that fails after drawing leaves a gap; an id already taken
//     (a record seeded with an id of its own) is passed over. The id is
//     also kept in the document as a number, for filters and sort_on.
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
//   - Rate limit: each client has a token bucket, Config.RateLimit: it
//     holds Burst calls (6000 by default, a minute's worth) and refills at Rate calls a
//     second (100, 6000 a minute, by default). The bucket is kept in the
//     store (storage.Ephemeral.Take), so replicas sharing a store share
//     it. Every authenticated call takes one, refused ones included; a
//     call finding the bucket empty is 510 api_limit_error (status 429),
//     takes nothing and does nothing, and carries a Retry-After header:
//     the whole seconds until the bucket holds a call again. The vendor
//     documents the code, not its rule nor the header: both are ours.
//   - Search: filters and sort_on may use every plain attribute (dotted
//     into objects; into a plural, statuses.status holds when some
//     element matches) except the dateTime ones (emailVerified,
//     statusCreated, created, lastUpdated), whose Capture timestamps do not
//     order as strings; those are 200 invalid_argument naming filter.
//     Strings compare case-insensitively, as Capture's case-insensitive
//     attributes do. "not" applies to the comparison or group after it;
//     "not x='a'" also holds where x is null, "x!='a'" likewise. sort_on
//     takes one attribute (more is 200); records with equal values, and
//     all records without sort_on, are ordered by record id as text.
//     first_result counts from 0. Bounds: filter MaxFilterBytes bytes,
//     MaxFilterDepth levels of parentheses and not, MaxFilterTerms
//     comparisons; max_results 1 to MaxResults (default 100);
//     first_result 0 to MaxFirstResult; timeout 1 to 60 seconds. The
//     removed contains operator is 485 invalid_filter_operator (the
//     vendor documents the code, not its name). Only POST is served.
//   - Objects are closed: a member the schema does not declare, at any
//     depth, is 223 unknown_attribute, also inside a declared object or a
//     plural element.
//   - A repeated parameter, or value together with attributes, is 201
//     duplicate_argument; entity.delete with a blank attribute_name is 200
//     (it never widens to deleting the record).
package janrain
