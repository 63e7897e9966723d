// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) Users and Groups
// over the update engine.
//
// # Endpoints
//
// Below Config.Prefix ("/scim/v2" in the shim server):
//
//	GET    /Users, /Groups              query: filter, sortBy, sortOrder, startIndex, count, attributes, excludedAttributes
//	POST   /Users, /Groups              create (201, Location, ETag)
//	POST   /Users/.search, /Groups/.search   the same query in a SearchRequest body
//	POST   /.search                     the query across Users and Groups (RFC 7644 section 3.4.3)
//	GET    /Users/{id}, /Groups/{id}    read (If-None-Match: 304)
//	PUT    /Users/{id}, /Groups/{id}    replace (If-Match: 412 on another version)
//	PATCH  /Users/{id}, /Groups/{id}    modify (RFC 7644 section 3.5.2; If-Match as for PUT)
//	DELETE /Users/{id}, /Groups/{id}    delete (If-Match as for PUT; 204)
//	GET    /Me                          the User the token names (RFC 7644 section 3.11)
//	POST   /Bulk                        operations with bulkId references (RFC 7644 section 3.7)
//	GET    /ServiceProviderConfig, /Schemas[/{id}], /ResourceTypes[/{id}]
//	POST   /Users/{id}/.confirm         a verification code (with Config.ConfirmEmail; ours)
//
// A search at the root (POST /.search) answers the resources of both
// types, Users before Groups, paged across them. Its filter and
// attributes are decoded for each type: a type that does not define an
// attribute the filter names has no resource that matches it and is left
// out, and attributes a type lacks are not part of its projection; a
// filter or attribute no type defines is 400 as on a resource endpoint.
// sortBy is 400 invalidValue there, since Users and Groups share no
// attribute the store could order them by. GET with a filter at the root
// is not offered (404).
//
// # Bulk
//
// A BulkRequest is checked whole before any operation runs: at most
// Config.MaxBulkOperations operations (bulk.maxOperations; beyond: 413),
// the body within Config.MaxBodyBytes (bulk.maxPayloadSize; beyond: 413),
// every POST with a bulkId of its own, every "bulkId:x" reference naming
// a POST of the request, and no cycle of references (409, nothing run).
// Operations then run in an order in which each POST precedes the
// operations referring to it, each through the endpoint it names with the
// caller's token (so each is exactly that request, with its own
// atomicity: a Bulk is not one transaction, as RFC 7644 section 3.7 has
// it). An operation whose referenced POST failed answers 409; after
// failOnErrors failures the remaining operations are neither run nor
// answered.
//
// # Semantics
//
// The attribute definitions of RFC 7643 (schema.go) are the one source of
// both the engine's policy (Policy) and /Schemas. userName is unique under
// the PRECIS case-mapped username profile with a confusable skeleton;
// password is a secret, never stored in the document or returned; id is a
// server-owned document value, so it filters and sorts like any other
// attribute. Attribute names are accepted in any case and stored in their
// declared spelling; extension attributes live under their schema's URN,
// as SCIM writes them. PUT is the engine's Replace: what is not sent is
// removed, except the password and read-only attributes.
//
// Filters parse into storage.Filter, so the store's query decides their
// semantics on every backend; a string comparison folds case unless the
// attribute is caseExact. A multi-valued attribute compares its elements:
// "emails.value eq x" and "emails[type eq \"work\" and value co \"@x\"]"
// hold when one element matches. "schemas eq URN" (RFC 7644 section
// 3.4.2.2) holds for every resource of a type when URN is the type's core
// schema, and for the resources holding an extension's attributes when it
// names the extension. meta attributes are not filterable (400
// invalidFilter): they belong to the record, not to its document. The
// examples of RFC 7644 section 3.4.2 run from
// testdata/rfc7644-3.4.2-queries.json.
//
// # PATCH
//
// A PATCH is one engine request in mode update.Modify: every operation is
// decoded into an update.Modification and the engine applies them in one
// store transaction, all or nothing, so a PATCH whose third operation
// fails leaves version, document and history as they were. Value-path
// filters ("emails[type eq \"work\"].value") become the modification's
// Where filter, which the engine evaluates against the record inside the
// transaction; the adapter never reads first. The rules of RFC 7644
// section 3.5.2 are the engine's (merge.Modify): add appends values not
// already present to a multi-valued attribute and merges into a complex
// one; replace of a complex attribute replaces the sub-attributes sent;
// a filter matching nothing is 400 noTarget for replace and add; remove
// without a path is 400 noTarget; removing a required attribute is 400
// mutability; making one value primary clears the others
// (Plural.Primary). A PATCH that changes nothing answers 200 with the
// resource at its unchanged version.
//
// # Email verification (ours)
//
// SCIM clients expect writes to apply, so by default they do. With
// Config.ConfirmEmail one email of a User is confirmable in the engine
// (update.Confirm on the element "/emails/[type=work]/value", or the
// primary email applied unverified): a changed address waits for a code
// sent to it through the engine's dispatcher, with the engine's
// guarantees (codes stored hashed, attempts counted, expiry, lock). SCIM
// defines no verification, so two things are this service's own:
//
//   - The User answer carries the extension
//     urn:idupdate:scim:schemas:extension:verification:1.0:User (declared
//     in /Schemas and /ResourceTypes when configured, read-only) with
//     "pending": one entry per change waiting, each with "attribute" (in
//     SCIM notation, `emails[type eq "work"].value`), "state" (pending,
//     locked, expired), "held" (the old address still counts) and
//     "expires". Neither the new address nor a code is shown.
//   - POST /Users/{id}/.confirm takes
//     {"schemas":["urn:idupdate:scim:api:messages:1.0:ConfirmRequest"],
//     "code":"…"} and an optional "attribute" naming the confirmable
//     one; it answers the User (200), 400 invalidValue for a wrong or
//     expired code, 409 when nothing waits or the change is locked, 403
//     without write access to the User.
//
// A User created with that email gets a code for it too; the address
// applies at once, as there is no earlier one to hold.
//
// # Compatibility rules
//
// Accepted for the provisioning clients in use, each beyond the letter of
// RFC 7644 and each tested with the vendor's documented request
// (testdata/entra-*.json, testdata/okta-*.json):
//
//   - op values in any case ("Replace", "Add"): Microsoft Entra ID.
//   - a boolean attribute given the string "True" or "False" (any case) in
//     a PATCH value: Entra ID sends active as "False".
//   - a path-less add or replace whose member names are attribute paths
//     ("name.givenName", "urn:…:enterprise:2.0:User:department"): each
//     member is applied as an operation with that path. Entra ID.
//   - a string given for a single-valued complex attribute with a value
//     sub-attribute (the enterprise manager) is {"value": string}: Entra ID.
//   - remove with a path naming a multi-valued attribute and a value list
//     removes the elements whose value equals one of those listed; the
//     other sub-attributes sent ("$ref": null) are not compared. Entra ID
//     removes group members so.
//   - sub-attributes set to null are unassigned (RFC 7643 section 2.5) and
//     left out: Entra ID sends "$ref": null.
//   - read-only attributes in a POST or PUT body are ignored (RFC 7643
//     section 2.2): Okta sends "groups": [].
//   - the same password again in a PUT is no change (no new version):
//     Okta sends the password with every PUT.
//   - deactivation is a PATCH of active (Okta: a path-less replace of
//     {"active": false}; Entra ID: "False"): active is bound to the
//     record's engine state (update.Schema.StateFrom), so the record
//     becomes Inactive, and Active again with active true. The history
//     records the update as a "deactivate" or "activate" event.
//
// # Choices the RFCs leave open (ours)
//
//   - startIndex below 1 counts as 1 and count below 0 as 0, as RFC 7644
//     section 3.4.2.4 says; a count above Config.MaxResults (announced as
//     filter.maxResults) is lowered to it. count=0 answers totalResults
//     only.
//   - A filter is bounded before it is parsed: Config.MaxFilterBytes bytes
//     and the storage query's depth (16) and term count (256). Beyond them:
//     400 invalidFilter.
//   - Unknown query parameters and repeated ones are 400 invalidValue;
//     unknown attributes in a body are 400 invalidValue (the engine's
//     Unknown rule); schemas that are not the resource's, or a missing core
//     schema, are 400 invalidSyntax.
//   - id, meta and schemas sent by a client are ignored (readOnly, RFC 7643
//     section 2.2); read-only attributes that are not (groups) are 400
//     mutability.
//   - If-Match holding none of our entity tags is 412, as no version could
//     match it. meta.version and ETag are W/"<record version>".
//   - A token without write access answers 403 on every write.
//   - Sub-attributes of multi-valued attributes keep their mutability
//     per value: a Group member's value, $ref and type are immutable
//     (RFC 7643 section 4.2), so a PATCH or PUT that changes or removes
//     one in a member kept by value is 400 mutability, while removing a
//     member and adding another is allowed, and so is setting type where
//     it was absent.
//
// # Errors
//
// Every error is RFC 7644 section 3.12's body with status as a string and
// scimType from the one table in errors.go.
package scim
