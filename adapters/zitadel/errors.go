package zitadel

import (
	"net/http"
	"slices"
	"strings"

	"github.com/idupdate/idupdate/update"
)

// Op names the call an error answers; a few engine codes mean different
// things to ZITADEL depending on it (a mismatch on an update is a wrong
// current password, on a verify a wrong code).
type Op int

// The calls.
const (
	OpUpdate Op = iota
	OpCreate
	OpRead
	OpVerify
	OpResend
	OpRemovePhone
	OpSetPassword
	OpPasswordReset
	OpList
)

// The adapter's own codes, for what it refuses before the engine is
// asked. They share the one table below with the engine's codes.
const (
	codeUnauthenticated update.Code = "zitadel.unauthenticated" // no or an unknown bearer token
	codeMethod          update.Code = "zitadel.method"          // a known path with another method
	codeRoute           update.Code = "zitadel.route"           // no call at this path
	codePhoneNotFound   update.Code = "zitadel.phone"           // RemovePhone on a user without one
	codeMachine         update.Code = "zitadel.machine"         // UpdateUser with its machine part
)

// The adapter's own refusals.
var (
	errUnauthenticated  = update.Errorf(codeUnauthenticated, "Token is missing or invalid")
	errForbidden        = update.Errorf(update.Forbidden, "No matching permissions found")
	errMethodNotAllowed = update.Errorf(codeMethod, "Method Not Allowed")
	errRouteNotFound    = update.Errorf(codeRoute, "Not Found")
	errPhoneNotFound    = update.Errorf(codePhoneNotFound, "Phone not found")
	errMachine          = update.Errorf(codeMachine, "Machine users are not supported; UpdateUser takes the human part only")
)

// errorRow is one row of the error table: the errors it answers (a code,
// and when set a refinement of it) and ZITADEL's answer: the gRPC code,
// the HTTP status the gateway maps it to, ZITADEL's error id and text. An
// empty text means the message of the error itself (always safe to show).
// Ids starting with "IDUPD-" are ours, for cases ZITADEL answers without
// an id (gateway and proto validation errors) or does not have.
type errorRow struct {
	code   update.Code
	when   func(e *update.Error, op Op) bool
	status int
	grpc   int
	id     string
	text   string
}

// The gRPC codes used.
const (
	grpcInvalidArgument    = 3
	grpcNotFound           = 5
	grpcAlreadyExists      = 6
	grpcPermissionDenied   = 7
	grpcResourceExhausted  = 8
	grpcFailedPrecondition = 9
	grpcAborted            = 10
	grpcUnimplemented      = 12
	grpcInternal           = 13
	grpcUnauthenticated    = 16
)

// errorTable is the adapter's one error table, and the only place HTTP
// statuses appear. The first row whose code matches and whose refinement
// (if any) holds answers; refined rows come first. An error no row answers
// is the last row's: Internal, with a generic text.
var errorTable = []errorRow{
	{codeUnauthenticated, nil, http.StatusUnauthorized, grpcUnauthenticated, "IDUPD-AUTH01", "Token is missing or invalid"},
	{codeMethod, nil, http.StatusMethodNotAllowed, grpcUnimplemented, "IDUPD-HTTP405", "Method Not Allowed"},
	{codeRoute, nil, http.StatusNotFound, grpcNotFound, "IDUPD-HTTP404", "Not Found"},
	{codePhoneNotFound, nil, http.StatusNotFound, grpcNotFound, "IDUPD-PHONE01", "Phone not found"},
	{codeMachine, nil, http.StatusNotImplemented, grpcUnimplemented, "IDUPD-MACHINE01", "Machine users are not supported; UpdateUser takes the human part only"},
	{update.Forbidden, nil, http.StatusForbidden, grpcPermissionDenied, "AUTHZ-HKJD33", "No matching permissions found"},
	{update.NotFound, nil, http.StatusNotFound, grpcNotFound, "COMMAND-ugjs0upun6", "User could not be found"},
	{update.NotUnique, nil, http.StatusConflict, grpcAlreadyExists, "IDUPD-USER01", "User already exists"},
	{update.Conflict, existsOnCreate, http.StatusBadRequest, grpcFailedPrecondition, "COMMAND-7yiox1isql", "User already exists"},
	{update.Conflict, nil, http.StatusConflict, grpcAborted, "IDUPD-ABORT01", "The user was changed concurrently; retry"},
	{update.TooLarge, nil, http.StatusRequestEntityTooLarge, grpcResourceExhausted, "IDUPD-SIZE01", ""},
	{update.Throttled, nil, http.StatusTooManyRequests, grpcResourceExhausted, "IDUPD-CODE02", "A code was sent recently; try again later"},
	{update.Locked, nil, http.StatusBadRequest, grpcFailedPrecondition, "IDUPD-CODE01", "Code is locked after too many wrong attempts; request a new one"},
	// ZITADEL's email and phone verification answer every failed code,
	// wrong or expired, with InvalidArgument COMMAND-eis9R.
	{update.Expired, nil, http.StatusBadRequest, grpcInvalidArgument, "COMMAND-eis9R", "Code is invalid"},
	{update.CodeMismatch, rule(update.RuleCode), http.StatusBadRequest, grpcInvalidArgument, "COMMAND-eis9R", "Code is invalid"},
	{update.CodeMismatch, onChange, http.StatusBadRequest, grpcInvalidArgument, "COMMAND-3M0fs", "Password is invalid"},
	{update.CodeMismatch, nil, http.StatusBadRequest, grpcInvalidArgument, "COMMAND-eis9R", "Code is invalid"},
	{update.NothingPending, field(passwordPath, ""), http.StatusBadRequest, grpcFailedPrecondition, "IDUPD-PW02", "Password code not found"},
	{update.NothingPending, reason(update.ReasonConfirmed), http.StatusBadRequest, grpcFailedPrecondition, "IDUPD-CODE03", "Already verified"},
	{update.NothingPending, nil, http.StatusBadRequest, grpcFailedPrecondition, "EMAIL-5w5ilin4yt", "Code is empty"},
}

