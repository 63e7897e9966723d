package druid_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/update"
)

func fieldPaths(err error) []string {
	var out []string
	for _, f := range update.ErrorFields(err) {
		out = append(out, f.Path)
	}
	return out
}

func TestDecodeConfirm(t *testing.T) {
	t.Run("ByID", func(t *testing.T) {
		c, err := druid.DecodeConfirm(map[string]any{
			"verb": "confirm", "object": map[string]any{"id": "druid-user-1"}, "context": map[string]any{"code": "AB12CD34"},
		})
		require.NoError(t, err)
		assert.Equal(t, &druid.Confirmation{Locator: update.ByID("druid-user-1"), Code: "AB12CD34"}, c)
	})
	t.Run("ByEstablishedEmail", func(t *testing.T) {
		c, err := druid.DecodeConfirm(decoded(t, "confirm_by_email.json"))
		require.NoError(t, err)
		assert.Equal(t, update.ByKey("/email", "jane@example.com"), c.Locator)
	})
	tests := []struct {
		name  string
		body  map[string]any
		paths []string
	}{
		{"MissingEverything", map[string]any{}, []string{"context", "object", "verb"}},
		{"WrongVerb", map[string]any{"verb": "update", "object": map[string]any{"id": "u"}, "context": map[string]any{"code": "X"}}, []string{"verb"}},
		{"NoUser", map[string]any{"verb": "confirm", "object": map[string]any{}, "context": map[string]any{"code": "X"}}, []string{"object"}},
		{"ScreenNameCannotName", map[string]any{"verb": "confirm", "object": map[string]any{"ids": map[string]any{"screen_name": map[string]any{"value": "j"}}}, "context": map[string]any{"code": "X"}}, []string{"object", "object.ids.screen_name"}},
		{"CodeTooLong", map[string]any{"verb": "confirm", "object": map[string]any{"id": "u"}, "context": map[string]any{"code": string(make([]byte, 65))}}, []string{"context.code"}},
		{"CodeNotAString", map[string]any{"verb": "confirm", "object": map[string]any{"id": "u"}, "context": map[string]any{"code": 1234}}, []string{"context.code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"IsInvalid", func(t *testing.T) {
			_, err := druid.DecodeConfirm(tt.body)
			assert.Equal(t, update.Invalid, update.ErrorCode(err))
			assert.Equal(t, tt.paths, fieldPaths(err))
		})
	}
}

func TestDecodeResend(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		n, err := druid.DecodeResend(decoded(t, "resend_email.json"))
		require.NoError(t, err)
		assert.Equal(t, &druid.Notification{Locator: update.ByID("druid-user-1"), Path: "/email"}, n)
	})
	t.Run("ByPhoneValue", func(t *testing.T) {
		n, err := druid.DecodeResend(map[string]any{
			"verb": "request", "context": map[string]any{"notificationType": "confirm_register"},
			"object": map[string]any{"ids": map[string]any{"phone_number": map[string]any{"value": "+34600111222"}}},
		})
		require.NoError(t, err)
		assert.Equal(t, &druid.Notification{Locator: update.ByKey("/phone_number", "+34600111222"), Path: "/phone_number"}, n)
	})
	tests := []struct {
		name  string
		body  map[string]any
		paths []string
	}{
		{"NoIDNamed", map[string]any{"verb": "request", "object": map[string]any{"id": "u"}, "context": map[string]any{"notificationType": "confirm_register"}}, []string{"object.ids"}},
		{"OtherNotification", map[string]any{"verb": "request", "object": map[string]any{"id": "u", "ids": map[string]any{"email": map[string]any{"value": "a@b.c"}}}, "context": map[string]any{"notificationType": "reset_password"}}, []string{"context.notificationType"}},
		{"TwoIDs", map[string]any{"verb": "request", "object": map[string]any{"id": "u", "ids": map[string]any{
			"email": map[string]any{"value": "a@b.c"}, "phone_number": map[string]any{"value": "+34600111222"},
		}}, "context": map[string]any{"notificationType": "confirm_register"}}, []string{"object.ids"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"IsInvalid", func(t *testing.T) {
			_, err := druid.DecodeResend(tt.body)
			assert.Equal(t, update.Invalid, update.ErrorCode(err))
			assert.Equal(t, tt.paths, fieldPaths(err))
		})
	}
}
