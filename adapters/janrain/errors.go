package janrain

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/idupdate/idupdate/update"
)

// Rules the adapter gives its own errors, besides the engine's rule names.
const (
	ruleMissing     = "missing_argument"    // a required parameter is absent
	ruleDuplicate   = "duplicate_argument"  // a parameter given twice, or two that exclude each other
	ruleEntityType  = "unknown_entity_type" // type_name is not configured
	ruleNewID       = "id_in_new_record"    // entity.create sent an id or uuid
	ruleCreate      = "error_creating_record"
	ruleCredentials = "credentials"      // missing or wrong Basic credentials
	ruleMethod      = "method"           // not POST
	ruleUnknownArg  = "unknown_argument" // a parameter the operation does not take
)

// argError is an error the adapter finds itself, before or around the
// engine. It is classified like an engine error, by an update.Code and a
// rule, so one table maps both.
type argError struct {
	code update.Code
	rule string
	arg  string // the Capture parameter at fault, "" if none
	msg  string // safe to show the client
}

func (e *argError) Error() string { return e.msg }

func newArgError(code update.Code, rule, arg, msg string) error {
	return &argError{code: code, rule: rule, arg: arg, msg: msg}
}

// okStatus is the status of every successful answer; Capture tells
// success from failure by the body's stat, and so do its clients.
const okStatus = http.StatusOK

// errorRow is one row of the error table: the errors it answers (a code,
// and when set a refinement of it) and Capture's answer: the HTTP status,
// its numeric code and error name.
type errorRow struct {
	code    update.Code
	when    func(e *update.Error, op Op) bool
	status  int
	capture int
	name    string
}

// errorTable is the one mapping from errors to Capture's answers, and the
// only place HTTP statuses appear. The first row whose code matches and
// whose refinement (if any) holds answers, so refined rows come first; an
// error no row answers is an unexpected error.
var errorTable = []errorRow{
	{update.Malformed, rule(ruleMissing), http.StatusBadRequest, 100, "missing_argument"},
	{update.Malformed, rule(ruleDuplicate), http.StatusBadRequest, 201, "duplicate_argument"},
	{update.Malformed, rule(ruleEntityType), http.StatusBadRequest, 222, "unknown_entity_type"},
	{update.Malformed, rule(ruleNewID), http.StatusBadRequest, 320, "id_in_new_record"},
	{update.Malformed, rule(ruleMethod), http.StatusMethodNotAllowed, 200, "invalid_argument"},
	{update.Malformed, rule(ruleFilterOperator), http.StatusBadRequest, 485, "invalid_filter_operator"},
	{update.Malformed, nil, http.StatusBadRequest, 200, "invalid_argument"},
	{update.TooLarge, nil, http.StatusBadRequest, 200, "invalid_argument"},

	{update.Invalid, rule(update.RuleUnknown), http.StatusBadRequest, 223, "unknown_attribute"},
	{update.Invalid, rule(update.RuleReadOnly), http.StatusBadRequest, 234, "reserved_attribute"},
	{update.Invalid, rule(update.RuleImmutable), http.StatusBadRequest, 234, "reserved_attribute"},
	{update.Invalid, rule(update.RuleType), http.StatusBadRequest, 341, "invalid_json_type"},
	{update.Invalid, rule(tagDate), http.StatusBadRequest, 340, "invalid_data_format"},
	{update.Invalid, rule(tagDateTime), http.StatusBadRequest, 342, "invalid_date_time"},
	{update.Invalid, emailInUse, http.StatusBadRequest, 380, "email_address_in_use"},
	{update.Invalid, rule(update.RuleUnique), http.StatusBadRequest, 361, "unique_violation"},
	{update.Invalid, rule(update.RuleLocal), http.StatusBadRequest, 361, "unique_violation"},
	{update.Invalid, rule(update.RuleRequired), http.StatusBadRequest, 362, "missing_required_attribute"},
	{update.Invalid, rule(ruleLength), http.StatusBadRequest, 363, "length_violation"},
	{update.Invalid, rule(update.RuleLimit), http.StatusBadRequest, 363, "length_violation"},
	{update.Invalid, nil, http.StatusBadRequest, 360, "constraint_violation"},
	{update.Immutable, nil, http.StatusBadRequest, 234, "reserved_attribute"},
	{update.NotUnique, emailInUse, http.StatusBadRequest, 380, "email_address_in_use"},
	{update.NotUnique, nil, http.StatusBadRequest, 361, "unique_violation"},
	{update.NotFound, nil, http.StatusBadRequest, 310, "record_not_found"},
	{update.Conflict, nil, http.StatusBadRequest, 330, "timestamp_mismatch"},
	{update.Forbidden, rule(ruleCredentials), http.StatusUnauthorized, 403, "client_permission_error"},
	{update.Forbidden, nil, http.StatusForbidden, 403, "client_permission_error"},
	{update.Throttled, nil, http.StatusTooManyRequests, 510, "api_limit_error"},
	{update.Internal, rule(ruleCreate), http.StatusInternalServerError, 300, "error_creating_record"},
	{update.Internal, nil, http.StatusInternalServerError, 500, "unexpected_error"},
}

// lookup returns the row that answers e, returned while serving op.
func lookup(e *update.Error, op Op) errorRow {
	for _, r := range errorTable {
		if r.code == e.Code && (r.when == nil || r.when(e, op)) {
			return r
		}
	}
	return errorTable[len(errorTable)-1]
}

