package scim

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// Op names the endpoint an error answers.
type Op int

// The endpoints.
const (
	OpCreate Op = iota
	OpGet
	OpReplace
	OpDelete
	OpList
	OpSearch
	OpDiscovery
	OpMe
	OpPatch
	OpBulk
	OpConfirm
)

// The scimType values of RFC 7644 section 3.12 this adapter answers with.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeTooMany       = "tooMany"
	TypeUniqueness    = "uniqueness"
	TypeMutability    = "mutability"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidPath   = "invalidPath"
	TypeInvalidValue  = "invalidValue"
	TypeNoTarget      = "noTarget"
)

// The adapter's own codes, for what it refuses before the engine is
// asked. They share the one table below with the engine's codes.
const (
	codeUnauthenticated update.Code = "scim.unauthenticated" // no bearer token, or one no client holds
	codeMethod          update.Code = "scim.method"          // a known path with a method it does not serve
	codeRoute           update.Code = "scim.route"           // a path under the prefix that names no endpoint
	codeFilter          update.Code = "scim.invalidFilter"   // a filter that does not parse or names no attribute
	codePath            update.Code = "scim.invalidPath"     // an attribute path (sortBy, attributes) that names no attribute
	codeValue           update.Code = "scim.invalidValue"    // a parameter or member with a value out of its range
	codeSyntax          update.Code = "scim.invalidSyntax"   // a body that is not the message it should be
	codeNotImplemented  update.Code = "scim.notImplemented"  // an endpoint this service does not offer
	codePrecondition    update.Code = "scim.precondition"    // an If-Match that names another version
	codeNoTarget        update.Code = "scim.noTarget"        // a PATCH remove without a path
)

// The adapter's own refusals.
var (
	errUnauthenticated = update.Errorf(codeUnauthenticated, "missing or unknown bearer token")
	errMethod          = update.Errorf(codeMethod, "method not allowed")
	errRoute           = update.Errorf(codeRoute, "no such endpoint")
)

// ErrorBody is the error message of RFC 7644 section 3.12. Status is a
// string, as the RFC's examples write it.
type ErrorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// errorRow is one row of the table: the code it answers, an optional
// refinement, the HTTP status and the scimType.
type errorRow struct {
	code     update.Code
	when     func(e *update.Error, op Op) bool
	status   int
	scimType string
}

// errorTable is every error this adapter answers with, and the only place
// HTTP statuses appear besides the success statuses of encode.go. The
// first row whose code matches and whose refinement (if any) holds wins,
// so refined rows come first.
var errorTable = []errorRow{
	{update.Invalid, fieldRule(update.RuleImmutable, update.RuleReadOnly), http.StatusBadRequest, TypeMutability},
	{update.Invalid, patchRemoves(update.RuleRequired), http.StatusBadRequest, TypeMutability},
	{update.Invalid, nil, http.StatusBadRequest, TypeInvalidValue},
	{update.Immutable, nil, http.StatusBadRequest, TypeMutability},
	{update.Malformed, queryField("filter"), http.StatusBadRequest, TypeInvalidFilter},
	{update.Malformed, fieldRule(update.RuleQuery), http.StatusBadRequest, TypeInvalidValue},
	{update.Malformed, nil, http.StatusBadRequest, TypeInvalidSyntax},
	{update.TooLarge, wraps(httpx.ErrTooLarge), http.StatusRequestEntityTooLarge, ""},
	{update.TooLarge, nil, http.StatusBadRequest, TypeInvalidValue},
	{update.NotUnique, nil, http.StatusConflict, TypeUniqueness},
	{update.NotFound, reason(update.ReasonNoTarget), http.StatusBadRequest, TypeNoTarget},
	{update.NotFound, nil, http.StatusNotFound, ""},
	{update.Forbidden, nil, http.StatusForbidden, ""},
	{update.CodeMismatch, nil, http.StatusBadRequest, TypeInvalidValue},
	{update.Expired, nil, http.StatusBadRequest, TypeInvalidValue},
	{update.Locked, nil, http.StatusConflict, ""},
	{update.NothingPending, nil, http.StatusConflict, ""},
	{update.Throttled, nil, http.StatusTooManyRequests, ""},
	{update.Conflict, mismatch, http.StatusPreconditionFailed, ""},
	{update.Conflict, nil, http.StatusConflict, ""},

	{codePrecondition, nil, http.StatusPreconditionFailed, ""},
	{codeFilter, nil, http.StatusBadRequest, TypeInvalidFilter},
	{codeNoTarget, nil, http.StatusBadRequest, TypeNoTarget},
	{codePath, nil, http.StatusBadRequest, TypeInvalidPath},
	{codeValue, nil, http.StatusBadRequest, TypeInvalidValue},
	{codeSyntax, nil, http.StatusBadRequest, TypeInvalidSyntax},
	{codeUnauthenticated, nil, http.StatusUnauthorized, ""},
	{codeMethod, nil, http.StatusMethodNotAllowed, ""},
	{codeRoute, nil, http.StatusNotFound, ""},
	{codeNotImplemented, nil, http.StatusNotImplemented, ""},
	{update.Internal, nil, http.StatusInternalServerError, ""},
}

// EncodeError returns the status and SCIM error body of err, returned
// while serving op. An error no row answers is internal, and its text is
// not shown.
func EncodeError(err error, op Op) (int, *ErrorBody) {
	e := update.AsError(err)
	row := errorTable[len(errorTable)-1]
	for _, r := range errorTable {
		if r.code == e.Code && (r.when == nil || r.when(e, op)) {
			row = r
			break
		}
	}
	detail := update.ErrorMessage(err)
	if row.code == update.Internal {
		detail = "internal error"
	}
	return row.status, &ErrorBody{
		Schemas:  []string{MessageError},
		Status:   strconv.Itoa(row.status),
		ScimType: row.scimType,
		Detail:   detail,
	}
}

// fieldRule reports whether any failing field broke one of the rules.
func fieldRule(rules ...string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		for _, f := range e.Fields {
			for _, r := range rules {
				if f.Rule == r {
					return true
				}
			}
		}
		return false
	}
}

// queryField reports whether the engine refused the query part named.
func queryField(name string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		for _, f := range e.Fields {
			if f.Rule == update.RuleQuery && f.Param == name {
				return true
			}
		}
		return false
	}
}

func wraps(target error) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return errors.Is(e, target) }
}

// mismatch reports whether a Conflict is a failed precondition (If-Match)
// rather than a lost race.
func mismatch(e *update.Error, _ Op) bool { return e.Mismatch != nil }

func reason(want string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return e.Reason == want }
}

// patchRemoves reports whether a PATCH left a field breaking the rule: a
// required attribute removed is SCIM's mutability error.
func patchRemoves(rule string) func(*update.Error, Op) bool {
	f := fieldRule(rule)
	return func(e *update.Error, op Op) bool { return op == OpPatch && f(e, op) }
}
