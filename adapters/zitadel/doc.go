// Package zitadel provides a ZITADEL v2 user service shim (UpdateHumanUser,
// its successor UpdateUser, and the verify, resend, create, read,
// phone-removal, password and list calls) over the update engine.
//
// # Endpoints
//
//	POST   /v2/users                        ListUsers {query{offset, limit, asc}, sortingColumn, queries}
//	POST   /v2/users/human                  AddHumanUser (201)
//	PUT    /v2/users/human/{userId}         UpdateHumanUser
//	GET    /v2/users/{userId}               GetUserByID
//	PATCH  /v2/users/{userId}               UpdateUser {username, human{profile, email, phone, password} | machine}
//	POST   /v2/users/{userId}/email/verify  VerifyEmail {"verificationCode"}
//	POST   /v2/users/{userId}/email/resend  ResendEmailCode {sendCode{urlTemplate} | returnCode{}}
//	POST   /v2/users/{userId}/phone/verify  VerifyPhone
//	POST   /v2/users/{userId}/phone/resend  ResendPhoneCode {sendCode{} | returnCode{}}
//	DELETE /v2/users/{userId}/phone         RemovePhone
//	POST   /v2/users/{userId}/password      SetPassword {newPassword, currentPassword | verificationCode}
//	POST   /v2/users/{userId}/password_reset PasswordReset {sendLink{notificationType, urlTemplate} | returnCode{}}
//
// A wrong method on one of these paths gets ZITADEL's error body with HTTP
// 405 (gRPC Unimplemented); any other path under /v2/users/ gets 404.
// Callers authenticate with "Authorization: Bearer <token>"; Config.Clients
// lists the tokens. An admin token holds user.write on its organisation; a
// user's own token reaches that user only. Organisations are the engine's
// tenants (update.Tenancy on orgId, the resourceOwner): each token's grant
// is limited to its organisation, so the engine, not the adapter, keeps a
// token out of other organisations.
//
// # gRPC, gRPC-web and Connect
//
// The same calls are served as ZITADEL's zitadel.user.v2.UserService on
// the same port: POST /zitadel.user.v2.UserService/<Method> (RPCPath) over
// gRPC (application/grpc, HTTP/2 with TLS or cleartext), gRPC-web and
// Connect (JSON and binary), so ZITADEL's own clients (@zitadel/client,
// the Go SDK) work unchanged. Other methods of the service answer
// Unimplemented, naming the method. The RPC handlers (rpc.go) decode the
// protobuf messages into the same typed requests as the REST decoder, run
// the same calls (calls.go) and answer errors from the same table: the
// gRPC code, the message "<text> (<id>)" and a zitadel.v1.ErrorDetail
// {id, message}. Credentials come from the "authorization" metadata, as
// on REST.
//
// connectrpc.com/connect serves the RPC formats: one handler speaks all
// three protocols over net/http, beside the REST mux. connectrpc.com/vanguard
// would also transcode REST from the google.api.http rules, but the REST
// side here is written by hand to ZITADEL's gateway answers (its error
// bodies, strict JSON, 405s), which a transcoder would not reproduce.
//
// Unary gRPC in its commonest shape, which is how ZITADEL's own clients
// call (POST, application/grpc or application/grpc+proto, identity or
// gzip, with or without a well-formed grpc-timeout), takes a fast path
// (rpc_fast.go) instead of connect-go's handler. connect-go spends more
// per call on its own machinery (a connection object, header maps,
// interceptor plumbing, request and response wrappers, an error value even
// on success) than the adapter spends decoding and encoding, which left
// gRPC about a fifth slower than REST JSON on the same update. The fast
// path runs the same method values (decode, engine call, error mapping)
// with the same codec and writes what connect-go writes: the same
// headers, one envelope, grpc-status, the percent-encoded grpc-message
// and grpc-status-details-bin with the zitadel.v1.ErrorDetail, all as
// trailers, through the same http.ResponseWriter calls. It takes a request
// only once it has read it whole, within the same bounds, and found one
// well-formed message that decodes; anything else (a truncated or
// oversized frame, bad gzip or a bomb, unknown fields, a second message,
// an unknown encoding or content type, a malformed timeout, another
// method or verb) is handed to connect-go with the bytes already read put
// back, before any call runs, so connect-go gives it its own answer.
// gRPC-web and Connect always go through connect-go. A test sends the
// same requests through both paths and compares status, headers, trailers
// and body byte for byte.
//
// UpdateHumanUser, the call updates make most, goes further on the fast
// path (rpc_decode_fast.go), as the REST decoder does for its body: a
// one-pass reader over the wire format (protowire) builds the typed request
// the protobuf message would convert to, without the message, and the
// answer is appended to the envelope from the change's values, without a
// message or a round trip of its times through text. The reader takes only
// messages the strict codec accepts and reads the same way (each field
// once with its own wire type, one member per oneof, UTF-8 strings, named
// genders, nothing unknown); any other message takes the checked path
// above, so every error stays the codec's. Differential tests hold both to
// protobuf-go: the reader on every section combination, every prefix and
// byte mutation of them and a fuzz target, the encoder to proto.Marshal on
// generated answers.
//
// Answers under 1 KiB are sent uncompressed even to a client that
// accepts gzip (ZITADEL's client always does): gzip makes them no smaller
// and costs more than the call. Larger ones are gzipped when accepted.
//
// Every message is bounded by Config.MaxBodyBytes after decompression
// (gzip is accepted), and the request stream by that bound plus framing;
// larger ones are ResourceExhausted. Unknown protobuf fields and JSON
// members are refused with InvalidArgument, as the REST decoder refuses
// unknown members; so are members the REST body lacks (AddHumanUser's
// metadata, idpLinks, totpSecret). grpc-timeout and connect-timeout-ms
// bound the call; a call out of time answers DeadlineExceeded and changes
// nothing. Malformed framing and payloads are answered by Connect itself,
// without a ZITADEL id (ZITADEL's gRPC layer answers them without one too).
// Proto3 strings carry no presence, so an empty givenName, email or phone
// reads as the gateway's "" does.
//
// # Semantics
//
// UpdateHumanUser is a Merge of the sections sent (username, profile, email,
// phone, password); a section left out is untouched and the request
// succeeds or fails as one. Profile fields are patched one by one:
// givenName and familyName must be sent with a profile, "" leaves them as
// they are; nickName, displayName and preferredLanguage are unchanged when
// left out and cleared by "". A new email or phone is written at once and
// marked unverified (update.ApplyUnverified); the oneof sendCode |
// returnCode | isVerified picks the delivery: sendCode mails the code with
// its urlTemplate rendered ({{.UserID}} {{.Code}} {{.OrgID}} only, 1–200
// characters, checked before anything changes), returnCode returns it as
// emailCode/phoneCode, isVerified: true marks the value verified and is
// allowed to admin tokens only (a user asserting its own address is 403,
// CVE-2026-27946). Nothing sent sends with Config.DefaultURLTemplate. The
// same address as now is no change. Codes are 6 characters A–Z0–9, valid
// one hour. The answer's details carry sequence (the record version),
// changeDate and resourceOwner; a request that changes nothing answers 200
// with the current details and the same sequence.
//
// UpdateUser is UpdateHumanUser with the sections moved under "human":
// its username and human part become the UpdateHumanUser request they
// stand for (UpdateUserRequest.HumanUpdate) and run through the same call,
// so both reach the same rules and engine request. Every profile field of
// UpdateUser is optional: givenName and familyName left out, or sent as
// "", are unchanged (ours: ZITADEL's proto marks them optional and says
// nothing of ""). Its answer is {changeDate, emailCode?, phoneCode?},
// without details. The machine part is refused with Unimplemented, HTTP
// 501, "Machine users are not supported" (IDUPD-MACHINE01), before the
// user is looked up: every user this adapter holds is human, as it
// creates users through AddHumanUser only; human and machine together are
// InvalidArgument (IDUPD-ONEOF01).
//
// Errors are {code, message, details[{@type, id, message}]} with the gRPC
// code, the gateway's HTTP status and ZITADEL's ids and texts, all from the
// one table in errors.go.
//
// # Shape
//
// New builds the adapter's own engine from Policy(cfg). The typed
// requests of request.go (UpdateHumanUserRequest, AddHumanUserRequest,
// VerifyCodeRequest, ResendEmailCodeRequest, ResendPhoneCodeRequest) are
// what every wire format decodes into; decode.go decodes the REST
// gateway's JSON and rpc_decode.go the RPC formats' protobuf, each typed
// request's Check and Request methods turn it
// into the one engine call of its endpoint, and EncodeError answers every
// format from the one error table.
//
// # Our choices
//
// Where ZITADEL leaves a behaviour open or where we go beyond it (the
// "ours" marks of the vendor facts):
//   - Codes lock after Config.MaxAttempts wrong tries (default 5); a locked
//     code answers FailedPrecondition "Code is locked" and a resend issues a
//     new one. ZITADEL counts but never locks.
//   - Resends are limited: Config.ResendCooldown between two codes (default
//     one minute) and Config.MaxSends per Config.SendWindow (default 5 per
//     hour); a refused resend is ResourceExhausted, HTTP 429. ZITADEL has no
//     limit, which let users' inboxes be flooded. The limits also cover
//     changes: a new address within the cooldown is written (unverified) but
//     its code is held back until a resend after the cooldown.
//   - Email addresses are trimmed and their domain lower-cased before they
//     are compared and stored; "Name <a@b.c>" forms are refused.
//   - Usernames are unique per organisation, so two organisations may each
//     have a "minnie"; the same username twice in one organisation is
//     AlreadyExists (409). Organisations listed in Config.GlobalUsernameOrgs
//     share one instance-wide namespace instead. This follows ZITADEL's
//     domain policy: with userLoginMustBeDomain its username constraint is
//     the username plus the organisation id, without it the bare username.
//     Our default is per organisation.
//   - Users of another organisation do not exist for a token: every call on
//     one answers NotFound "User could not be found" (404), exactly as for
//     a missing id, and ListUsers never shows them (ours: ZITADEL answers
//     PermissionDenied once the user is found, which tells the caller the
//     id exists). A user's own token gets PermissionDenied (403) for any
//     other id, existing or not.
//   - PasswordReset codes are the engine's reset codes (update.Reset):
//     6 characters A–Z0–9, valid one hour, stored hashed, under the same
//     attempt lock and send limits as email codes. A new reset replaces the
//     open code; setting a password any other way voids it. The code is
//     mailed to the user's address (sendLink, or nothing sent) or returned
//     as verificationCode (returnCode); NOTIFICATION_TYPE_SMS is refused
//     with InvalidArgument. SetPassword (and UpdateHumanUser's password)
//     with verificationCode uses the code up; a wrong one is "Code is
//     invalid" (COMMAND-eis9R), a used or never-issued one FailedPrecondition
//     "Password code not found". A wrong currentPassword is "Password is
//     invalid" (COMMAND-3M0fs).
//   - Accepted password hashes are bcrypt ($2a$, $2b$, $2y$) of cost 10–16;
//     other Modular Crypt formats (scrypt, argon2, md5) are refused with
//     "Password hash encoding not supported".
//   - preferredLanguage "" clears the stored language (ZITADEL stores "und").
//   - No call takes query parameters: one sent is refused with
//     InvalidArgument naming it, before anything is read or changed.
//   - The JSON is read strictly: unknown members (and the proto's
//     snake_case spellings), repeated member names, wrong types and
//     trailing data are refused with InvalidArgument; bodies are bounded
//     (Config.MaxBodyBytes, Config.MaxDepth) and must be UTF-8. A member
//     sent as null counts as left out, as in protojson; isVerified: false
//     counts as set, so it conflicts with sendCode or returnCode.
//   - A body over the bound is ResourceExhausted with HTTP 413.
//   - AddHumanUser: organization.orgId must be the admin token's own
//     organisation (403 otherwise, refused by the engine's grant);
//     organization.orgDomain, metadata, IDP links and TOTP secrets are not
//     supported.
//   - ListUsers translates its queries into one storage filter, which the
//     store evaluates (update.Engine.List): userName, loginName (the
//     username), firstName, lastName, nickName, displayName, email, phone,
//     organizationId, inUserEmails, and, or and not. Text compares under
//     simple case folding whatever the method (EQUALS and
//     EQUALS_IGNORE_CASE answer alike; usernames and email domains are
//     stored folded anyway). stateQuery, typeQuery, inUserIdsQuery and the
//     sorting columns STATE, TYPE and CREATION_DATE are refused with
//     InvalidArgument. An admin lists its own organisation only, a user's
//     own token only itself. Bounds: queries nest at most 5 deep, at most
//     50 query nodes, 100 addresses per inUserEmails, 200 characters per
//     value, limit at most 1000 (0 means 100), offset at most 100000;
//     beyond them InvalidArgument. A sortingColumn sorts descending unless
//     query.asc is true, as in ZITADEL; without one the order is by id.
//   - Error ids starting with "IDUPD-" are ours: ZITADEL answers those
//     cases from its gateway or proto validation, without an id.
package zitadel
