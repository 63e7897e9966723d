package zitadel

import (
	"unicode/utf8"

	"github.com/idupdate/idupdate/update"
)

// The checks of a decoded body that need no record, whichever wire format
// it came in: the oneofs (a JSON body can set several members; protobuf
// cannot) and the URL template. Errors are *update.Error with Code
// Malformed, every conflicting oneof named.

// checkUpdate checks an UpdateHumanUser body.
func checkUpdate(b *UpdateHumanUserBody) error {
	var bad []update.FieldError
	if e := b.Email; e != nil {
		bad = append(bad, checkEmail(e)...)
	}
	if p := b.Phone; p != nil {
		bad = append(bad, checkPhone(p)...)
	}
	if p := b.Password; p != nil {
		bad = append(bad, oneof("password", "passwordType",
			member{"password", p.Password != nil}, member{"hashedPassword", p.HashedPassword != nil})...)
		bad = append(bad, oneof("password", "verification",
			member{"currentPassword", p.CurrentPassword != nil}, member{"verificationCode", p.VerificationCode != nil})...)
	}
	return malformedIf(bad)
}

// checkCreate checks an AddHumanUser body.
func checkCreate(b *AddHumanUserBody) error {
	bad := oneof("", "passwordType",
		member{"password", b.Password != nil}, member{"hashedPassword", b.HashedPassword != nil})
	if o := b.Organization; o != nil {
		bad = append(bad, oneof("organization", "org",
			member{"orgId", o.OrgID != nil}, member{"orgDomain", o.OrgDomain != nil})...)
	}
	if e := b.Email; e != nil {
		bad = append(bad, checkEmail(e)...)
	}
	if p := b.Phone; p != nil {
		bad = append(bad, checkPhone(p)...)
	}
	return malformedIf(bad)
}

// checkResendEmail checks a ResendEmailCode body.
func checkResendEmail(b *ResendEmailBody) error {
	bad := oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil})
	if b.SendCode != nil {
		bad = append(bad, checkTemplate("/sendCode/urlTemplate", b.SendCode.URLTemplate)...)
	}
	return malformedIf(bad)
}

// checkResendPhone checks a ResendPhoneCode body.
func checkResendPhone(b *ResendPhoneBody) error {
	return malformedIf(oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil}))
}

// checkCode checks a verification code: 1–20 characters (ZITADEL's proto
// bound).
func checkCode(code string) error {
	if n := utf8.RuneCountInString(code); n == 0 || n > 20 {
		return invalid([]update.FieldError{{
			Path: "/verificationCode", Rule: update.RuleRequired, Param: "20",
			Message: "verificationCode must be 1 to 20 characters",
		}})
	}
	return nil
}

func checkEmail(e *EmailBody) []update.FieldError {
	bad := oneof("email", "verification",
		member{"sendCode", e.SendCode != nil}, member{"returnCode", e.ReturnCode != nil},
		member{"isVerified", e.IsVerified != nil})
	if e.SendCode != nil {
		bad = append(bad, checkTemplate("/email/sendCode/urlTemplate", e.SendCode.URLTemplate)...)
	}
	return bad
}

func checkPhone(p *PhoneBody) []update.FieldError {
	return oneof("phone", "verification",
		member{"sendCode", p.SendCode != nil}, member{"returnCode", p.ReturnCode != nil},
		member{"isVerified", p.IsVerified != nil})
}

func malformedIf(bad []update.FieldError) error {
	if len(bad) > 0 {
		return malformed(bad)
	}
	return nil
}
