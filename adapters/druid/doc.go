// Package druid provides DRUID's registration API (dru-id) over the update
// engine: the challenge-code token, the replacement user update with
// confirmable email and phone number, and the confirm and resend calls.
//
// # Endpoints
//
//	POST /oauth2/token                        challenge-code grant (PKCE plain or S256)
//	POST /activityid/v1/user/update           replacement update, ?code_verifier=...
//	POST /activityid/v1/user/confirm          confirm a pending email or phone number
//	POST /activityid/v1/notification/request  send a new confirmation code
//
// Any other method on these paths is answered 405 in DRUID's error body.
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
// An update replaces the user: ids, datas, assertions and addresses not
// sent are removed; the password hash, the record id, its creation time and
// the confirmed flags are kept. Email and phone_number are confirmable
// under the engine's Hold mode: a changed value waits for its code while
// the old value stays established, and the answer lists it in
// result.pending. An update that changes nothing is 304 with no body.
//
// # Choices where DRUID's documents are silent (ours)
//
//   - The verb is "update"; "create", which the vendor's table shows
//     (copied from its create page), is accepted as an alias.
//   - The user is named by object.id, which is required.
//   - datas and assertions are objects of named values and addresses an
//     array of objects, each replaced as a whole; a member sent as null
//     counts as not sent.
//   - The password is optional: when it is not sent the stored hash stays.
//     It must have 8 to 72 characters.
//   - "confirmed": true on an id is honoured only for clients with
//     AssertConfirmed (403 otherwise), except when it restates the
//     confirmed value the user already has. "confirmed": false on an
//     unchanged, confirmed value does not unconfirm it.
//   - Leaving out a confirmed email or phone number is 400 naming it.
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