// rule matches an error whose first failing field broke the rule: Capture
// answers with one code, that of the first problem.
func rule(name string) func(*update.Error, Op) bool {
	return func(e *update.Error, _ Op) bool { return len(e.Fields) > 0 && e.Fields[0].Rule == name }
}

// emailInUse matches a uniqueness clash on the email attribute, which
// Capture answers with a code of its own.
func emailInUse(e *update.Error, _ Op) bool {
	if e.Code == update.NotUnique && e.Holder != nil {
		return e.Holder.Key.Name == "/email"
	}
	return len(e.Fields) > 0 && e.Fields[0].Path == "/email" &&
		(e.Fields[0].Rule == update.RuleUnique || e.Code == update.NotUnique)
}

// ErrorBody is Capture's error body.
type ErrorBody struct {
	Stat        string `json:"stat"`
	Code        int    `json:"code"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Argument    string `json:"argument_name,omitempty"`
	RequestID   string `json:"request_id"`
}

// EncodeError returns the status and Capture body for err, returned while
// serving op. The handler first passes engine errors through the call's
// blame, which names the parameter they came in; the request id is the
// handler's to add. Internal errors are described generically, never with
// their cause.
func EncodeError(err error, op Op) (int, ErrorBody) {
	e, arg, desc := classify(err)
	row := lookup(e, op)
	return row.status, ErrorBody{Stat: "error", Code: row.capture, Error: row.name, Description: desc, Argument: arg}
}

// classify returns the error the table is searched with, the parameter at
// fault and the client-safe description.
func classify(err error) (e *update.Error, arg, desc string) {
	var ae *argError
	if errors.As(err, &ae) {
		return &update.Error{Code: ae.code, Message: ae.msg, Fields: []update.FieldError{{Rule: ae.rule}}}, ae.arg, ae.msg
	}
	e = update.AsError(err)
	if e.Code == update.Internal {
		return e, "", "unexpected error"
	}
	desc = describe(e)
	var b *blamed
	if errors.As(err, &b) {
		arg = b.arg
		if b.desc != "" {
			desc = b.desc
		}
	}
	return e, arg, desc
}

// Blame names the parameter an engine error came in, as Capture's
// argument_name does. Errors the adapter raised itself name theirs
// already and pass unchanged, as do internal errors.
func (c *Call) Blame(err error) error {
	var ae *argError
	if c == nil || err == nil || errors.As(err, &ae) {
		return err
	}
	e := update.AsError(err)
	if e.Code == update.Internal {
		return err
	}
	var arg, desc string
	switch {
	case e.Code == update.Conflict:
		arg, desc = c.timestampMismatch(e)
	case e.Code == update.NotFound && isElementMiss(e) && !c.Path.plain():
		arg = "attribute_name" // the element attribute_name selects
	case e.Code == update.NotFound && !isElementMiss(e) && c.LocatorArg != "":
		arg = c.LocatorArg
	case c.ValueArg != "":
		arg = c.ValueArg
	case len(c.Path) > 0:
		arg = "attribute_name"
	}
	return &blamed{err: err, arg: arg, desc: desc}
}

// queryArgs maps the parts of a storage query the engine refuses
// (storage.QueryError.Field) to the parameters they came in.
var queryArgs = map[string]string{"filter": "filter", "sort": "sort_on", "limit": "max_results", "offset": "first_result"}

// Blame names the parameter an engine error of a search came in: the
// filter, sort_on, max_results or first_result the engine refused.
func (s *Search) Blame(err error) error {
	var ae *argError
	if err == nil || errors.As(err, &ae) {
		return err
	}
	e := update.AsError(err)
	if e.Code != update.Malformed || len(e.Fields) == 0 || e.Fields[0].Rule != update.RuleQuery {
		return err
	}
	arg := queryArgs[e.Fields[0].Param]
	if arg == "" {
		arg = "filter"
	}
	return &blamed{err: err, arg: arg, desc: arg + ": " + e.Fields[0].Path + " " + e.Fields[0].Message}
}

// timestampMismatch names the precondition a Conflict failed and says so
// in Capture's terms. A conflict the client sent no precondition for is a
// write race the store gave up on: sending the call again is the remedy.
func (c *Call) timestampMismatch(e *update.Error) (arg, desc string) {
	switch {
	case e.Reason == update.ReasonUpdated:
		return "lastUpdated", "lastUpdated does not match the record's" + compared(e.Mismatch, c.LastUpdated)
	case e.Reason == update.ReasonCreated:
		return "created", "created does not match the record's" + compared(e.Mismatch, c.Created)
	}
	return "", "the record changed while the call was applied; send it again"
}

// compared shows the record's timestamp and the one sent, in Capture's
// format.
func compared(m *update.Mismatch, sent *time.Time) string {
	switch {
	case m != nil:
		return ": the record has " + FormatTime(m.Actual) + ", the call sent " + FormatTime(m.Expected)
	case sent != nil:
		return ": the call sent " + FormatTime(*sent)
	}
	return ""
}

// blamed is an engine error with the parameter it came in and, where the
// adapter can say it better in Capture's terms, its description.
type blamed struct {
	err  error
	arg  string
	desc string
}

func (b *blamed) Error() string { return b.err.Error() }
func (b *blamed) Unwrap() error { return b.err }

// isElementMiss reports whether a NotFound is about a plural element, not
// the record.
func isElementMiss(e *update.Error) bool {
	return len(e.Fields) > 0 && e.Fields[0].Rule == update.RuleElement
}

// describe writes the engine's message and every failing field.
func describe(e *update.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, "attribute "+f.Path+": "+f.Message)
	}
	return strings.Join(parts, "; ")
}
