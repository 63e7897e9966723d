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
	codeUnavailable  update.Code = "druid.unavailable"  // the token table is full
)

// outcome is one row of the error table.
type outcome struct {
	status int
	// message is the vendor's text; "" takes the error's own client-safe
	// message (the adapter's own errors, which name what is missing).
	message string
}

// outcomeKey selects a row: the error code and, where DRUID answers
// differently for one code, the engine's Reason.
type outcomeKey struct {
	code   update.Code
	reason string
}

// outcomes is the adapter's one error table: every status DRUID answers
// with, other than 200 and 304, comes from here.
var outcomes = map[outcomeKey]outcome{
	{code: update.Invalid}:                             {status: http.StatusBadRequest, message: "invalid data"},
	{code: update.Malformed}:                           {status: http.StatusBadRequest},
	{code: update.Immutable}:                           {status: http.StatusBadRequest, message: "field cannot be changed"},
	{code: update.TooLarge}:                            {status: http.StatusRequestEntityTooLarge},
	{code: update.NotFound}:                            {status: http.StatusNotFound, message: "user not found"},
	{code: update.NotUnique}:                           {status: http.StatusConflict, message: "id already in use"},
	{code: update.Conflict}:                            {status: http.StatusConflict, message: "user changed concurrently, try again"},
	{code: update.Forbidden}:                           {status: http.StatusForbidden},
	{code: update.CodeMismatch}:                        {status: http.StatusBadRequest, message: "code not found"},
	{code: update.Expired}:                             {status: http.StatusBadRequest, message: "code has expired"},
	{code: update.Locked}:                              {status: http.StatusBadRequest, message: "code blocked after too many attempts"},
	{code: update.NothingPending}:                      {status: http.StatusBadRequest, message: "code not found"},
	{code: update.NothingPending, reason: "confirmed"}: {status: http.StatusBadRequest, message: "code has already been used"},
	{code: update.Throttled}:                           {status: http.StatusTooManyRequests, message: "notification already requested, try again later"},
	{code: update.Internal}:                            {status: http.StatusInternalServerError, message: "internal error"},
	{code: codeUnauthorized}:                           {status: http.StatusUnauthorized},
	{code: codeNoScope}:                                {status: http.StatusForbidden},
	{code: codeMethod}:                                 {status: http.StatusMethodNotAllowed},
	{code: codeUnavailable}:                            {status: http.StatusServiceUnavailable},
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

// EncodeError returns the HTTP status and DRUID body for err. A nil err is
// treated as Internal. Codes missing from the table are Internal too, so an
// error never reaches a client unclassified. Field errors become one entry
// each, named by the vendor's field name.
func EncodeError(err error) (int, ErrorBody) {
	e := update.AsError(err)
	if err == nil {
		e = update.Errorf(update.Internal, "internal error")
	}
	o, ok := outcomes[outcomeKey{code: e.Code, reason: e.Reason}]
	if !ok {
		o, ok = outcomes[outcomeKey{code: e.Code}]
	}
	if !ok {
		o = outcomes[outcomeKey{code: update.Internal}]
		e = update.Errorf(update.Internal, "internal error")
	}
	msg := o.message
	if msg == "" {
		msg = update.ErrorMessage(e)
	}
	body := ErrorBody{Result: ErrorResult{Status: o.status, Errors: []ErrorMessage{{Message: msg}}}}
	if e.Code != update.Internal {
		for _, f := range e.Fields {
			body.Result.Errors = append(body.Result.Errors, ErrorMessage{Message: vendorField(f.Path) + ": " + f.Message})
		}
		if e.Code == update.NotUnique && e.Holder != nil && len(e.Fields) == 0 {
			body.Result.Errors = append(body.Result.Errors, ErrorMessage{Message: vendorField(e.Holder.Key.Name) + ": already in use"})
		}
	}
	return o.status, body
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
