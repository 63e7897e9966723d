package zitadel

import (
	"errors"
	"net/http"
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
)

// Success statuses. Every HTTP status the adapter writes is in this file.
const (
	statusOK      = http.StatusOK
	statusCreated = http.StatusCreated
)

// kind is one row of the error table.
type kind int

const (
	kindInternal kind = iota
	kindUnauthenticated
	kindPermissionDenied
	kindUserNotFound
	kindPhoneNotFound
	kindUserAlreadyExists
	kindUserExisting
	kindAborted
	kindMethodNotAllowed
	kindRouteNotFound
	kindTooLarge
	kindTooManyRequests
	kindMalformed
	kindOneof
	kindInvalidArgument
	kindURLTemplate
	kindEmailEmpty
	kindEmailInvalid
	kindPhoneEmpty
	kindPhoneInvalid
	kindGivenNameEmpty
	kindFamilyNameEmpty
	kindPasswordEmpty
	kindPasswordInvalid
	kindPasswordHash
	kindPasswordComplexity
	kindPasswordMinLength
	kindPasswordLower
	kindPasswordUpper
	kindPasswordNumber
	kindPasswordSymbol
	kindPasswordCodeNotFound
	kindCodeInvalid
	kindCodeEmpty
	kindCodeLocked
	kindAlreadyVerified
)

// row is what a client sees for one kind: the gRPC code, the HTTP status
// the gateway maps it to, ZITADEL's error id and message text. An empty
// text means the message of the error itself (always safe to show).
// Ids starting with "IDUPD-" are ours, for cases ZITADEL answers without
// an id (gateway and proto validation errors) or does not have.
type row struct {
	grpc   int
	status int
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

// lookup is the adapter's one error table.
func lookup(k kind) row {
	switch k {
	case kindUnauthenticated:
		return row{grpcUnauthenticated, http.StatusUnauthorized, "IDUPD-AUTH01", "Token is missing or invalid"}
	case kindPermissionDenied:
		return row{grpcPermissionDenied, http.StatusForbidden, "AUTHZ-HKJD33", "No matching permissions found"}
	case kindUserNotFound:
		return row{grpcNotFound, http.StatusNotFound, "COMMAND-ugjs0upun6", "User could not be found"}
	case kindPhoneNotFound:
		return row{grpcNotFound, http.StatusNotFound, "IDUPD-PHONE01", "Phone not found"}
	case kindUserAlreadyExists:
		return row{grpcAlreadyExists, http.StatusConflict, "IDUPD-USER01", "User already exists"}
	case kindUserExisting:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "COMMAND-7yiox1isql", "User already exists"}
	case kindAborted:
		return row{grpcAborted, http.StatusConflict, "IDUPD-ABORT01", "The user was changed concurrently; retry"}
	case kindMethodNotAllowed:
		return row{grpcUnimplemented, http.StatusMethodNotAllowed, "IDUPD-HTTP405", "Method Not Allowed"}
	case kindRouteNotFound:
		return row{grpcNotFound, http.StatusNotFound, "IDUPD-HTTP404", "Not Found"}
	case kindTooLarge:
		return row{grpcResourceExhausted, http.StatusRequestEntityTooLarge, "IDUPD-SIZE01", ""}
	case kindTooManyRequests:
		return row{grpcResourceExhausted, http.StatusTooManyRequests, "IDUPD-CODE02", "A code was sent recently; try again later"}
	case kindMalformed:
		return row{grpcInvalidArgument, http.StatusBadRequest, "IDUPD-BODY01", ""}
	case kindOneof:
		return row{grpcInvalidArgument, http.StatusBadRequest, "IDUPD-ONEOF01", ""}
	case kindInvalidArgument:
		return row{grpcInvalidArgument, http.StatusBadRequest, "IDUPD-ARG01", ""}
	case kindURLTemplate:
		return row{grpcInvalidArgument, http.StatusBadRequest, "DOMAIN-oGh5e", "Invalid URL template"}
	case kindEmailEmpty:
		return row{grpcInvalidArgument, http.StatusBadRequest, "EMAIL-spblu", "Email is empty"}
	case kindEmailInvalid:
		return row{grpcInvalidArgument, http.StatusBadRequest, "EMAIL-599BI", "Email is invalid"}
	case kindPhoneEmpty:
		return row{grpcInvalidArgument, http.StatusBadRequest, "PHONE-Zt0NV", "Phone is empty"}
	case kindPhoneInvalid:
		return row{grpcInvalidArgument, http.StatusBadRequest, "PHONE-so0wa", "Phone is invalid"}
	case kindGivenNameEmpty:
		return row{grpcInvalidArgument, http.StatusBadRequest, "USER-UCej2", "Given name in profile is empty"}
	case kindFamilyNameEmpty:
		return row{grpcInvalidArgument, http.StatusBadRequest, "USER-4hB7d", "Family name in profile is empty"}
	case kindPasswordEmpty:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMAND-3klek4sbns", "Password is empty"}
	case kindPasswordInvalid:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMAND-3M0fs", "Password is invalid"}
	case kindPasswordHash:
		return row{grpcInvalidArgument, http.StatusBadRequest, "USER-oz74onzvqr", "Password hash encoding not supported"}
	case kindPasswordComplexity:
		return row{grpcInvalidArgument, http.StatusBadRequest, "IDUPD-PW01", "Password does not meet the complexity policy"}
	case kindPasswordMinLength:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMA-HuJf6", "Password is too short"}
	case kindPasswordLower:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMA-co3Xw", "Password must contain lower case"}
	case kindPasswordUpper:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMA-VoaRj", "Password must contain upper case"}
	case kindPasswordNumber:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMA-ZBv4H", "Password must contain number"}
	case kindPasswordSymbol:
		return row{grpcInvalidArgument, http.StatusBadRequest, "COMMA-ZDLwA", "Password must contain symbol"}
	case kindPasswordCodeNotFound:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "IDUPD-PW02", "Password code not found"}
	case kindCodeInvalid:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "COMMAND-eis9R", "Code is invalid"}
	case kindCodeEmpty:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "EMAIL-5w5ilin4yt", "Code is empty"}
	case kindCodeLocked:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "IDUPD-CODE01", "Code is locked after too many wrong attempts; request a new one"}
	case kindAlreadyVerified:
		return row{grpcFailedPrecondition, http.StatusBadRequest, "IDUPD-CODE03", "Already verified"}
	}
	return row{grpcInternal, http.StatusInternalServerError, "IDUPD-INT01", "Internal error"}
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

