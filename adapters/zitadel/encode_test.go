package zitadel_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func TestEncodeError(t *testing.T) {
	field := func(code update.Code, path, rule, param string) error {
		return &update.Error{Code: code, Message: "m", Fields: []update.FieldError{{Path: path, Rule: rule, Param: param, Message: "f"}}}
	}
	tests := []struct {
		name   string
		err    error
		op     zitadel.Op
		status int
		grpc   int
		id     string
	}{
		{"NotFound", update.Errorf(update.NotFound, "x"), zitadel.OpUpdate, http.StatusNotFound, 5, "COMMAND-ugjs0upun6"},
		{"Forbidden", update.Errorf(update.Forbidden, "x"), zitadel.OpUpdate, http.StatusForbidden, 7, "AUTHZ-HKJD33"},
		{"NotUnique", &update.Error{Code: update.NotUnique, Holder: &storage.NotUniqueError{Key: storage.Key{Name: "/username"}}}, zitadel.OpUpdate, http.StatusConflict, 6, "IDUPD-USER01"},
		{"Conflict", update.Errorf(update.Conflict, "x"), zitadel.OpUpdate, http.StatusConflict, 10, "IDUPD-ABORT01"},
		{"TooLarge", update.Errorf(update.TooLarge, "x"), zitadel.OpUpdate, http.StatusRequestEntityTooLarge, 8, "IDUPD-SIZE01"},
		{"Throttled", &update.Error{Code: update.Throttled, Reason: "cooldown"}, zitadel.OpResend, http.StatusTooManyRequests, 8, "IDUPD-CODE02"},
		{"Locked", update.Errorf(update.Locked, "x"), zitadel.OpVerify, http.StatusBadRequest, 9, "IDUPD-CODE01"},
		{"Expired", update.Errorf(update.Expired, "x"), zitadel.OpVerify, http.StatusBadRequest, 3, "COMMAND-eis9R"},
		{"WrongCode", update.Errorf(update.CodeMismatch, "x"), zitadel.OpVerify, http.StatusBadRequest, 3, "COMMAND-eis9R"},
		{"WrongCurrentPassword", field(update.CodeMismatch, "/password", "current", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "COMMAND-3M0fs"},
		{"NothingPending", update.Errorf(update.NothingPending, "x"), zitadel.OpResend, http.StatusBadRequest, 9, "EMAIL-5w5ilin4yt"},
		{"AlreadyConfirmed", &update.Error{Code: update.NothingPending, Reason: "confirmed"}, zitadel.OpVerify, http.StatusBadRequest, 9, "IDUPD-CODE03"},
		{"EmailInvalid", field(update.Invalid, "/email/email", "email", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "EMAIL-599BI"},
		{"PhoneNotNormalizable", field(update.Invalid, "/phone/phone", "normalize", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "PHONE-so0wa"},
		{"PhoneRequired", field(update.Invalid, "/phone/phone", "required", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "PHONE-Zt0NV"},
		{"GivenNameRequired", field(update.Invalid, "/profile/givenName", "required", ""), zitadel.OpCreate, http.StatusBadRequest, 3, "USER-UCej2"},
		{"GivenNameTooLong", field(update.Invalid, "/profile/givenName", "max", "200"), zitadel.OpUpdate, http.StatusBadRequest, 3, "IDUPD-ARG01"},
		{"PasswordHash", field(update.Invalid, "/password", "hash", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "USER-oz74onzvqr"},
		{"PasswordTooLong", field(update.Invalid, "/password", "complexity", "maxLength=72"), zitadel.OpUpdate, http.StatusBadRequest, 3, "IDUPD-PW01"},
		{"PasswordNoDigit", field(update.Invalid, "/password", "complexity", "digit"), zitadel.OpUpdate, http.StatusBadRequest, 3, "COMMA-ZBv4H"},
		{"PasswordNoSymbol", field(update.Invalid, "/password", "complexity", "symbol"), zitadel.OpUpdate, http.StatusBadRequest, 3, "COMMA-ZDLwA"},
		{"PasswordNoLower", field(update.Invalid, "/password", "complexity", "lower"), zitadel.OpUpdate, http.StatusBadRequest, 3, "COMMA-co3Xw"},
		{"Template", field(update.Malformed, "/email/email", "template", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "DOMAIN-oGh5e"},
		{"ReadOnly", field(update.Immutable, "/orgId", "immutable", ""), zitadel.OpUpdate, http.StatusBadRequest, 3, "IDUPD-ARG01"},
		{"Malformed", update.Errorf(update.Malformed, "x"), zitadel.OpUpdate, http.StatusBadRequest, 3, "IDUPD-BODY01"},
		{"Internal", update.Errorf(update.Internal, "database password is hunter2"), zitadel.OpUpdate, http.StatusInternalServerError, 13, "IDUPD-INT01"},
		{"ForeignError", fmt.Errorf("wrapped: %w", errors.New("disk on fire")), zitadel.OpRead, http.StatusInternalServerError, 13, "IDUPD-INT01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := zitadel.EncodeError(tc.err, tc.op)

			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.grpc, body.Code)
			require.Len(t, body.Details, 1)
			assert.Equal(t, tc.id, body.Details[0].ID)
			assert.Equal(t, "type.googleapis.com/zitadel.v1.ErrorDetail", body.Details[0].Type)
			assert.Equal(t, body.Details[0].Message+" ("+tc.id+")", body.Message)
			assert.NotContains(t, body.Message, "hunter2")
			assert.NotContains(t, body.Message, "disk on fire")
		})
	}
}

func TestEncodeChange(t *testing.T) {
	at := time.Date(2025, 3, 25, 16, 0, 34, 438_912_000, time.FixedZone("CET", 3600))
	res := &update.Result{
		ID: "u1", Modified: true, Version: 7, Updated: at,
		Pending: []update.PendingInfo{
			{Path: "/email/email", Channel: verify.Email, Code: "ABC123"},
			{Path: "/phone/phone", Channel: verify.SMS},
		},
		Record: &update.View{Created: at.Add(-time.Hour), Doc: map[string]any{"orgId": "o9"}},
	}

	out := zitadel.EncodeChange(res, "o1")

	assert.Equal(t, zitadel.ChangeResponse{
		Details: zitadel.Details{Sequence: "7", ChangeDate: "2025-03-25T15:00:34.438Z",
			ResourceOwner: "o9", CreationDate: "2025-03-25T14:00:34.438Z"},
		EmailCode: "ABC123",
	}, out)
}

func TestEncodeUser(t *testing.T) {
	at := time.Date(2025, 3, 25, 16, 0, 34, 438_000_000, time.UTC)
	v := &update.View{
		Type: zitadel.EntityType, ID: "u1", Version: 3, Created: at, Updated: at.Add(time.Minute),
		State: storage.Active,
		Doc: map[string]any{
			"orgId": "o1", "username": "minnie",
			"profile": map[string]any{"givenName": "Minnie", "familyName": "Mouse", "preferredLanguage": "en"},
			"email":   map[string]any{"email": "minnie@example.com", "isVerified": true},
			"phone":   map[string]any{"phone": "+41791234567", "isVerified": false},
		},
	}

	got, err := json.Marshal(zitadel.EncodeUser(v))

	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "get_user_response.json")), string(got))
}

// TestChangeResponseAppendJSON checks the reflection-free encoding of the
// change answer against encoding/json's.
func TestChangeResponseAppendJSON(t *testing.T) {
	for _, c := range []zitadel.ChangeResponse{
		{},
		{Details: zitadel.Details{Sequence: "7", ChangeDate: "2026-01-02T03:04:05.000Z", ResourceOwner: "org<&>"}},
		{Details: zitadel.Details{Sequence: "1", ChangeDate: "d", ResourceOwner: "o", CreationDate: "c\u2028\xff"},
			EmailCode: "ABC", PhoneCode: "\"x\"", VerificationCode: "\n"},
	} {
		want, err := json.Marshal(c)
		require.NoError(t, err)
		got, err := c.AppendJSON(nil)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}
