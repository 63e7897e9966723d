package zitadel

import (
	"github.com/idupdate/idupdate/update"
)

// SetPasswordRequest is SetPassword: POST /v2/users/{userId}/password.
// CurrentPassword and VerificationCode are one oneof ("verification");
// with neither, the caller's permission suffices.
type SetPasswordRequest struct {
	NewPassword      *PlainPassword `json:"newPassword"`
	CurrentPassword  *string        `json:"currentPassword"`
	VerificationCode *string        `json:"verificationCode"`
}

// PasswordResetRequest is PasswordReset: POST
// /v2/users/{userId}/password_reset. SendLink and ReturnCode are one oneof
// ("medium"); with neither, the code is mailed with the default template.
type PasswordResetRequest struct {
	SendLink   *SendPasswordResetLink `json:"sendLink"`
	ReturnCode *struct{}              `json:"returnCode"`
}

// SendPasswordResetLink asks for the code to be sent with a link rendered
// from URLTemplate (default: the configured template).
type SendPasswordResetLink struct {
	NotificationType *string `json:"notificationType"`
	URLTemplate      *string `json:"urlTemplate"`
}

// The values of ZITADEL's NotificationType enum.
const (
	notifyUnspecified = "NOTIFICATION_TYPE_Unspecified"
	notifyEmail       = "NOTIFICATION_TYPE_Email"
	notifySMS         = "NOTIFICATION_TYPE_SMS"
)

// Check checks the verification oneof and that a new password was sent.
func (b *SetPasswordRequest) Check() error {
	if err := malformedIf(oneof("", "verification",
		member{"currentPassword", b.CurrentPassword != nil}, member{"verificationCode", b.VerificationCode != nil})); err != nil {
		return err
	}
	if b.VerificationCode != nil && len(*b.VerificationCode) > 20 {
		return invalid([]update.FieldError{{
			Path: "/verificationCode", Rule: "max", Param: "20",
			Message: "verificationCode is longer than 20 characters",
		}})
	}
	return nil
}

// Request turns a checked SetPassword into the engine request for t: the
// password as a secret, checked against the current one or a
// PasswordReset code when one is sent, and its changeRequired flag.
func (b *SetPasswordRequest) Request(t Target) (update.Request, error) {
	sv, changeRequired, errs := passwordValue(b.NewPassword, nil)
	if len(errs) > 0 {
		return update.Request{}, invalid(errs)
	}
	if b.CurrentPassword != nil {
		sv.Current = *b.CurrentPassword
	}
	if b.VerificationCode != nil {
		sv.Code = *b.VerificationCode
	}
	return update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge, IncludeRecord: true,
		Doc:     map[string]any{"passwordChangeRequired": changeRequired},
		Secrets: map[string]update.SecretValue{passwordPath: sv},
	}, nil
}

// Check checks the medium oneof, the notification type and the URL
// template. Codes go by email only: NOTIFICATION_TYPE_SMS is refused.
func (b *PasswordResetRequest) Check() error {
	bad := oneof("", "medium", member{"sendLink", b.SendLink != nil}, member{"returnCode", b.ReturnCode != nil})
	if l := b.SendLink; l != nil {
		if n := l.NotificationType; n != nil && *n != notifyUnspecified && *n != notifyEmail {
			msg := "notificationType must be NOTIFICATION_TYPE_Email; reset codes are not sent by SMS here"
			if *n != notifySMS {
				msg = "notificationType must be NOTIFICATION_TYPE_Unspecified or NOTIFICATION_TYPE_Email"
			}
			bad = append(bad, update.FieldError{Path: "/sendLink/notificationType", Rule: "notificationType", Message: msg})
		}
		bad = append(bad, checkTemplate("/sendLink/urlTemplate", l.URLTemplate)...)
	}
	return malformedIf(bad)
}

// Request returns the engine's reset of t's password: returnCode returns
// the code, sendLink or nothing mails it.
func (b *PasswordResetRequest) Request(t Target) update.ResetRequest {
	var send *SendEmailCode
	if b.SendLink != nil {
		send = &SendEmailCode{URLTemplate: b.SendLink.URLTemplate}
	}
	return update.ResetRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: passwordPath,
		Client: t.Client, Actor: t.Actor,
		Delivery: emailDelivery(&EmailBody{SendCode: send, ReturnCode: b.ReturnCode}, t),
	}
}
