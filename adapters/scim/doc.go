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
//	GET    /Users/{id}, /Groups/{id}    read (If-None-Match: 304)
//	PUT    /Users/{id}, /Groups/{id}    replace (If-Match: 412 on another version)
//	DELETE /Users/{id}, /Groups/{id}    delete (If-Match as for PUT; 204)
//	GET    /Me                          the User the token names (RFC 7644 section 3.11)
//	GET    /ServiceProviderConfig, /Schemas[/{id}], /ResourceTypes[/{id}]
//
// Not offered, and announced so in /ServiceProviderConfig: PATCH (405) and
// /Bulk (404). The root /.search is not offered either.
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
// hold when one element matches.
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
//   - Sub-attributes of multi-valued attributes carry no mutability of
//     their own (the engine keeps mutability per attribute): Group member
//     values are readWrite within the members attribute.
//
// # Errors
//
// Every error is RFC 7644 section 3.12's body with status as a string and
// scimType from the one table in errors.go.
package scim
