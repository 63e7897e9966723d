package rubiq

import (
	"errors"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Status is one answer of the Rubiq API: the HTTP status, the full Rubiq
// status code with its sub-code ("200.1", "400.4") and its text.
type Status struct {
	HTTP int
	Code string
	Text string
}

// The Rubiq codes of outcomes that are not engine errors.
const (
	codeUpdated    = "200"
	codeDispatched = "200.1"
	codeWindow     = "200.2"
	codeCooldown   = "200.3"
	codeVerified   = "204"
	codeQuota      = "429"
	codeInternal   = "500"
)

// statusRead is the answer to a successful 1002 read. Rubiq's text for it
// is "OK", as the envelope example shows.
var statusRead = Status{http.StatusOK, codeUpdated, "OK"}

// Op names the endpoint an answer is for: 1003, 2004 or 1002, addressed
// by dp-keyid or by external key.
type Op int

// The endpoints.
const (
	OpUpdate Op = iota
	OpUpdateByExtKey
	OpVerify
	OpVerifyByExtKey
	OpRead
	OpReadByExtKey
)

// byExtKey reports whether op addresses the entity by external key.
func (op Op) byExtKey() bool {
	return op == OpUpdateByExtKey || op == OpVerifyByExtKey || op == OpReadByExtKey
}

// reads reports whether op is the account read (1002).
func (op Op) reads() bool { return op == OpRead || op == OpReadByExtKey }

// The adapter's own codes, for what it refuses before the engine is
// asked. They share the one table below with the engine's codes.
const (
	codeUnauthenticated update.Code = "rubiq.unauthenticated" // no bearer token, or one no app holds
	codeMethod          update.Code = "rubiq.method"          // a known path with a method it does not serve
	codeRoute           update.Code = "rubiq.route"           // a path under Rubiq's prefixes that names no endpoint
)

// The adapter's own refusals.
var (
	errUnauthenticated = update.Errorf(codeUnauthenticated, "missing or unknown app token")
	errMethod          = update.Errorf(codeMethod, "method not allowed")
	errRoute           = update.Errorf(codeRoute, "no such endpoint")
)

// errorRow is one row of the table: the code it answers ("" for the
// outcomes of a success), an optional refinement, and the answer.
type errorRow struct {
	code   update.Code
	when   func(e *update.Error, op Op) bool
	status Status
}

// errorTable is every answer this adapter gives, and the only place HTTP
// statuses appear. For an error the first row whose code matches and
// whose refinement (if any) holds wins, so refined rows come first.
// Success rows carry no code; they are found by their Rubiq code.
var errorTable = []errorRow{
	// 1003 outcomes.
	{"", nil, Status{http.StatusOK, codeUpdated, "Account was successfully updated"}},
	{"", nil, Status{http.StatusOK, codeDispatched, "A verification request has been dispatched"}},
	// A quota (update.WithQuotas) refuses the call itself, not a send:
	// answered before the limiter rows, which would read "not dispatched".
	{update.Throttled, reason(update.ReasonQuota), Status{http.StatusTooManyRequests, codeQuota, "Too many requests from this app or for this account; try again later"}},
	{update.Throttled, reason(string(verify.WindowLimit)), Status{http.StatusOK, codeWindow, "A verification request has not been dispatched, as the recent verification request limit has been reached"}},
	{update.Throttled, nil, Status{http.StatusOK, codeCooldown, "A verification request has not been dispatched, as a previous verification has been sent within the last 2 minutes, or is still being processed"}},
	// 2004 outcome.
	{"", nil, Status{http.StatusNoContent, codeVerified, "Verified"}},
	// 1002 outcome; found by statusRead, as it shares its code with 1003's.
	{"", nil, statusRead},

	{update.NotUnique, clashOn("/" + FieldEmail), Status{http.StatusBadRequest, "400.2", "Email address is not unique"}},
	{update.NotUnique, holder(storage.Inactive), Status{http.StatusBadRequest, "400.5", "Mobile number is not unique (the mobile number belongs to an inactive entity)"}},
	{update.NotUnique, nil, Status{http.StatusBadRequest, "400.4", "Mobile number is not unique (the mobile number belongs to an active entity)"}},
	{update.Invalid, badMobile, Status{http.StatusBadRequest, "400.3", "Mobile number is not in a valid format"}},
	{update.Invalid, nil, Status{http.StatusBadRequest, "400", "Request is valid but data validation failed"}},
	{update.Immutable, nil, Status{http.StatusBadRequest, "400", "Request is valid but data validation failed"}},
	{update.Malformed, nil, Status{http.StatusBadRequest, "400", "Request is not a valid JSON request"}},
	{update.TooLarge, nil, Status{http.StatusBadRequest, "400", "Request exceeds a size limit"}},
	{update.NotFound, byExtKey, Status{http.StatusNotFound, "404.2", "External user could not be found"}},
	{update.NotFound, nil, Status{http.StatusNotFound, "404.1", "User not found"}},
	{update.Forbidden, reading, Status{http.StatusPreconditionFailed, "412", "App has no permission to read this account"}},
	{update.Forbidden, nil, Status{http.StatusPreconditionFailed, "412", "App has no permission to update accounts"}},
	{update.CodeMismatch, nil, Status{http.StatusForbidden, "403", "Code does not match"}},
	{update.Locked, nil, Status{http.StatusForbidden, "403", "Code does not match; too many wrong codes, the verification is locked"}},
	{update.NothingPending, wraps(verify.ErrNoCode), Status{http.StatusNotImplemented, "501.3", "No verification code assigned"}},
	{update.Expired, nil, Status{http.StatusNotImplemented, "501.3", "No verification code assigned (the code has expired)"}},
	{update.NothingPending, nil, Status{http.StatusNotImplemented, "501.2", "Entity does not need verification"}},
	{update.Conflict, nil, Status{http.StatusConflict, "409", "The account was changed concurrently; try again"}},

	{codeUnauthenticated, nil, Status{http.StatusUnauthorized, "401", "App token missing or not recognized"}},
	{codeMethod, nil, Status{http.StatusMethodNotAllowed, "405", "Method not allowed"}},
	{codeRoute, nil, Status{http.StatusNotFound, "404", "Not found"}},
	{update.Internal, nil, Status{http.StatusInternalServerError, codeInternal, "Internal error"}},
}

// enveloped is the HTTP status of s in an envelope: 204 has no body to
// carry one, so it is written 200 with statusCode 204 inside.
func (s Status) enveloped() int {
	if s.HTTP == http.StatusNoContent {
		return http.StatusOK
	}
	return s.HTTP
}

// lookup returns the first row with the Rubiq code; it is how outcomes that
// are not errors (200.1, 204) find their answer.
func lookup(code string) Status {
	for _, r := range errorTable {
		if r.status.Code == code {
			return r.status
		}
	}
	panic("rubiq: no status " + code) // a typo in this package, caught by its tests
}

// ErrorStatus returns the Rubiq answer to err, returned while serving op.
// An error that is not one of the engine's or the handler's is Internal.
func ErrorStatus(err error, op Op) Status {
	e := update.AsError(err)
	for _, r := range errorTable {
		if r.code != "" && r.code == e.Code && (r.when == nil || r.when(e, op)) {
			return r.status
		}
	}
	return lookup(codeInternal)
}

func reason(want string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return e.Reason == want }
}

// wraps reports whether the error wraps target.
func wraps(target error) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return errors.Is(e, target) }
}

func byExtKey(_ *update.Error, op Op) bool { return op.byExtKey() }

func reading(_ *update.Error, op Op) bool { return op.reads() }

// clashOn reports whether a NotUnique error is about the field at path.
func clashOn(path string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		if e.Holder != nil {
			return e.Holder.Key.Name == path
		}
		for _, f := range e.Fields {
			if f.Path == path {
				return true
			}
		}
		return false
	}
}

// holder reports whether a NotUnique error's holder is in state s.
func holder(s storage.RecordState) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return e.Holder != nil && e.Holder.HolderState == s }
}

// badMobile reports whether a validation error concerns the mobile
// number's format: not a string, not a phone number, or not E.164.
func badMobile(e *update.Error, _ Op) bool {
	for _, f := range e.Fields {
		if f.Path != "/"+FieldMobile {
			continue
		}
		switch strings.ToLower(f.Rule) {
		case update.RuleNormalize, update.RuleType, "e164":
			return true
		}
	}
	return false
}
