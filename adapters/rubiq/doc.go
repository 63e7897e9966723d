// Package rubiq provides the Rubiq (dialogportal) UserEntity API over the
// update engine: its default profile, pure decode and encode functions, and
// an http.Handler on Rubiq's own paths.
//
// # Endpoints
//
// Endpoint 1003, update account data, merges the body into the entity: only
// the members sent change.
//
//	PUT /userentity/dp-keyid/{dpentity-keyid}/data[/{contract-id}]
//	PUT /userentity/ext-key/{ext-key}/{ext-type}/data[/{contract-id}]
//
// Endpoint 1002, get account data, reads the entity on the same paths:
// the fields of the contract (the path's, else the app's default) that
// hold a value, and the entity's dp-keyid.
//
//	GET /userentity/dp-keyid/{dpentity-keyid}/data[/{contract-id}]
//	GET /userentity/ext-key/{ext-key}/{ext-type}/data[/{contract-id}]
//
//	{"city":"Oslo","dpKeyid":1001,"email":"ola@example.com","mobile":"+4790000001","name":"Ola Nordmann"}
//
// It is the engine's Get on behalf of the app (update.AsClient), so the
// app's grant decides what it may read, and what it reads is redacted as
// every engine read is; a value waiting for verification is not shown,
// as it is not the account's yet.
//
// Endpoint 2004, verify account, completes a change held for verification.
//
//	POST /entity/id/{entity-id}/verify              {"code":"123456"}
//	POST /entity/ext-key/{ext-key}/{ext-type}/verify {"code":"123456"}
//
// The dp-keyid and entity-id are the engine's record id; an external key is
// the engine key "ext:<ext-type>" given when the entity was created (see
// ExternalKey). Both forms reach the same entity, so a change made through
// one form is verified through either.
//
// Every answer but 204 and a successful read has the body
//
//	{"status":{"statusCode":"200.1","statusText":"A verification request has been dispatched"}}
//
// whose statusCode carries the sub-code; the HTTP status is its integer
// part. The statuses are those of the vendor's tables for 1003 (200,
// 200.1–200.3, 400, 400.2–400.5, 404.1, 404.2, 412), 1002 (200, 404.1,
// 404.2) and 2004 (204, 400.4, 400.5, 403, 404.1, 404.2, 501.2, 501.3),
// and a few of our own listed below; all of them live in one table in
// errors.go.
//
// # Envelope mode
//
// An app whose App.Format is FormatEnvelope gets every answer in Rubiq's
// envelope, the status code a JSON number:
//
//	{"status":{"statusCode":200,"statusText":"OK"},"data":{"dpKeyid":1001,"name":"Ola Nordmann"}}
//	{"status":{"statusCode":200.1,"statusText":"A verification request has been dispatched"},"data":null}
//	{"status":{"statusCode":400,"statusText":"Request is valid but data validation failed"},"data":{"errors":[...]}}
//
// The statuses, texts and HTTP statuses are the plain mode's, with one
// exception (ours): a 2004 success is written HTTP 200 with statusCode
// 204, as a 204 answer can carry no envelope. data holds a read's account,
// a refusal's errors, and null otherwise. The format is the app's, so an
// answer to a request that names no known app (401) is plain; one to a
// known app's token is in its format even when the request is refused
// before the app is otherwise looked at (405, unknown path).
//
// # Verification
//
// Email and mobile are verified fields in Hold mode: a changed value waits
// in a challenge and the stored value stays until 2004 confirms the code.
// A new value for the same field replaces the one waiting; sending the
// stored value again withdraws it; sending the waiting value again sends
// no second code (200.3, still in progress). Sends are limited per entity
// and field, across successive values: one per Config.Cooldown (two
// minutes, as Rubiq says) and Config.MaxSends per Config.Window. A pending
// value counts for uniqueness, so a number waiting for its code is already
// taken (400.4), unless Config.ReleasePending is set; then another entity
// may take it meanwhile and 2004 answers 400.4 or 400.5.
//
// # Our choices
//
// Where the vendor's record is silent, this package chooses (each choice
// is marked ours in the vendor facts):
//
//   - Apps authenticate with "Authorization: Bearer <app token>" on both
//     endpoints; a missing or unknown token is 401 (statusCode "401").
//   - A member outside the request's contract is 400 with the member named
//     in "errors" (rule "contract"); every such member is listed and
//     nothing changes. A contract id the app does not have is 400 the same
//     way, with no field.
//   - The top-level member "id" (IgnoredMember) is ignored whatever its
//     value: it is the entity's identifier, which the path already names
//     and no app may change. The seed document's example body sends it
//     beside the contract's name and email, which are applied.
//   - null removes name or city; email and mobile can be changed but not
//     removed through 1003, so null for them is 400.
//   - 400.3 answers any mobile value that is not a phone number in E.164
//     form after normalization with Config.Region, including a value that
//     is not a string.
//   - When one call opens several verifications, the sub-code is that of
//     the one most in need of attention: 200.2 before 200.3 before 200.1.
//     A dispatch that failed counts as "still being processed" (200.3): the
//     value waits and a later change can send again.
//   - An email address held by another entity, active or inactive, is
//     400.2, on 1003 and, since the vendor's 2004 table has no code for it,
//     on 2004 too.
//   - A malformed body (not JSON, not an object, trailing data, not UTF-8),
//     one over Config.MaxBodyBytes or nested deeper than Config.MaxDepth is
//     400 with its own statusText; the vendor has no code for these.
//   - A path value no entity can have (a dp-keyid of other than letters,
//     digits, - and _, an ext-key with a slash, for instance from an
//     encoded %2F) is 404.1 or 404.2 without a lookup.
//   - 2004 needs the same bearer token and update permission as 1003; an
//     app without it gets 412 before any code is tried.
//   - No endpoint takes query parameters: one sent is 400 naming it
//     in errors[].field with rule "unknown", before anything is read.
//   - A verify body other than exactly {"code":"<1-64 characters>"} is 400
//     (a member besides code named as above) and costs no attempt. A wrong code is 403; after Config.MaxAttempts
//     wrong codes the verification is locked and every later code, the
//     right one too, is 403 with a text saying so; an expired code is
//     501.3, as no valid code is assigned any more.
//   - A known path with another method is 405 (statusCode "405") with an
//     Allow header; an unknown path under /userentity/, /entity/id/ or
//     /entity/ext-key/ is 404 (statusCode "404").
//   - A concurrent change that the engine reports as a conflict is 409; an
//     internal error is 500 and its cause is only logged.
//   - A call refused by a quota of the engine (update.WithQuotas: 2004
//     attempts per app and per entity) is 429 with statusCode "429". The
//     vendor's tables have no code for it, and the limiter's 200.2 and
//     200.3 say "verification not dispatched", which is no answer to a
//     code that was not even tried.
//   - The read (1002) takes no body and no query parameter: either is 400
//     and nothing is read. Its dp-keyid is a JSON number when the id is a
//     decimal number of at most 15 digits without a leading zero, as
//     Rubiq's own ids are, and a string otherwise. An app configured for a
//     specific external key gets no extra member for it: App has no such
//     setting.
//   - A read refused by the app's grant (a grant limited to some entities)
//     is 412 with its own text; the vendor's 1002 table has no code for it.
package rubiq