// fieldRows answer Invalid, Malformed and Immutable errors by their first
// failing field that ZITADEL has a text of its own for; an error without
// one gets the generic row of its code (fallbackRows).
var fieldRows = []errorRow{
	{"", rule(ruleOneof), http.StatusBadRequest, grpcInvalidArgument, "IDUPD-ONEOF01", ""},
	{"", rule(update.RuleTemplate), http.StatusBadRequest, grpcInvalidArgument, "DOMAIN-oGh5e", "Invalid URL template"},
	{"", rule(update.RuleLimit), http.StatusRequestEntityTooLarge, grpcResourceExhausted, "IDUPD-SIZE01", ""},
	{"", field(emailPath, update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "EMAIL-spblu", "Email is empty"},
	{"", field("/email", update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "EMAIL-spblu", "Email is empty"},
	{"", field(emailPath, ""), http.StatusBadRequest, grpcInvalidArgument, "EMAIL-599BI", "Email is invalid"},
	{"", field("/email", ""), http.StatusBadRequest, grpcInvalidArgument, "EMAIL-599BI", "Email is invalid"},
	{"", field(phonePath, update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "PHONE-Zt0NV", "Phone is empty"},
	{"", field(phonePath, ""), http.StatusBadRequest, grpcInvalidArgument, "PHONE-so0wa", "Phone is invalid"},
	{"", field(givenNamePath, update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "USER-UCej2", "Given name in profile is empty"},
	{"", field(familyNamePath, update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "USER-4hB7d", "Family name in profile is empty"},
	{"", field(passwordPath, update.RuleRequired), http.StatusBadRequest, grpcInvalidArgument, "COMMAND-3klek4sbns", "Password is empty"},
	{"", field(passwordPath, update.RuleHash), http.StatusBadRequest, grpcInvalidArgument, "USER-oz74onzvqr", "Password hash encoding not supported"},
	{"", complexity("minlength"), http.StatusBadRequest, grpcInvalidArgument, "COMMA-HuJf6", "Password is too short"},
	{"", complexity("lower"), http.StatusBadRequest, grpcInvalidArgument, "COMMA-co3Xw", "Password must contain lower case"},
	{"", complexity("upper"), http.StatusBadRequest, grpcInvalidArgument, "COMMA-VoaRj", "Password must contain upper case"},
	{"", complexity("digit", "number"), http.StatusBadRequest, grpcInvalidArgument, "COMMA-ZBv4H", "Password must contain number"},
	{"", complexity("symbol"), http.StatusBadRequest, grpcInvalidArgument, "COMMA-ZDLwA", "Password must contain symbol"},
	{"", complexity(""), http.StatusBadRequest, grpcInvalidArgument, "IDUPD-PW01", "Password does not meet the complexity policy"},
}

// fallbackRows answer what no other row does.
var fallbackRows = []errorRow{
	{update.Malformed, nil, http.StatusBadRequest, grpcInvalidArgument, "IDUPD-BODY01", ""},
	{update.Invalid, nil, http.StatusBadRequest, grpcInvalidArgument, "IDUPD-ARG01", ""},
	{update.Immutable, nil, http.StatusBadRequest, grpcInvalidArgument, "IDUPD-ARG01", ""},
	{update.Internal, nil, http.StatusInternalServerError, grpcInternal, "IDUPD-INT01", "Internal error"},
}

// Success statuses, beside the error table so every HTTP status the
// adapter writes is in this file.
const (
	statusOK      = http.StatusOK
	statusCreated = http.StatusCreated
)

// lookup returns the row that answers err, returned while serving op.
func lookup(err error, op Op) errorRow {
	e := update.AsError(err)
	for _, r := range errorTable {
		if r.code == e.Code && (r.when == nil || r.when(e, op)) {
			return r
		}
	}
	switch e.Code {
	case update.Invalid, update.Malformed, update.Immutable:
		for _, f := range e.Fields {
			one := &update.Error{Code: e.Code, Fields: []update.FieldError{f}}
			for _, r := range fieldRows {
				if r.when(one, op) {
					return r
				}
			}
		}
	}
	for _, r := range fallbackRows {
		if r.code == e.Code {
			return r
		}
	}
	return fallbackRows[len(fallbackRows)-1]
}

func existsOnCreate(e *update.Error, op Op) bool {
	return op == OpCreate && e.Reason == update.ReasonExists
}

// onChange: a wrong current password on an update, create or SetPassword.
func onChange(_ *update.Error, op Op) bool {
	return op == OpUpdate || op == OpCreate || op == OpSetPassword
}

func reason(want string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return e.Reason == want }
}

// rule matches an error with a failing field of the rule.
func rule(name string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		return slices.ContainsFunc(e.Fields, func(f update.FieldError) bool { return f.Rule == name })
	}
}

// field matches an error with a failing field at path, of the rule if
// one is named.
func field(path, rule string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		return slices.ContainsFunc(e.Fields, func(f update.FieldError) bool {
			return f.Path == path && (rule == "" || f.Rule == rule)
		})
	}
}

// complexity matches a password that missed the part of the complexity
// rule the engine names in Param (any part for "").
func complexity(parts ...string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		return slices.ContainsFunc(e.Fields, func(f update.FieldError) bool {
			if f.Path != passwordPath || f.Rule != update.RuleComplexity {
				return false
			}
			p := strings.ToLower(f.Param)
			for _, part := range parts {
				if part == "" || strings.HasPrefix(p, part) || strings.Contains(p, part) {
					return true
				}
			}
			return false
		})
	}
}

// errorDetailType is the @type of ZITADEL's error details.
const errorDetailType = "type.googleapis.com/zitadel.v1.ErrorDetail"

// ErrorBody is ZITADEL's error answer.
type ErrorBody struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details"`
}

