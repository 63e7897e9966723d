package zitadel

// The request bodies of ZITADEL's user service as they travel over the
// REST gateway. Pointers tell "sent" from "left out": protojson treats a
// member sent as null like one left out, and so does encoding/json.

// UpdateHumanUserBody is the body of PUT /v2/users/human/{userId}.
type UpdateHumanUserBody struct {
	Username *string       `json:"username"`
	Profile  *ProfileBody  `json:"profile"`
	Email    *EmailBody    `json:"email"`
	Phone    *PhoneBody    `json:"phone"`
	Password *PasswordBody `json:"password"`
}

// AddHumanUserBody is the body of POST /v2/users/human.
type AddHumanUserBody struct {
	UserID         *string           `json:"userId"`
	Username       *string           `json:"username"`
	Organization   *OrganizationBody `json:"organization"`
	Profile        *ProfileBody      `json:"profile"`
	Email          *EmailBody        `json:"email"`
	Phone          *PhoneBody        `json:"phone"`
	Password       *PlainPassword    `json:"password"`
	HashedPassword *HashedPassword   `json:"hashedPassword"`
}

// OrganizationBody names the organisation of a new user (a oneof).
type OrganizationBody struct {
	OrgID     *string `json:"orgId"`
	OrgDomain *string `json:"orgDomain"`
}

// ProfileBody is the profile section.
type ProfileBody struct {
	GivenName         *string `json:"givenName"`
	FamilyName        *string `json:"familyName"`
	NickName          *string `json:"nickName"`
	DisplayName       *string `json:"displayName"`
	PreferredLanguage *string `json:"preferredLanguage"`
	Gender            *string `json:"gender"`
}

// EmailBody is the email section; SendCode, ReturnCode and IsVerified are
// one oneof ("verification").
type EmailBody struct {
	Email      *string        `json:"email"`
	SendCode   *SendEmailCode `json:"sendCode"`
	ReturnCode *struct{}      `json:"returnCode"`
	IsVerified *bool          `json:"isVerified"`
}

// SendEmailCode asks for the code to be mailed with a link rendered from
// URLTemplate (default: the configured template).
type SendEmailCode struct {
	URLTemplate *string `json:"urlTemplate"`
}

// PhoneBody is the phone section; SendCode, ReturnCode and IsVerified are
// one oneof. A phone code is sent by SMS, so SendCode carries nothing.
type PhoneBody struct {
	Phone      *string   `json:"phone"`
	SendCode   *struct{} `json:"sendCode"`
	ReturnCode *struct{} `json:"returnCode"`
	IsVerified *bool     `json:"isVerified"`
}

// PasswordBody is the password section of an update: Password and
// HashedPassword are one oneof, CurrentPassword and VerificationCode
// another.
type PasswordBody struct {
	Password         *PlainPassword  `json:"password"`
	HashedPassword   *HashedPassword `json:"hashedPassword"`
	CurrentPassword  *string         `json:"currentPassword"`
	VerificationCode *string         `json:"verificationCode"`
}

// PlainPassword is a clear-text password.
type PlainPassword struct {
	Password       string `json:"password"`
	ChangeRequired bool   `json:"changeRequired"`
}

// HashedPassword is a pre-hashed password in Modular Crypt form.
type HashedPassword struct {
	Hash           string `json:"hash"`
	ChangeRequired bool   `json:"changeRequired"`
}

// VerifyBody is the body of .../email/verify and .../phone/verify.
type VerifyBody struct {
	VerificationCode string `json:"verificationCode"`
}

// ResendEmailBody is the body of .../email/resend (a oneof).
type ResendEmailBody struct {
	SendCode   *SendEmailCode `json:"sendCode"`
	ReturnCode *struct{}      `json:"returnCode"`
}

// ResendPhoneBody is the body of .../phone/resend (a oneof).
type ResendPhoneBody struct {
	SendCode   *struct{} `json:"sendCode"`
	ReturnCode *struct{} `json:"returnCode"`
}

// Details is ZITADEL's object details of a changed or read user.
type Details struct {
	Sequence      string `json:"sequence"`
	ChangeDate    string `json:"changeDate"`
	ResourceOwner string `json:"resourceOwner"`
	CreationDate  string `json:"creationDate,omitempty"`
}

// ChangeResponse answers UpdateHumanUser, the verify and resend calls and
// RemovePhone. The codes are set only when the request asked for them.
type ChangeResponse struct {
	Details   Details `json:"details"`
	EmailCode string  `json:"emailCode,omitempty"`
	PhoneCode string  `json:"phoneCode,omitempty"`
	// VerificationCode is the name ZITADEL's resend answers use.
	VerificationCode string `json:"verificationCode,omitempty"`
}

// AddResponse answers AddHumanUser.
type AddResponse struct {
	UserID    string  `json:"userId"`
	Details   Details `json:"details"`
	EmailCode string  `json:"emailCode,omitempty"`
	PhoneCode string  `json:"phoneCode,omitempty"`
}

// UserResponse answers GetUserByID.
type UserResponse struct {
	Details Details `json:"details"`
	User    User    `json:"user"`
}

// User is a user as GetUserByID shows it.
type User struct {
	UserID             string   `json:"userId"`
	Details            Details  `json:"details"`
	State              string   `json:"state"`
	Username           string   `json:"username"`
	LoginNames         []string `json:"loginNames"`
	PreferredLoginName string   `json:"preferredLoginName"`
	Human              Human    `json:"human"`
}

// Human is the human part of a user.
type Human struct {
	Profile                Profile `json:"profile"`
	Email                  Email   `json:"email"`
	Phone                  Phone   `json:"phone"`
	PasswordChangeRequired bool    `json:"passwordChangeRequired"`
}

// Profile is a read profile.
type Profile struct {
	GivenName         string `json:"givenName"`
	FamilyName        string `json:"familyName"`
	NickName          string `json:"nickName,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	Gender            string `json:"gender"`
}

// Email is a read email.
type Email struct {
	Email      string `json:"email"`
	IsVerified bool   `json:"isVerified"`
}

// Phone is a read phone; empty when the user has none.
type Phone struct {
	Phone      string `json:"phone,omitempty"`
	IsVerified bool   `json:"isVerified,omitempty"`
}
