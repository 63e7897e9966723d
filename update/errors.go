package update

import (
	"errors"
	"fmt"
	"strings"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// Code classifies an error. Each adapter maps codes, and nothing else, to
// its vendor's statuses, so a code says what went wrong in terms a client
// can act on.
type Code string

// The error codes. Every error the engine returns carries one of them.
const (
	Invalid        Code = "invalid"         // a value broke a rule; Fields lists each one
	NotFound       Code = "not_found"       // no such record, path or plural element
	Conflict       Code = "conflict"        // a precondition (version, created, updated) failed
	NotUnique      Code = "not_unique"      // a unique value is held by another record
	Forbidden      Code = "forbidden"       // the client's grant does not allow this
	Immutable      Code = "immutable"       // a write to a read-only or set-once field
	Malformed      Code = "malformed"       // the request itself is unusable (bad JSON, bad pointer, bad template)
	TooLarge       Code = "too_large"       // a limit (bytes, depth, length, count) was exceeded
	Expired        Code = "expired"         // the verification code's time is up
	Locked         Code = "locked"          // too many wrong codes; the challenge is closed
	CodeMismatch   Code = "code_mismatch"   // a wrong verification code or current password
	NothingPending Code = "nothing_pending" // there is no challenge to confirm, resend or cancel
	Throttled      Code = "throttled"       // a resend was refused by the limiter; Reason says why
	Unauthorized   Code = "unauthorized"    // the token of Request.Spend cannot be spent; Reason says why
	Internal       Code = "internal"        // anything else; its details are not for clients
)

// Rule names used in FieldError.Rule besides validator tags (which appear
// as written, e.g. "email", "max", "e164").
const (
	RuleRequired   = "required"       // a required field is missing or null
	RuleType       = "type"           // the JSON type is wrong
	RuleUnknown    = "unknown"        // the path is not declared and unknown attributes are rejected
	RuleReadOnly   = "readonly"       // the field is server-owned
	RuleImmutable  = "immutable"      // the field is set once
	RuleUnique     = "unique"         // the value is held by another record
	RuleLocal      = "locally_unique" // the value repeats inside one plural
	RuleComplexity = "complexity"     // a password misses the complexity rule
	RuleHash       = "hash"           // a pre-hashed secret is of a refused format or cost
	RuleLimit      = "limit"          // a size limit
	RuleGrant      = "grant"          // the client may not write this path
	RuleNormalize  = "normalize"      // the value could not be normalized (e.g. not a phone number)
	RuleTemplate   = "template"       // a link template does not parse or render
	RuleVerified   = "verified"       // a verified value would be removed (Confirm.KeepVerified)
	RuleElement    = "element"        // a plural element key that does not exist
	RuleSelector   = "selector"       // a key selector that is malformed or not on a keyed plural
	RuleCurrent    = "current"        // SecretValue.Current does not match the stored secret
	RuleTenant     = "tenant"         // a tenant value that is empty, too long or holds control characters
)

// Params of RuleComplexity failures, one per part of the rule missed. The
// length params carry the limit: "minLength=8", "maxLength=72".
const (
	ParamMinLength = "minLength"
	ParamMaxLength = "maxLength"
	ParamLower     = "lower"
	ParamUpper     = "upper"
	ParamDigit     = "digit"
	ParamSymbol    = "symbol"
)

// Reasons refine an Error's code where clients answer differently.
const (
	ReasonVersion    = "version"    // Conflict: Expect.Version did not match
	ReasonCreated    = "created"    // Conflict: Expect.Created did not match
	ReasonUpdated    = "updated"    // Conflict: Expect.Updated did not match
	ReasonExists     = "exists"     // Conflict: Create with an id already taken
	ReasonConcurrent = "concurrent" // Conflict: a store gave up on a write race
	ReasonCooldown   = "cooldown"   // Throttled: a code went out moments ago
	ReasonWindow     = "window"     // Throttled: the sends of the window are used up
	ReasonQuota      = "quota"      // Throttled: the client's or the subject's quota is used up
	ReasonNone       = "none"       // NothingPending: no challenge at all
	ReasonConfirmed  = "confirmed"  // NothingPending: the code was already used
	ReasonNoCode     = "no_code"    // NothingPending: the challenge waits for its first code
	ReasonNoTarget   = "no_target"  // NotFound: a Modify selected nothing to act on
	ReasonChanged    = "changed"    // NothingPending: the value to verify changed meanwhile
	ReasonType       = "type"       // NotFound: the entity type is not in the policy
	ReasonRecord     = "record"     // NotFound: no such record
)

// Reasons of Unauthorized: why the token of Request.Spend cannot be spent.
const (
	ReasonTokenUnknown = "token_unknown" // never issued, or purged
	ReasonTokenSpent   = "token_spent"   // used already
	ReasonTokenExpired = "token_expired" // its time is up
)

// FieldError is one failing field.
type FieldError struct {
	Path    string `json:"path"`            // JSON Pointer of the field
	Rule    string `json:"rule"`            // the rule that failed; see the Rule constants
	Param   string `json:"param,omitempty"` // the rule's parameter, e.g. "200" for max=200
	Message string `json:"message"`
}

// Error is the engine's error: a code, a message safe to show a client,
// the failing fields, and the cause (never shown to clients).
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Holder is set on NotUnique: the state of the record that holds the
	// value, and which key clashed.
	Holder *storage.NotUniqueError
	// Reason refines some codes; see the Reason constants.
	Reason string
	// Mismatch is set on a Conflict from an Expect precondition: what was
	// expected and what the record holds.
	Mismatch *Mismatch
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Path, f.Message)
		if i == len(e.Fields)-1 {
			b.WriteString("]")
		}
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, "" for nil, and Internal for any other error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns a message safe to show a client: the message of the
// first *Error in err's chain, or a generic text for anything else, so
// internal details never reach a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the failing fields of err, if it carries any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// AsError returns the *Error in err's chain, or an Internal one wrapping err.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// storeError maps a store error to the engine's.
func (e *Engine) storeError(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	if se := (*storage.SpendError)(nil); errors.As(err, &se) {
		return spendError(se)
	}
	var nu *storage.NotUniqueError
	switch {
	case errors.As(err, &nu):
		h := *nu
		h.Key = unscopeKey(nu.Key) // as the client names it, without a tenant
		return &Error{Code: NotUnique, Message: fmt.Sprintf("%s is already in use", h.Key.Name), Holder: &h, Err: err,
			Fields: []FieldError{{Path: h.Key.Name, Rule: RuleUnique, Param: string(h.HolderState), Message: "is already in use"}}}
	case errors.Is(err, storage.ErrNotUnique):
		return &Error{Code: NotUnique, Message: "a unique value is already in use", Err: err}
	case errors.Is(err, storage.ErrNotFound):
		return &Error{Code: NotFound, Message: "record not found", Err: err, Reason: ReasonRecord}
	case errors.Is(err, storage.ErrExists):
		return &Error{Code: Conflict, Message: "a record with that id exists", Err: err, Reason: ReasonExists}
	case errors.Is(err, storage.ErrConflict):
		return &Error{Code: Conflict, Message: "the record changed concurrently; try again", Err: err, Reason: ReasonConcurrent}
	}
	e.log.Error("store failed", "err", err)
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

func mergeError(err error) error {
	var me *merge.Error
	if !errors.As(err, &me) {
		return &Error{Code: Internal, Message: "internal error", Err: err}
	}
	path := me.Path
	switch {
	case errors.Is(err, merge.ErrKeyNotFound):
		key := fmt.Sprint(me.Key)
		return &Error{Code: NotFound, Message: fmt.Sprintf("%s has no element with key %s", displayPath(path), key), Err: err,
			Fields: []FieldError{{Path: path, Rule: RuleElement, Param: key, Message: "has no element with key " + key}}}
	case errors.Is(err, merge.ErrPathNotFound):
		return &Error{Code: NotFound, Message: fmt.Sprintf("path %s does not exist", displayPath(path)), Err: err,
			Fields: []FieldError{{Path: path, Rule: RuleElement, Message: "does not exist"}}}
	case errors.Is(err, merge.ErrNoTarget):
		return &Error{Code: NotFound, Reason: ReasonNoTarget, Message: fmt.Sprintf("%s: %s", displayPath(path), me.Msg), Err: err,
			Fields: []FieldError{{Path: path, Rule: RuleElement, Message: me.Msg}}}
	case errors.Is(err, merge.ErrTestFailed):
		return &Error{Code: Conflict, Message: fmt.Sprintf("test operation failed at %s", displayPath(path)), Err: err}
	case errors.Is(err, merge.ErrInvalid):
		return &Error{Code: Malformed, Message: fmt.Sprintf("at %s: %s", displayPath(path), me.Msg), Err: err}
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// displayPath names a JSON Pointer in a message; the root is "the root".
func displayPath(p string) string {
	if p == "" {
		return "the root"
	}
	return p
}

// spendError is the Unauthorized error of a token that cannot be spent.
func spendError(se *storage.SpendError) *Error {
	switch {
	case errors.Is(se, storage.ErrTokenSpent):
		return &Error{Code: Unauthorized, Reason: ReasonTokenSpent, Message: "the token was used already", Err: se}
	case errors.Is(se, storage.ErrTokenExpired):
		return &Error{Code: Unauthorized, Reason: ReasonTokenExpired, Message: "the token has expired", Err: se}
	}
	return &Error{Code: Unauthorized, Reason: ReasonTokenUnknown, Message: "the token is unknown", Err: se}
}
