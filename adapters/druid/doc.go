// Package druid provides DRUID's registration API (dru-id) over the update
// engine: the challenge-code token, the replacement user update with
// confirmable email and phone number, its partial (PATCH), bulk (JSONL)
// and non-administrative (a user's own token) variants, and the confirm
// and resend calls.
//
// # Endpoints
//
//	POST  /oauth2/token                        challenge-code grant (PKCE plain or S256)
//	POST  /activityid/v1/user/update           replacement update: ?code_verifier=... with a
//	                                           challenge-code token, or a user's own access token
//	PATCH /activityid/v1/user/update           partial update (ours: the method and path), either token
//	POST  /activityid/v1/user/bulk             JSONL upload of partial updates, ?code_verifier=... (ours)
//	POST  /activityid/v1/user/confirm          confirm a pending email or phone number
//	POST  /activityid/v1/notification/request  send a new confirmation code
//
// Any other method on these paths is answered 405 in DRUID's error body,
// with Allow naming the methods served.
// Errors are {"result":{"status":N,"errors":[{"message":"..."}]}} with the
// HTTP status N, from the one table in errors.go.
//
// # Semantics
//
// The token endpoint takes grant_type
// urn:druid:oauth2:grant-type:code_challenge with client_id, client_secret,
// code_challenge and code_challenge_method and issues an opaque token that
// lives Config.TokenTTL (60 s) and is bound to the challenge. The update
// checks the token, its scope "update", its expiry, and that code_verifier
// answers the challenge (RFC 7636); the first presentation spends the token
// whatever its outcome, and a verifier once used is refused for the
// token lifetime. Tokens and used verifiers are kept in the store
// (storage.Ephemeral), hashed, so every process on one store honours a
// token any of them issued, and one use anywhere spends it; a client may
// be issued Config.TokenQuota tokens (6000 a minute by default), counted
// across processes, beyond which it is answered 429 and others are not.
//
// A token (ours) is the client id and 32 random bytes, each in unpadded
// base64url, joined by a dot: the update is checked as that client's
// before the store has looked at the token, and when the tokens live in
// the records' store (Config.Tokens nil) the token is spent and the
// verifier claimed inside the update's own transaction
// (update.Request.Spend, storage.Spender), one store call for both. The
// client id is not a secret, and the stored hash covers it: a token whose
// id was changed is unknown. A request refused before the engine sees it
// (its body, its From header, its actor) spends the token first, so the
// answer is the one a token spent before the update would give: a token
// that is unknown, spent or expired, or a verifier that does not match,
// is answered before anything else. Tokens without the id (issued by
// earlier versions) and tokens kept in another store (Config.Tokens) are
// spent before the update.
//
// An update replaces the user: ids, datas, assertions and addresses not
// sent are removed; the password hash, the record id, its creation time and
// the confirmed flags are kept. Email and phone_number are confirmable
// under the engine's Hold mode: a changed value waits for its code while
// the old value stays established, and the answer lists it in
// result.pending. An update that changes nothing is 304 with no body.
//
// # Partial update (PATCH)
//
// The body is the update's activity; its object names only what changes,
// and is merged into the user (RFC 7386): a member sent as null removes it
// (an id, datas or assertions whole or one of their members, addresses),
// datas and assertions merge member by member, addresses are replaced
// whole. A confirmed email or phone number can be replaced, never removed:
// removing one is 400 "confirmed id cannot be removed, only replaced",
// naming the id. A replaced email or phone number is held under the same
// rules as the replacement update's (the old value stays established until
// the code sent to the new one is confirmed; result.pending names it). The
// password can be replaced, not removed. Nothing sent that changes nothing
// is 304.
//
// # Bulk upload (ours)
//
// POST /activityid/v1/user/bulk?code_verifier=... with a challenge-code
// token, From, and Content-Type application/x-ndjson (or
// application/jsonl): one partial-update activity per line, as the PATCH
// body, each naming its user by object.id. Each line is applied alone,
// all or nothing; a refused line changes nothing and does not stop the
// others. The answer is 200 application/x-ndjson with one line per input
// line, in input order, written as each is done:
//
//	{"line":1,"id":"druid-user-1","result":{"status":200}}
//	{"line":2,"id":"druid-user-2","result":{"status":200,"pending":["email"]}}
//	{"line":3,"id":"druid-user-1","result":{"status":304}}
//	{"line":4,"result":{"status":400,"errors":[{"message":"invalid data"},...]}}
//
// where status and errors are what the same update would get alone. An
// error before the first line (token, From, Content-Type, query) is the
// usual error body. Bounds, each a line's answer:
//
//   - A line longer than Config.MaxLineBytes (64 KiB) is 413 and skipped
//     without being held; the lines after it are read as usual.
//   - An upload longer than Config.MaxBulkLines (100,000) lines: the first
//     line beyond is answered 413 "too many lines" and neither it nor the
//     rest is read or applied. Split larger uploads.
//   - A body that ends early (the connection closed, a Content-Length not
//     reached) inside a line: that line is answered 400 "the upload ended
//     inside this line; it was not applied" when the answer can still be
//     written, and the upload stops. Every complete line before it was
//     applied once and answered. A complete last line without a newline
//     is a line. A line read whole is applied even if the client goes
//     away before its answer.
//   - An empty line is 400.
//
// Lines run with bounded concurrency: up to Config.BulkConcurrency (8) at
// once, the lines on one user always one after another in upload order,
// the answers always in upload order. Concurrent lines let the store
// commit several at once (SQLite's group commit, PostgreSQL's pool), which
// is most of what a bulk upload is for; one user's lines keep their order,
// so a user ends as the upload's last line on them says. Lines on
// different users that claim the same unique value in one upload race as
// separate requests would: one gets 409, which one is not fixed.
// BulkConcurrency 1 applies the lines strictly one after another. Memory
// is bounded by the lines in flight, whatever the upload's length.
//
// # A user's own access token
//
// DRUID's non-administrative update is the same POST (and here PATCH) on
// /activityid/v1/user/update with Authorization: Bearer <access_token>,
// the token DRUID's login issued to a client for a signed-in user, and no
// code_verifier. The token names the client and the user: object.id may be
// left out, and naming another user is 403. From must be an entry point of
// the token's client and actor.id the client. The engine runs the request
// under the client's self grant ("<client>/self", update.Grant.Self with
// Request.Subject), which reaches that user alone and writes only email,
// phone_number, screen_name, datas, assertions, addresses and the password
// (ours: national_id is administrative, 403). A user cannot assert an id
// confirmed (403): a changed email or phone number waits for its code.
// The adapter does not log users in (ours): it accepts the tokens
// Config.UserTokens lists and asks Config.LookupUserToken, the
// deployment's login service, about any other.
//
// # Choices where DRUID's documents are silent (ours)
//
//   - The verb is "update"; "create", which the vendor's table shows
//     (copied from its create page), is accepted as an alias.
//   - The user is named by object.id, which is required with a
//     challenge-code token.
//   - datas and assertions are objects of named values and addresses an
//     array of objects, each replaced as a whole; a member sent as null
//     counts as not sent.
//   - The password is optional: when it is not sent the stored hash stays.
//     It must have 8 to 72 characters.
//   - "confirmed": true on an id is honoured only for clients with
//     AssertConfirmed (403 otherwise), except when it restates the
//     confirmed value the user already has. "confirmed": false on an
//     unchanged, confirmed value does not unconfirm it.
//   - Leaving out a confirmed email or phone number is 400 naming it,
//     "confirmed id cannot be removed, only replaced".
//   - object.createdOn, object.updatedOn and object.confirmed are
//     server-owned: sending them is 400. The user-level confirmed flag in
//     answers is true when a confirmed email or phone number exists.
//   - Success bodies are {"result":{"status":200},"object":{user}} with
//     "pending":["email"] in result while a changed id waits.
//   - actor.id must be the client the token was issued to (403), and the
//     From header an entry point of that client (403; 400 when missing).
//   - Confirm and resend need no token: their From header names an entry
//     point of a configured client, and the code is the user's proof.
//     Confirm names the user by object.id or by the value of an
//     established email or phone_number, with context.code; resend names
//     the id to confirm in object.ids and accepts the notificationType
//     confirm_register only.
//   - Confirm outcomes: a wrong code is 400 "code not found", a code
//     already used 400 "code has already been used", an expired code 400
//     "code has expired"; five wrong codes lock the challenge. A resend
//     within the cooldown (60 s) or beyond five codes a day is 429.
//   - Parameters are read strictly: a query parameter other than the
//     update's code_verifier, a token form field other than those above
//     and a JSON member DRUID does not define are 400 naming it, before
//     anything is read or changed.
//   - An update that sends both email and phone_number is one engine call.
//     One that leaves out either reads the user first, to refuse dropping
//     a confirmed id, and expects the version it read: a change in
//     between is 409 "user changed concurrently, try again".
//   - Accept and Accept-Language are read by nobody: answers are always
//     JSON, and no message is translated.
//   - An email or phone number restated in another spelling (case of the
//     domain, national phone format) is the same value. A password equal
//     to the stored one is no change, so repeating an update with its
//     password is still 304.
//   - Token errors use the same body shape as every other error, not
//     OAuth's {"error": ...}. A missing code_challenge_method means plain
//     (RFC 7636 section 4.3). The optional scope parameter narrows the
//     token to scopes the client holds (Client.Scopes, default "update");
//     asking for another is 403. A wrong client secret is 401, a client
//     not allowed the challenge-code flow 403.
package druid