// ErrorDetail is one entry of ErrorBody.Details.
type ErrorDetail struct {
	Type    string `json:"@type"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// EncodeError returns ZITADEL's status and body for err, returned while
// serving op. Errors that are not *update.Error become Internal with a
// generic text, so internals never reach a client. The RPC formats take
// the same body: Code is the gRPC code, Details[0].ID ZITADEL's error id.
func EncodeError(err error, op Op) (int, ErrorBody) {
	r := lookup(err, op)
	text := r.text
	if text == "" {
		text = describe(err)
	}
	return r.status, ErrorBody{
		Code:    r.grpc,
		Message: text + " (" + r.id + ")",
		Details: []ErrorDetail{{Type: errorDetailType, ID: r.id, Message: text}},
	}
}

// describe returns the client-safe message of err followed by its failing
// fields, unless the message already names them.
func describe(err error) string {
	msg := update.ErrorMessage(err)
	var parts []string
	for _, f := range update.ErrorFields(err) {
		if f.Message == "" || strings.Contains(msg, f.Message) {
			continue
		}
		if f.Path != "" {
			parts = append(parts, f.Path+" "+f.Message)
		} else {
			parts = append(parts, f.Message)
		}
	}
	if len(parts) == 0 {
		return msg
	}
	return msg + ": " + strings.Join(parts, "; ")
}
