package zitadel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// DecodeUpdate decodes the JSON body of UpdateHumanUser and checks it
// (UpdateHumanUserRequest.Check). An empty body is an empty update. Errors
// are *update.Error with Code Malformed.
func DecodeUpdate(body []byte, maxDepth int) (*UpdateHumanUserRequest, error) {
	var b UpdateHumanUserRequest
	if decodeUpdateFast(body, maxDepth, &b) {
		return &b, b.Check()
	}
	b = UpdateHumanUserRequest{}
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeUpdateUser decodes the JSON body of UpdateUser and checks it
// (UpdateUserRequest.Check). An empty body is an empty update.
func DecodeUpdateUser(body []byte, maxDepth int) (*UpdateUserRequest, error) {
	var b UpdateUserRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeCreate decodes and checks the JSON body of AddHumanUser.
func DecodeCreate(body []byte, maxDepth int) (*AddHumanUserRequest, error) {
	var b AddHumanUserRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeVerify decodes and checks the JSON body of VerifyEmail and
// VerifyPhone.
func DecodeVerify(body []byte, maxDepth int) (*VerifyCodeRequest, error) {
	var b VerifyCodeRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeResendEmail decodes and checks the JSON body of ResendEmailCode.
func DecodeResendEmail(body []byte, maxDepth int) (*ResendEmailCodeRequest, error) {
	var b ResendEmailCodeRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeResendPhone decodes and checks the JSON body of ResendPhoneCode.
func DecodeResendPhone(body []byte, maxDepth int) (*ResendPhoneCodeRequest, error) {
	var b ResendPhoneCodeRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeSetPassword decodes and checks the JSON body of SetPassword.
func DecodeSetPassword(body []byte, maxDepth int) (*SetPasswordRequest, error) {
	var b SetPasswordRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodePasswordReset decodes and checks the JSON body of PasswordReset.
func DecodePasswordReset(body []byte, maxDepth int) (*PasswordResetRequest, error) {
	var b PasswordResetRequest
	return &b, decodeChecked(body, maxDepth, &b)
}

// DecodeEmpty checks that a call without a body (GetUserByID, RemovePhone)
// got none, or an empty JSON object.
func DecodeEmpty(body []byte, maxDepth int) error {
	var b struct{}
	return decodeBody(body, maxDepth, &b)
}

// DecodeQuery refuses query parameters: no call of ZITADEL's user service
// served here takes any, so one sent is a mistake the client must hear of.
func DecodeQuery(rawQuery string) error {
	if rawQuery == "" {
		return nil
	}
	q, err := httpx.ParseQuery(rawQuery)
	if err != nil {
		return err
	}
	if name, ok := httpx.Unknown(q); ok {
		msg := "unknown query parameter " + name
		return &update.Error{
			Code: update.Malformed, Message: "invalid request: " + msg,
			Fields: []update.FieldError{{Path: "?" + name, Rule: update.RuleUnknown, Message: msg}},
		}
	}
	return nil
}

// checker is a typed request that checks what needs no record.
type checker interface{ Check() error }

func decodeChecked(body []byte, maxDepth int, v checker) error {
	if err := decodeBody(body, maxDepth, v); err != nil {
		return err
	}
	return v.Check()
}

// decodeBody checks body with merge.Validate (UTF-8, nesting depth, syntax,
// repeated member names, which parsers disagree on) and then decodes it
// strictly into v (unknown members and wrong types refused). An empty body
// decodes as {}.
func decodeBody(body []byte, maxDepth int, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := merge.Validate(body, merge.DecodeLimits{MaxDepth: maxDepth}); err != nil {
		return bodyError(describeMergeError(err, maxDepth), err)
	}
	if err := httpx.DecodeStrict(body, v); err != nil {
		return bodyError(describeDecodeError(err), err)
	}
	return nil
}

func bodyError(msg string, err error) *update.Error {
	return &update.Error{
		Code: update.Malformed, Message: "invalid request body: " + msg,
		Fields: []update.FieldError{{Rule: ruleSyntax, Message: msg}}, Err: err,
	}
}

// describeMergeError says what merge.Decode refused. Its messages name
// positions and member names, never values.
func describeMergeError(err error, maxDepth int) string {
	var me *merge.Error
	switch {
	case errors.Is(err, merge.ErrTooDeep):
		return fmt.Sprintf("the body nests deeper than %d levels", maxDepth)
	case errors.As(err, &me) && me.Path != "":
		return "at " + httpx.Clip(me.Path, 100) + ": " + httpx.Clip(me.Msg, 100)
	case errors.As(err, &me):
		return httpx.Clip(me.Msg, 100)
	}
	return "the body is not well-formed JSON"
}

// describeDecodeError says what is wrong with a body without echoing its
// values or naming Go types.
func describeDecodeError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("the body must be a JSON object, not a JSON %s", te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: a JSON %s is not allowed here", httpx.Clip(te.Field, 100), te.Value)
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return "the body is not valid UTF-8"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + httpx.Clip(name, 100)
	}
	if strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "unexpected end") {
		return "the body ends early"
	}
	if strings.Contains(msg, "after the JSON value") {
		return "unexpected data after the JSON value"
	}
	return "the body is not the JSON this call takes"
}
