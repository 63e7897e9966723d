// Package adapters holds the vendor adapters; this file is the shape every
// one of them follows, written down so that a new adapter is a copy of it.
//
// An adapter decodes a vendor's request, calls the engine, and encodes the
// engine's answer in the vendor's format. It holds no rule of its own:
// normalization, uniqueness, verification, preconditions, plural keys and
// path resolution are the engine's (update, verify, merge). Where a vendor
// needs a rule the engine lacks, the engine or verify exports it, with an
// option where vendors differ (verify.ParseLinkTemplate's LinkLength and
// LinkFields for ZITADEL's URL templates, for instance); the adapter never
// carries a copy, because two answers to one question are how a shim comes
// to disagree with its engine.
//
// # Files
//
// Every adapter has the same files, each with the same role:
//
//	doc.go      the package comment: endpoints, semantics, and every choice
//	            the vendor's documents leave open ("ours"), with its reason
//	profile.go  EntityType, the JSON Pointers of the stored document,
//	            Policy(cfg) (the update.Policy that reproduces the vendor)
//	            and engineOptions(cfg) (clock, logger, validators)
//	config.go   Config with its defaults (withDefaults) and its check,
//	            the caller type (Client; Rubiq's App), DemoConfig, SeedDemo
//	decode.go   Decode<Call>: wire bytes and parameters to a typed request
//	            or an engine request; pure, reads no record
//	encode.go   Encode<Call>: an engine Result or View to the vendor's
//	            answer body; pure
//	errors.go   Op, the adapter's own error codes, errorRow, errorTable and
//	            EncodeError; the only file in which HTTP statuses appear
//	handler.go  Handler, New, Engine, ServeHTTP, Register, one method per
//	            endpoint, and fail
//
// A file beyond these holds a concern of its own and keeps the same name
// in every adapter that has it: request.go for typed requests that several
// wire formats decode into (ZITADEL's REST and RPC), auth.go for a
// credential scheme of the vendor's own (Janrain's Basic), token.go for an
// issued-token table (DRUID), path.go and schema.go for a vendor path or
// schema language (Janrain), strict_test.go for the unknown-parameter walk.
//
// # Names
//
//   - EntityType: the namespaced record type ("<vendor>.<entity>"), so all
//     adapters can share one store.
//   - Policy(cfg Config) *update.Policy: the profile.
//   - New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error):
//     builds the adapter's own engine from Policy(cfg) and engineOptions(cfg),
//     then opts (a dispatcher, a code key, a logger), so a handler cannot be
//     wired to an engine of another profile. (*Handler).Engine returns it,
//     for SeedDemo and for calls the vendor's API does not offer.
//   - Config.Now is the deployment's clock; New hands it to the engine.
//     Config.Logger receives the adapter's log lines: never a parameter
//     value, credential or code. Lines logged while serving a request
//     whose context holds an OpenTelemetry span carry its trace_id.
//   - Decode<Call> for the entry points that read a request (DecodeUpdate,
//     DecodeVerify, DecodeQuery, ...); Encode<Call> for those that write an
//     answer (EncodeUpdate, EncodeUser, ...).
//   - Op names the endpoint an error answers (OpUpdate, OpVerify, ...).
//   - EncodeError(err error, op Op) (status int, body ErrorBody): the one
//     function that reads the error table (Rubiq's body type is Body, the
//     same for its successes). It returns rather than writes, so every
//     wire format (HTTP, gRPC) answers from the same table.
//   - fail: the handler's one error path (request id, log line,
//     EncodeError, write), called with the Op being served.
//
// # Errors
//
// Every error an adapter answers with is an *update.Error: the engine's,
// or the adapter's own with a code named "<vendor>.<what>" (an unknown
// token, a wrong method, no such route). errors.go maps them with one table:
//
//	type errorRow struct {
//		code   update.Code                       // the code the row answers
//		when   func(e *update.Error, op Op) bool // nil: every error of code
//		status int                               // the HTTP status
//		...                                      // the vendor's code and text
//	}
//	var errorTable = []errorRow{...} // first match wins; refined rows first
//
// An error no row answers is the vendor's internal error with a generic
// text. What a client reads is built from the row, the engine's client-safe
// Message and its FieldErrors: never Go error text, internal version
// numbers, another record's id, or a secret. Internal errors are logged
// with the request id (httpx.RequestID) and nothing of them is answered.
//
// # Requests
//
// Bodies are read with httpx.ReadBody (bounded; its errors are already
// TooLarge or Malformed) and JSON is decoded strictly: unknown members,
// repeated names, trailing data and nesting beyond the configured depth are
// refused. Every endpoint lists the parameters it takes; any other query
// parameter, form field or JSON member is refused with the vendor's error
// naming it (httpx.Unknown), before anything is read or changed. A
// credential is taken from its header with a bound (httpx.Bearer,
// httpx.MaxCredential) and compared in constant time against every
// configured one (httpx.Match, httpx.SecretEqual).
//
// An adapter never reads a record to build a request: locating plural
// elements (key selectors, "/statuses/[id=5253]"), preconditions
// (update.Expect) and normalization happen inside the engine's
// transaction. A read before a write is only for what the vendor's API
// returns (GetUserByID) or for a rule the engine does not offer yet, and
// then the write expects the version read and a change in between is the
// vendor's conflict answer, never a silent retry.
//
// # Tests
//
// Tests run the handler over real HTTP (net/http/httptest) on a memory
// store, with the clock of adapters/internal/adaptertest. Every adapter
// has strict_test.go: each endpoint with one unknown parameter, answered
// with the vendor's error naming it, the record's version and document
// unchanged. Vendor request and answer fixtures live in testdata/.
package adapters
