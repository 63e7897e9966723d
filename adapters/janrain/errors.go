package janrain

import (
	"errors"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/update"
)

// Rules the adapter gives its own errors, besides the engine's rule names.
const (
	ruleMissing     = "missing_argument"    // a required parameter is absent
	ruleDuplicate   = "duplicate_argument"  // a parameter given twice, or two that exclude each other
	ruleEntityType  = "unknown_entity_type" // type_name is not configured
	ruleNewID       = "id_in_new_record"    // entity.create sent an id or uuid
	ruleCreate      = "error_creating_record"
	ruleCredentials = "credentials" // missing or wrong Basic credentials
	ruleMethod      = "method"      // not POST
	ruleEmailInUse  = "email_in_use"
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

// capture is one row of the error table: the HTTP status and Capture's
// numeric code and error name.
type capture struct {
	status int
	code   int
	name   string
}

type errorKey struct {
	code update.Code
	rule string
}

// errorTable is the one mapping from classified errors to Capture's
// answers. A (code, rule) row wins over the code's ("") row; a code
// without a row is an unexpected error. Read-only after package
// initialization.
var errorTable = map[errorKey]capture{
	{update.Malformed, ""}:             {http.StatusBadRequest, 200, "invalid_argument"},
	{update.Malformed, ruleMissing}:    {http.StatusBadRequest, 100, "missing_argument"},
	{update.Malformed, ruleDuplicate}:  {http.StatusBadRequest, 201, "duplicate_argument"},
	{update.Malformed, ruleEntityType}: {http.StatusBadRequest, 222, "unknown_entity_type"},
	{update.Malformed, ruleNewID}:      {http.StatusBadRequest, 320, "id_in_new_record"},
	{update.Malformed, ruleMethod}:     {http.StatusMethodNotAllowed, 200, "invalid_argument"},
	{update.TooLarge, ""}:              {http.StatusBadRequest, 200, "invalid_argument"},

	{update.Invalid, ""}:                   {http.StatusBadRequest, 360, "constraint_violation"},
	{update.Invalid, update.RuleUnknown}:   {http.StatusBadRequest, 223, "unknown_attribute"},
	{update.Invalid, update.RuleReadOnly}:  {http.StatusBadRequest, 234, "reserved_attribute"},
	{update.Invalid, update.RuleImmutable}: {http.StatusBadRequest, 234, "reserved_attribute"},
	{update.Invalid, update.RuleType}:      {http.StatusBadRequest, 341, "invalid_json_type"},
	{update.Invalid, tagDate}:              {http.StatusBadRequest, 340, "invalid_data_format"},
	{update.Invalid, tagDateTime}:          {http.StatusBadRequest, 342, "invalid_date_time"},
	{update.Invalid, update.RuleUnique}:    {http.StatusBadRequest, 361, "unique_violation"},
	{update.Invalid, update.RuleLocal}:     {http.StatusBadRequest, 361, "unique_violation"},
	{update.Invalid, ruleEmailInUse}:       {http.StatusBadRequest, 380, "email_address_in_use"},
	{update.Invalid, update.RuleRequired}:  {http.StatusBadRequest, 362, "missing_required_attribute"},
	{update.Invalid, ruleLength}:           {http.StatusBadRequest, 363, "length_violation"},
	{update.Invalid, update.RuleLimit}:     {http.StatusBadRequest, 363, "length_violation"},
	{update.Immutable, ""}:                 {http.StatusBadRequest, 234, "reserved_attribute"},
	{update.NotUnique, ""}:                 {http.StatusBadRequest, 361, "unique_violation"},
	{update.NotUnique, ruleEmailInUse}:     {http.StatusBadRequest, 380, "email_address_in_use"},
	{update.NotFound, ""}:                  {http.StatusBadRequest, 310, "record_not_found"},
	{update.Conflict, ""}:                  {http.StatusBadRequest, 330, "timestamp_mismatch"},
	{update.Forbidden, ""}:                 {http.StatusForbidden, 403, "client_permission_error"},
	{update.Forbidden, ruleCredentials}:    {http.StatusUnauthorized, 403, "client_permission_error"},
	{update.Throttled, ""}:                 {http.StatusTooManyRequests, 510, "api_limit_error"},
	{update.Internal, ""}:                  {http.StatusInternalServerError, 500, "unexpected_error"},
	{update.Internal, ruleCreate}:          {http.StatusInternalServerError, 300, "error_creating_record"},
}

// lookup returns the table row for a classified error.
func lookup(code update.Code, rule string) capture {
	if c, ok := errorTable[errorKey{code, rule}]; ok {
		return c
	}
	if c, ok := errorTable[errorKey{code, ""}]; ok {
		return c
	}
	return errorTable[errorKey{update.Internal, ""}]
}

// ErrorResponse is Capture's error body.
type ErrorResponse struct {
	Stat        string `json:"stat"`
	Code        int    `json:"code"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Argument    string `json:"argument_name,omitempty"`
	RequestID   string `json:"request_id"`
}

// EncodeError classifies err and returns the status and Capture body for
// it. c is the decoded call, or nil when the request failed before it was
// decoded; an engine error names the parameter its cause came in. Internal
// errors are described generically, never with their cause.
func EncodeError(err error, c *Call, requestID string) (int, ErrorResponse) {
	code, rule, arg, desc := classify(err, c)
	row := lookup(code, rule)
	return row.status, ErrorResponse{
		Stat: "error", Code: row.code, Error: row.name,
		Description: desc, Argument: arg, RequestID: requestID,
	}
}

func classify(err error, c *Call) (code update.Code, rule, arg, desc string) {
	var ae *argError
	if errors.As(err, &ae) {
		return ae.code, ae.rule, ae.arg, ae.msg
	}
	e := update.AsError(err)
	if e.Code == update.Internal {
		return update.Internal, "", "", "unexpected error"
	}
	if len(e.Fields) > 0 {
		rule = e.Fields[0].Rule
	}
	if e.Code == update.NotUnique && clashPath(e) == "/email" {
		rule = ruleEmailInUse
	}
	if rule == update.RuleUnique && clashPath(e) == "/email" {
		rule = ruleEmailInUse
	}
	if c == nil {
		c = &Call{}
	}
	switch {
	case e.Code == update.NotFound && rule != update.RuleElement && c.LocatorArg != "":
		arg = c.LocatorArg
	case e.Code == update.Conflict && c.LastUpdated != nil:
		arg = "lastUpdated"
	case e.Code == update.Conflict && c.Created != nil:
		arg = "created"
	case c.ValueArg != "":
		arg = c.ValueArg
	case len(c.Path) > 0:
		arg = "attribute_name"
	}
	return e.Code, rule, arg, describe(e)
}

// clashPath returns the path of the unique value that clashed.
func clashPath(e *update.Error) string {
	if e.Holder != nil {
		return e.Holder.Key.Name
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Path
	}
	return ""
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
