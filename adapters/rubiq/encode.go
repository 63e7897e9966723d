package rubiq

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
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
	s := updateStatus(res)
	return s, &Body{Status: BodyStatus{Code: s.Code, Text: s.Text}}
}

// updateStatus returns the status of EncodeUpdate's answer to res.
func updateStatus(res *update.Result) Status { return updateAnswers[updateRank(res)].status }

// The outcomes of a successful 1003 call, by rank: the higher wins when
// an update opens several verifications.
const (
	rankUpdated = iota
	rankDispatched
	rankCooldown
	rankWindow
)

// updateAnswers holds the answer of each outcome of a successful 1003
// call, by rank, encoded once as encodedStatus holds them.
var updateAnswers = func() (a [rankWindow + 1]struct {
	status  Status
	encoded [2][]byte
}) {
	for rank, code := range [...]string{rankUpdated: codeUpdated, rankDispatched: codeDispatched, rankCooldown: codeCooldown, rankWindow: codeWindow} {
		a[rank].status = lookup(code)
		a[rank].encoded = encodedStatus[a[rank].status]
	}
	return a
}()

// updateRank returns the rank of the outcome of res, as updateStatus
// describes.
func updateRank(res *update.Result) int {
	rank := rankUpdated
	for _, p := range res.Pending {
		if p.State != verify.Pending {
			continue
		}
		r := rankCooldown
		switch {
		case p.Throttled == string(verify.WindowLimit):
			r = rankWindow
		case p.Throttled == "" && p.DispatchError == "" && p.Dispatched:
			r = rankDispatched
		}
		rank = max(rank, r)
	}
	return rank
}

// encodedStatus holds the answer of every status in errorTable whose body
// names no failing field, encoded once: plain (a Body) and enveloped (an
// Envelope without data). Most answers are one of them.
var encodedStatus = func() map[Status][2][]byte {
	m := make(map[Status][2][]byte, len(errorTable))
	for _, row := range errorTable {
		s := row.status
		_, env := EncodeEnvelope(s, nil, nil)
		m[s] = [2][]byte{httpx.Encode(&Body{Status: BodyStatus{Code: s.Code, Text: s.Text}}), httpx.Encode(env)}
	}
	return m
}()

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

// Account is the answer of a 1002 read: the entity's dp-keyid under
// MemberDPKeyID and the fields of the request's contract that hold a
// value. Rubiq leaves fields without a value out, and so does Account.
type Account map[string]any

// MemberDPKeyID is the member of Account that carries the entity's
// dp-keyid. It is a JSON number when the id is a decimal number of at
// most 15 digits without a leading zero (Rubiq's own ids are), else a
// string.
const MemberDPKeyID = "dpKeyid"

var numericID = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)

// EncodeAccount returns the answer to a successful 1002 read of v through
// contract. v is the engine's view, already redacted and limited by the
// app's grant; only the contract's fields of it are shown, so a verified
// flag, a pending value or a field outside the contract never is.
func EncodeAccount(v *update.View, contract []string) (Status, Account) {
	out := Account{MemberDPKeyID: v.ID}
	if numericID.MatchString(v.ID) {
		out[MemberDPKeyID] = json.Number(v.ID)
	}
	for _, f := range contract {
		if val, ok := v.Doc[f]; ok && val != nil {
			out[f] = val
		}
	}
	return statusRead, out
}

// Envelope is every answer to an app in FormatEnvelope:
//
//	{"status":{"statusCode":200.1,"statusText":"A verification request has been dispatched"},"data":null}
//
// Data is the account of a read, the failing fields of a 400 (EnvelopeErrors),
// and null otherwise.
type Envelope struct {
	Status EnvelopeStatus `json:"status"`
	Data   any            `json:"data"`
}

// EnvelopeStatus carries the full Rubiq status code as a JSON number and
// its text.
type EnvelopeStatus struct {
	Code json.Number `json:"statusCode"`
	Text string      `json:"statusText"`
}

// EnvelopeErrors is the data of an error answer that names failing
// fields or says what was malformed.
type EnvelopeErrors struct {
	Errors []BodyError `json:"errors"`
}

// EncodeEnvelope wraps an answer, given as its status, its plain body
// (nil for 204 and for a read) and a read's account (nil otherwise), for
// an app in FormatEnvelope. It returns the HTTP status to write: the
// status's own, except that 204 becomes 200, as the envelope is a body.
func EncodeEnvelope(s Status, b *Body, account Account) (int, *Envelope) {
	env := &Envelope{Status: EnvelopeStatus{Code: json.Number(s.Code), Text: s.Text}}
	switch {
	case account != nil:
		env.Data = account
	case b != nil && len(b.Errors) > 0:
		env.Data = EnvelopeErrors{Errors: b.Errors}
	}
	return s.enveloped(), env
}
