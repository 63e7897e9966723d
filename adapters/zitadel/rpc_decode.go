package zitadel

import (
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// The RPC decoders turn ZITADEL's protobuf requests into the typed
// requests the REST decoder produces and check them with the same Check
// methods, so both wire formats reach the same rules and engine requests. Proto3 scalars carry no presence: an empty string
// is passed on as sent and empty, which the shared rules read exactly as
// the gateway's JSON "" (givenName "" leaves the name as it is, email ""
// is "Email is empty", phone "" changes nothing).

// updateBodyPB is the typed request of UpdateHumanUser, not yet checked.
func updateBodyPB(m *userpb.UpdateHumanUserRequest) *UpdateHumanUserRequest {
	return &UpdateHumanUserRequest{
		Username: m.Username,
		Profile:  profileBody(m.GetProfile()),
		Email:    emailBody(m.GetEmail()),
		Phone:    phoneBody(m.GetPhone()),
		Password: passwordBody(m.GetPassword()),
	}
}

// decodeUpdateUserPB decodes UpdateUser. Its profile's fields carry
// presence, as the REST body's members do.
func decodeUpdateUserPB(m *userpb.UpdateUserRequest) (*UpdateUserRequest, error) {
	b := &UpdateUserRequest{Username: m.Username}
	if hu := m.GetHuman(); hu != nil {
		b.Human = &UpdateUserHuman{
			Email:    emailBody(hu.GetEmail()),
			Phone:    phoneBody(hu.GetPhone()),
			Password: passwordBody(hu.GetPassword()),
		}
		if p := hu.GetProfile(); p != nil {
			b.Human.Profile = &ProfileBody{
				GivenName: p.GivenName, FamilyName: p.FamilyName,
				NickName: p.NickName, DisplayName: p.DisplayName, PreferredLanguage: p.PreferredLanguage,
				Gender: genderName(p.Gender),
			}
		}
	}
	if mc := m.GetMachine(); mc != nil {
		b.Machine = &UpdateUserMachine{Name: mc.Name, Description: mc.Description}
	}
	return b, b.Check()
}

// passwordBody decodes the password section of UpdateHumanUser and
// UpdateUser.
func passwordBody(p *userpb.SetPassword) *PasswordBody {
	if p == nil {
		return nil
	}
	b := &PasswordBody{
		Password:       plainPassword(p.GetPassword()),
		HashedPassword: hashedPassword(p.GetHashedPassword()),
	}
	switch v := p.GetVerification().(type) {
	case *userpb.SetPassword_CurrentPassword:
		b.CurrentPassword = &v.CurrentPassword
	case *userpb.SetPassword_VerificationCode:
		b.VerificationCode = &v.VerificationCode
	}
	return b
}

// genderName returns the enum name of a gender that was sent. An unknown
// number becomes its decimal string, which the profile's gender rule
// refuses like any unknown name.
func genderName(g *userpb.Gender) *string {
	if g == nil {
		return nil
	}
	name := g.String()
	return &name
}

// decodeCreatePB decodes AddHumanUser. The members the REST body does not
// take (metadata, IDP links, a TOTP secret) are refused as it refuses
// them.
func decodeCreatePB(m *userpb.AddHumanUserRequest) (*AddHumanUserRequest, error) {
	switch {
	case len(m.GetMetadata()) > 0:
		return nil, unsupported("metadata")
	case len(m.GetIdpLinks()) > 0:
		return nil, unsupported("idpLinks")
	case m.TotpSecret != nil:
		return nil, unsupported("totpSecret")
	}
	b := &AddHumanUserRequest{
		UserID:         m.UserId,
		Username:       m.Username,
		Profile:        profileBody(m.GetProfile()),
		Email:          emailBody(m.GetEmail()),
		Phone:          phoneBody(m.GetPhone()),
		Password:       plainPassword(m.GetPassword()),
		HashedPassword: hashedPassword(m.GetHashedPassword()),
	}
	if o := m.GetOrganization(); o != nil {
		b.Organization = &OrganizationBody{}
		switch v := o.GetOrg().(type) {
		case *objectpb.Organization_OrgId:
			b.Organization.OrgID = &v.OrgId
		case *objectpb.Organization_OrgDomain:
			b.Organization.OrgDomain = &v.OrgDomain
		}
	}
	return b, b.Check()
}

// decodeResendEmailPB decodes ResendEmailCode.
func decodeResendEmailPB(m *userpb.ResendEmailCodeRequest) (*ResendEmailCodeRequest, error) {
	b := &ResendEmailCodeRequest{}
	switch v := m.GetVerification().(type) {
	case *userpb.ResendEmailCodeRequest_SendCode:
		b.SendCode = &SendEmailCode{URLTemplate: v.SendCode.UrlTemplate}
	case *userpb.ResendEmailCodeRequest_ReturnCode:
		b.ReturnCode = &struct{}{}
	}
	return b, b.Check()
}

// decodeResendPhonePB decodes ResendPhoneCode.
func decodeResendPhonePB(m *userpb.ResendPhoneCodeRequest) (*ResendPhoneCodeRequest, error) {
	b := &ResendPhoneCodeRequest{}
	switch m.GetVerification().(type) {
	case *userpb.ResendPhoneCodeRequest_SendCode:
		b.SendCode = &struct{}{}
	case *userpb.ResendPhoneCodeRequest_ReturnCode:
		b.ReturnCode = &struct{}{}
	}
	return b, b.Check()
}

func profileBody(p *userpb.SetHumanProfile) *ProfileBody {
	if p == nil {
		return nil
	}
	b := &ProfileBody{
		GivenName: &p.GivenName, FamilyName: &p.FamilyName,
		NickName: p.NickName, DisplayName: p.DisplayName, PreferredLanguage: p.PreferredLanguage,
	}
	b.Gender = genderName(p.Gender)
	return b
}

func emailBody(e *userpb.SetHumanEmail) *EmailBody {
	if e == nil {
		return nil
	}
	b := &EmailBody{Email: &e.Email}
	switch v := e.GetVerification().(type) {
	case *userpb.SetHumanEmail_SendCode:
		b.SendCode = &SendEmailCode{URLTemplate: v.SendCode.UrlTemplate}
	case *userpb.SetHumanEmail_ReturnCode:
		b.ReturnCode = &struct{}{}
	case *userpb.SetHumanEmail_IsVerified:
		b.IsVerified = &v.IsVerified
	}
	return b
}

func phoneBody(p *userpb.SetHumanPhone) *PhoneBody {
	if p == nil {
		return nil
	}
	b := &PhoneBody{Phone: &p.Phone}
	switch v := p.GetVerification().(type) {
	case *userpb.SetHumanPhone_SendCode:
		b.SendCode = &struct{}{}
	case *userpb.SetHumanPhone_ReturnCode:
		b.ReturnCode = &struct{}{}
	case *userpb.SetHumanPhone_IsVerified:
		b.IsVerified = &v.IsVerified
	}
	return b
}

func plainPassword(p *userpb.Password) *PlainPassword {
	if p == nil {
		return nil
	}
	return &PlainPassword{Password: p.Password, ChangeRequired: p.ChangeRequired}
}

func hashedPassword(p *userpb.HashedPassword) *HashedPassword {
	if p == nil {
		return nil
	}
	return &HashedPassword{Hash: p.Hash, ChangeRequired: p.ChangeRequired}
}

// unsupported refuses a member the REST body has no field for, with the
// answer the REST decoder gives an unknown member.
func unsupported(name string) error {
	return bodyError("unknown field \""+name+"\"", nil)
}

// decodeSetPasswordPB decodes SetPassword.
func decodeSetPasswordPB(m *userpb.SetPasswordRequest) (*SetPasswordRequest, error) {
	b := &SetPasswordRequest{NewPassword: plainPassword(m.GetNewPassword())}
	switch v := m.GetVerification().(type) {
	case *userpb.SetPasswordRequest_CurrentPassword:
		b.CurrentPassword = &v.CurrentPassword
	case *userpb.SetPasswordRequest_VerificationCode:
		b.VerificationCode = &v.VerificationCode
	}
	return b, b.Check()
}

// decodePasswordResetPB decodes PasswordReset. An unknown notification
// type number becomes its decimal string, which Check refuses.
func decodePasswordResetPB(m *userpb.PasswordResetRequest) (*PasswordResetRequest, error) {
	b := &PasswordResetRequest{}
	switch v := m.GetMedium().(type) {
	case *userpb.PasswordResetRequest_SendLink:
		n := v.SendLink.GetNotificationType().String()
		b.SendLink = &SendPasswordResetLink{NotificationType: &n, URLTemplate: v.SendLink.UrlTemplate}
	case *userpb.PasswordResetRequest_ReturnCode:
		b.ReturnCode = &struct{}{}
	}
	return b, b.Check()
}
