package druid

import (
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/update"
)

// Codes of the failures the adapter itself detects, beside the engine's.
// They share the one table below with update's codes.
const (
	codeUnauthorized update.Code = "druid.unauthorized" // token or verifier missing, unknown, expired or reused
	codeNoScope      update.Code = "druid.scope"        // the token lacks the scope the call needs
	codeMethod       update.Code = "druid.method"       // a known path with another method
	codeRoute        update.Code = "druid.route"        // no endpoint at this path
)

// Op names the endpoint an answer is for.
type Op int

// The endpoints.
const (
	OpToken Op = iota
	OpUpdate
	OpConfirm
	OpResend
	OpBulk
)

// errorRow is one row of the error table: the code it answers, an
// optional refinement, and DRUID's answer. An empty message takes the
// error's own client-safe message (the adapter's own errors, which name
// what is missing).
type errorRow struct {
	code    update.Code
	when    func(e *update.Error, op Op) bool
	status  int
	message string
}

// errorTable is the adapter's one error table: every status DRUID answers
// with, other than 200 and 304, comes from here. The first row whose code
// matches and whose refinement (if any) holds answers; an error no row
// answers is Internal.
var errorTable = []errorRow{
	{update.Invalid, onlyRule(update.RuleVerified), http.StatusBadRequest, "confirmed id cannot be removed, only replaced"},
	{update.Invalid, nil, http.StatusBadRequest, "invalid data"},
	{update.Malformed, nil, http.StatusBadRequest, ""},
	{update.Immutable, nil, http.StatusBadRequest, "field cannot be changed"},
	{update.TooLarge, nil, http.StatusRequestEntityTooLarge, ""},
	{update.NotFound, nil, http.StatusNotFound, "user not found"},
	{update.NotUnique, nil, http.StatusConflict, "id already in use"},
	{update.Conflict, nil, http.StatusConflict, "user changed concurrently, try again"},
	{update.Forbidden, nil, http.StatusForbidden, ""},
	{update.CodeMismatch, nil, http.StatusBadRequest, "code not found"},
	{update.Expired, nil, http.StatusBadRequest, "code has expired"},
	{update.Locked, nil, http.StatusBadRequest, "code blocked after too many attempts"},
	{update.NothingPending, reason(update.ReasonConfirmed), http.StatusBadRequest, "code has already been used"},
	{update.NothingPending, nil, http.StatusBadRequest, "code not found"},
	{update.Throttled, reason(update.ReasonQuota), http.StatusTooManyRequests, ""},
	{update.Throttled, nil, http.StatusTooManyRequests, "notification already requested, try again later"},
	{codeUnauthorized, nil, http.StatusUnauthorized, ""},
	{codeNoScope, nil, http.StatusForbidden, ""},
	{codeMethod, nil, http.StatusMethodNotAllowed, ""},
	{codeRoute, nil, http.StatusNotFound, ""},
	{update.Internal, nil, http.StatusInternalServerError, "internal error"},
}

func reason(want string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return e.Reason == want }
}

// onlyRule holds for an error every field of which failed rule.
func onlyRule(rule string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool {
		for _, f := range e.Fields {
			if f.Rule != rule {
				return false
			}
		}
		return len(e.Fields) > 0
	}
}

// lookup returns the row that answers e, returned while serving op.
func lookup(e *update.Error, op Op) (errorRow, bool) {
	for _, r := range errorTable {
		if r.code == e.Code && (r.when == nil || r.when(e, op)) {
			return r, true
		}
	}
	return errorTable[len(errorTable)-1], false
}

// ErrorBody is DRUID's error document.
type ErrorBody struct {
	Result ErrorResult `json:"result"`
}

// ErrorResult is the result member of an error document.
type ErrorResult struct {
	Status int            `json:"status"`
	Errors []ErrorMessage `json:"errors"`
}

// ErrorMessage is one entry of an error document.
type ErrorMessage struct {
	Message string `json:"message"`
}

// EncodeError returns the HTTP status and DRUID body for err, returned
// while serving op. A nil err is treated as Internal. Codes missing from
// the table are Internal too, so an error never reaches a client
// unclassified. Field errors become one entry each, named by the vendor's
// field name.
func EncodeError(err error, op Op) (int, ErrorBody) {
	e := update.AsError(err)
	if err == nil {
		e = update.Errorf(update.Internal, "internal error")
	}
	o, ok := lookup(e, op)
	if !ok {
		e = update.Errorf(update.Internal, "internal error")
	}
	msg := o.message
	if msg == "" {
		msg = update.ErrorMessage(e)
	}
	body := ErrorBody{Result: ErrorResult{Status: o.status, Errors: []ErrorMessage{{Message: msg}}}}
	if e.Code != update.Internal {
		for _, f := range e.Fields {
			body.Result.Errors = append(body.Result.Errors, ErrorMessage{Message: fieldMessage(f)})
		}
		if e.Code == update.NotUnique && e.Holder != nil && len(e.Fields) == 0 {
			body.Result.Errors = append(body.Result.Errors, ErrorMessage{Message: vendorField(e.Holder.Key.Name) + ": already in use"})
		}
	}
	return o.status, body
}

// fieldMessage is one field's entry in an error body. DRUID names the id,
// not its value, when it refuses to drop a confirmed one.
func fieldMessage(f update.FieldError) string {
	if id, ok := idByPath(f.Path); ok && f.Rule == update.RuleVerified {
		return "object.ids." + id.name + ": is confirmed and cannot be removed, only replaced"
	}
	return vendorField(f.Path) + ": " + f.Message
}

// vendorField names an engine path the way a DRUID request spells it.
func vendorField(path string) string {
	if f, ok := idByPath(path); ok {
		if path == f.confirmPath {
			return "object.ids." + f.name + ".confirmed"
		}
		return "object.ids." + f.name + ".value"
	}
	if path == "" || !strings.HasPrefix(path, "/") {
		return path
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return "object." + strings.Join(segs, ".")
}

// failure builds an adapter error with a client-safe message.
func failure(code update.Code, msg string) error { return &update.Error{Code: code, Message: msg} }

// failureWrap is failure that keeps the cause for logs.
func failureWrap(code update.Code, msg string, cause error) error {
	return &update.Error{Code: code, Message: msg, Err: cause}
}

// The statuses of success, beside the error table so every status the
// adapter answers with is in this one file.
const (
	statusOK          = http.StatusOK
	statusNotModified = http.StatusNotModified
)