// EncodeError maps err, returned while serving op, to ZITADEL's status and
// body. Errors that are not *update.Error (or the adapter's own) become
// Internal with a generic text, so internals never reach a client.
func EncodeError(err error, op Op) (int, ErrorBody) {
	r := lookup(classify(err, op))
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

// requestError is an error the adapter finds before the engine is asked.
type requestError struct {
	kind kind
}

func (e *requestError) Error() string { return lookup(e.kind).text }

var (
	errUnauthenticated  = &requestError{kindUnauthenticated}
	errForbidden        = &requestError{kindPermissionDenied}
	errMethodNotAllowed = &requestError{kindMethodNotAllowed}
	errPhoneNotFound    = &requestError{kindPhoneNotFound}
	errRouteNotFound    = &requestError{kindRouteNotFound}
)

// classify picks the table row for err.
func classify(err error, op Op) kind {
	var re *requestError
	if errors.As(err, &re) {
		return re.kind
	}
	e := update.AsError(err)
	switch e.Code {
	case update.NotFound:
		return kindUserNotFound
	case update.Forbidden:
		return kindPermissionDenied
	case update.NotUnique:
		return kindUserAlreadyExists
	case update.Conflict:
		if op == OpCreate && e.Reason == "exists" {
			return kindUserExisting
		}
		return kindAborted
	case update.TooLarge:
		return kindTooLarge
	case update.Throttled:
		return kindTooManyRequests
	case update.Locked:
		return kindCodeLocked
	case update.Expired:
		return kindCodeInvalid
	case update.CodeMismatch:
		if op == OpUpdate || op == OpCreate {
			return kindPasswordInvalid
		}
		return kindCodeInvalid
	case update.NothingPending:
		if hasField(e.Fields, passwordPath) {
			return kindPasswordCodeNotFound
		}
		if e.Reason == "confirmed" {
			return kindAlreadyVerified
		}
		return kindCodeEmpty
	case update.Invalid, update.Malformed, update.Immutable:
		return classifyFields(e)
	}
	return kindInternal
}

// classifyFields picks the row of the first field ZITADEL has a text of its
// own for, else the generic row of the error's code.
func classifyFields(e *update.Error) kind {
	for _, f := range e.Fields {
		if k, ok := fieldKind(f); ok {
			return k
		}
	}
	if e.Code == update.Malformed {
		return kindMalformed
	}
	return kindInvalidArgument
}

func fieldKind(f update.FieldError) (kind, bool) {
	switch {
	case f.Rule == ruleOneof:
		return kindOneof, true
	case f.Rule == update.RuleTemplate:
		return kindURLTemplate, true
	case f.Rule == update.RuleLimit:
		return kindTooLarge, true
	}
	required := f.Rule == update.RuleRequired
	switch f.Path {
	case emailPath, "/email":
		if required {
			return kindEmailEmpty, true
		}
		return kindEmailInvalid, true
	case phonePath:
		if required {
			return kindPhoneEmpty, true
		}
		return kindPhoneInvalid, true
	case givenNamePath:
		if required {
			return kindGivenNameEmpty, true
		}
	case familyNamePath:
		if required {
			return kindFamilyNameEmpty, true
		}
	case passwordPath:
		switch f.Rule {
		case update.RuleRequired:
			return kindPasswordEmpty, true
		case update.RuleHash:
			return kindPasswordHash, true
		case update.RuleComplexity:
			return complexityKind(f.Param), true
		}
	}
	return 0, false
}

// complexityKind picks ZITADEL's text for the part of the complexity rule
// a password missed, when the engine names it in Param.
func complexityKind(param string) kind {
	p := strings.ToLower(param)
	switch {
	case strings.HasPrefix(p, "minlength"):
		return kindPasswordMinLength
	case strings.Contains(p, "lower"):
		return kindPasswordLower
	case strings.Contains(p, "upper"):
		return kindPasswordUpper
	case strings.Contains(p, "digit"), strings.Contains(p, "number"):
		return kindPasswordNumber
	case strings.Contains(p, "symbol"):
		return kindPasswordSymbol
	}
	return kindPasswordComplexity
}

func hasField(fields []update.FieldError, path string) bool {
	for _, f := range fields {
		if f.Path == path {
			return true
		}
	}
	return false
}
