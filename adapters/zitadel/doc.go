// Package zitadel provides a ZITADEL v2 user service shim (UpdateHumanUser
// and its verify, resend, create, read and phone-removal calls) over the
// update engine.
//
// # Endpoints
//
//	POST   /v2/users/human                  AddHumanUser (201)
//	PUT    /v2/users/human/{userId}         UpdateHumanUser
//	GET    /v2/users/{userId}               GetUserByID
//	POST   /v2/users/{userId}/email/verify  VerifyEmail {"verificationCode"}
//	POST   /v2/users/{userId}/email/resend  ResendEmailCode {sendCode{urlTemplate} | returnCode{}}
//	POST   /v2/users/{userId}/phone/verify  VerifyPhone
//	POST   /v2/users/{userId}/phone/resend  ResendPhoneCode {sendCode{} | returnCode{}}
//	DELETE /v2/users/{userId}/phone         RemovePhone
//
// A wrong method on one of these paths gets ZITADEL's error body with HTTP
// 405 (gRPC Unimplemented); any other path under /v2/users/ gets 404.
// Callers authenticate with "Authorization: Bearer <token>"; Config.Clients
// lists the tokens. An admin token holds user.write on its organisation; a
// user's own token reaches that user only.
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
// gateway's JSON, each typed request's Check and Request methods turn it
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
//   - Usernames are unique per store (ZITADEL: per instance or organisation,
//     depending on the domain policy).
//   - A password verificationCode is refused with FailedPrecondition: this
//     server serves no password-reset call, so no such code exists. A wrong
//     currentPassword is "Password is invalid" (COMMAND-3M0fs).
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
//     organisation (403 otherwise); organization.orgDomain, metadata, IDP
//     links and TOTP secrets are not supported.
//   - Error ids starting with "IDUPD-" are ours: ZITADEL answers those
//     cases from its gateway or proto validation, without an id.
package zitadel
