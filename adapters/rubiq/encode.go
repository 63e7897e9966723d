package rubiq

import (
	"strings"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Body is the JSON body of every answer but 204:
//
//	{"status":{"statusCode":"200.1","statusText":"A verification request has been dispatched"}}
//
// Errors lists the failing fields of a 400, when there are any.
type Body struct {
	Status BodyStatus  `json:"status"`
	Errors []BodyError `json:"errors,omitempty"`
}

// BodyStatus carries the full Rubiq status code, sub-code included.
type BodyStatus struct {
	Code string `json:"statusCode"`
	Text string `json:"statusText"`
}

// BodyError is one failing field: its name ("" for the request as a
// whole), the rule it broke and why.
type BodyError struct {
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// EncodeUpdate returns the answer to a successful 1003 call. The sub-code
// reports the verifications the call opened, the one most in need of the
// caller's attention first: 200.2 when a send was refused by the window
// limit, else 200.3 when one was refused by the cooldown or is still
// waiting to be sent (a failed dispatch stays resendable), else 200.1 when
// a code was dispatched, else 200.
func EncodeUpdate(res *update.Result) (Status, *Body) {
	code := codeUpdated
	rank := map[string]int{codeUpdated: 0, codeDispatched: 1, codeCooldown: 2, codeWindow: 3}
	for _, p := range res.Pending {
		if p.State != verify.Pending {
			continue
		}
		c := codeCooldown
		switch {
		case p.Throttled == string(verify.WindowLimit):
			c = codeWindow
		case p.Throttled == "" && p.DispatchError == "" && p.Dispatched:
			c = codeDispatched
		}
		if rank[c] > rank[code] {
			code = c
		}
	}
	s := lookup(code)
	return s, &Body{Status: BodyStatus{Code: s.Code, Text: s.Text}}
}

// EncodeVerify returns the answer to a successful 2004 call: 204 and no
// body.
func EncodeVerify(*update.Result) (Status, *Body) { return lookup(codeVerified), nil }

// EncodeError returns the HTTP status and the answer to err, returned
// while serving op. The body names the failing fields of a validation
// error and repeats the engine's client-safe message for a malformed or
// oversized request; nothing else of err reaches the client.
func EncodeError(err error, op Op) (int, *Body) {
	s := ErrorStatus(err, op)
	b := &Body{Status: BodyStatus{Code: s.Code, Text: s.Text}}
	for _, f := range update.ErrorFields(err) {
		b.Errors = append(b.Errors, BodyError{Field: fieldName(f.Path), Rule: f.Rule, Message: f.Message})
	}
	switch update.ErrorCode(err) {
	case update.Malformed, update.TooLarge:
		if len(b.Errors) == 0 {
			b.Errors = []BodyError{{Message: update.ErrorMessage(err)}}
		}
	}
	return s.HTTP, b
}

// fieldName turns a top-level JSON Pointer back into a member name.
func fieldName(path string) string {
	name := strings.TrimPrefix(path, "/")
	return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
}
