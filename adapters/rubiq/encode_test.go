package rubiq_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func TestEncodeUpdate(t *testing.T) {
	sent := update.PendingInfo{Path: "/email", State: verify.Pending, Held: true, Dispatched: true}
	cooled := update.PendingInfo{Path: "/mobile", State: verify.Pending, Held: true, Throttled: "cooldown"}
	windowed := update.PendingInfo{Path: "/mobile", State: verify.Pending, Held: true, Throttled: "window"}
	failed := update.PendingInfo{Path: "/email", State: verify.Pending, Held: true, DispatchError: "smtp down"}
	closed := update.PendingInfo{Path: "/email", State: verify.Superseded, Held: true, Dispatched: true}
	tests := []struct {
		name    string
		pending []update.PendingInfo
		http    int
		code    string
	}{
		{"Updated", nil, http.StatusOK, "200"},
		{"UpdatedIgnoresClosed", []update.PendingInfo{closed}, http.StatusOK, "200"},
		{"Dispatched", []update.PendingInfo{sent}, http.StatusOK, "200.1"},
		{"WindowLimit", []update.PendingInfo{windowed}, http.StatusOK, "200.2"},
		{"Cooldown", []update.PendingInfo{cooled}, http.StatusOK, "200.3"},
		{"DispatchFailedIsInProgress", []update.PendingInfo{failed}, http.StatusOK, "200.3"},
		{"CooldownBeatsDispatched", []update.PendingInfo{sent, cooled}, http.StatusOK, "200.3"},
		{"WindowBeatsCooldown", []update.PendingInfo{cooled, windowed, sent}, http.StatusOK, "200.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, b := rubiq.EncodeUpdate(&update.Result{Modified: true, Pending: tc.pending})
			assert.Equal(t, tc.http, s.HTTP)
			assert.Equal(t, tc.code, s.Code)
			require.NotNil(t, b)
			assert.Equal(t, rubiq.BodyStatus{Code: s.Code, Text: s.Text}, b.Status)
			assert.NotEmpty(t, b.Status.Text)
		})
	}
}

func TestEncodeVerify(t *testing.T) {
	s, b := rubiq.EncodeVerify(&update.Result{Modified: true})
	assert.Equal(t, http.StatusNoContent, s.HTTP)
	assert.Equal(t, "204", s.Code)
	assert.Nil(t, b)
}

func TestErrorStatus(t *testing.T) {
	byID, byExt := rubiq.OpUpdate, rubiq.OpUpdateByExtKey
	held := func(name string, s storage.RecordState) *update.Error {
		return &update.Error{Code: update.NotUnique, Holder: &storage.NotUniqueError{Key: storage.Key{Name: name, Value: "v"}, HolderState: s}}
	}
	invalid := func(path, rule string) *update.Error {
		return &update.Error{Code: update.Invalid, Fields: []update.FieldError{{Path: path, Rule: rule}}}
	}
	tests := []struct {
		name string
		err  error
		op   rubiq.Op
		http int
		code string
	}{
		{"EmailNotUnique", held("/email", storage.Active), byID, http.StatusBadRequest, "400.2"},
		{"EmailNotUniqueInactiveHolder", held("/email", storage.Inactive), byID, http.StatusBadRequest, "400.2"},
		{"MobileHeldByActive", held("/mobile", storage.Active), byID, http.StatusBadRequest, "400.4"},
		{"MobileHeldByInactive", held("/mobile", storage.Inactive), byExt, http.StatusBadRequest, "400.5"},
		{"MobileNotNormalizable", invalid("/mobile", update.RuleNormalize), byID, http.StatusBadRequest, "400.3"},
		{"MobileNotString", invalid("/mobile", update.RuleType), byID, http.StatusBadRequest, "400.3"},
		{"MobileNotE164", invalid("/mobile", "e164"), byID, http.StatusBadRequest, "400.3"},
		{"EmailInvalid", invalid("/email", "email"), byID, http.StatusBadRequest, "400"},
		{"Immutable", update.Errorf(update.Immutable, "x"), byID, http.StatusBadRequest, "400"},
		{"Malformed", update.Errorf(update.Malformed, "x"), byID, http.StatusBadRequest, "400"},
		{"TooLarge", update.Errorf(update.TooLarge, "x"), byID, http.StatusBadRequest, "400"},
		{"NotFoundByID", update.Errorf(update.NotFound, "x"), byID, http.StatusNotFound, "404.1"},
		{"NotFoundByExtKey", update.Errorf(update.NotFound, "x"), byExt, http.StatusNotFound, "404.2"},
		{"Forbidden", update.Errorf(update.Forbidden, "x"), byID, http.StatusPreconditionFailed, "412"},
		{"CodeMismatch", update.Errorf(update.CodeMismatch, "x"), byID, http.StatusForbidden, "403"},
		{"Locked", update.Errorf(update.Locked, "x"), byID, http.StatusForbidden, "403"},
		{"NothingPending", update.Errorf(update.NothingPending, "x"), byID, http.StatusNotImplemented, "501.2"},
		{"NoCode", &update.Error{Code: update.NothingPending, Reason: "none", Err: verify.ErrNoCode}, byID, http.StatusNotImplemented, "501.3"},
		{"Expired", update.Errorf(update.Expired, "x"), byID, http.StatusNotImplemented, "501.3"},
		{"ThrottledWindow", &update.Error{Code: update.Throttled, Reason: "window"}, byID, http.StatusOK, "200.2"},
		{"ThrottledCooldown", &update.Error{Code: update.Throttled, Reason: "cooldown"}, byID, http.StatusOK, "200.3"},
		{"Conflict", update.Errorf(update.Conflict, "x"), byID, http.StatusConflict, "409"},
		{"Internal", update.Errorf(update.Internal, "x"), byID, http.StatusInternalServerError, "500"},
		{"Foreign", errors.New("disk on fire"), byID, http.StatusInternalServerError, "500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := rubiq.ErrorStatus(tc.err, tc.op)
			assert.Equal(t, tc.http, s.HTTP)
			assert.Equal(t, tc.code, s.Code)
			assert.NotEmpty(t, s.Text)
		})
	}
}

func TestEncodeErrorNamesFieldsOnly(t *testing.T) {
	err := &update.Error{
		Code: update.Invalid, Message: "data validation failed",
		Fields: []update.FieldError{{Path: "/pass~1word", Rule: rubiq.RuleContract, Message: "not in the contract"}},
		Err:    errors.New("secret cause"),
	}
	status, b := rubiq.EncodeError(err, rubiq.OpUpdate)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "400", b.Status.Code)
	assert.Equal(t, []rubiq.BodyError{{Field: "pass/word", Rule: rubiq.RuleContract, Message: "not in the contract"}}, b.Errors)

	status, b = rubiq.EncodeError(&update.Error{Code: update.Internal, Message: "db password is hunter2"}, rubiq.OpUpdate)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "500", b.Status.Code)
	assert.Empty(t, b.Errors)
}
