package zitadel

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// The typed requests of ZITADEL's user service. They are what every wire
// format decodes into (the REST gateway's JSON here; the RPC formats
// decode their protobuf messages into the same types), and each turns
// itself into the one engine call of its endpoint. Pointers tell "sent"
// from "left out": protojson treats a member sent as null like one left
// out, and so does encoding/json.

// Target is the user a request acts on and who acts.
type Target struct {
	// UserID is the user's id; OrgID its organisation (the resource owner),
	// passed to URL templates as .OrgID.
	UserID string
	OrgID  string
	// Client is the engine client id of the caller; Actor who acts.
	Client string
	Actor  string
	// DefaultURLTemplate renders the link when sendCode names none, or
	// when none of the oneof's members is sent.
	DefaultURLTemplate string
}

// The rule names the decoder reports besides the engine's.
const (
	ruleOneof  = "oneofConflict" // more than one member of a oneof is set
	ruleSyntax = "syntax"        // the body is not the JSON the endpoint takes
)

// UpdateHumanUserRequest is UpdateHumanUser: PUT /v2/users/human/{userId}.
type UpdateHumanUserRequest struct {
	Username *string       `json:"username"`
	Profile  *ProfileBody  `json:"profile"`
	Email    *EmailBody    `json:"email"`
	Phone    *PhoneBody    `json:"phone"`
	Password *PasswordBody `json:"password"`
}

// UpdateUserRequest is UpdateUser: PATCH /v2/users/{userId}, the
// successor of UpdateHumanUser. Human and Machine are a oneof; Human
// carries UpdateHumanUser's sections, every profile field optional.
type UpdateUserRequest struct {
	Username *string            `json:"username"`
	Human    *UpdateUserHuman   `json:"human"`
	Machine  *UpdateUserMachine `json:"machine"`
}

// UpdateUserHuman is the human part of UpdateUser.
type UpdateUserHuman struct {
	Profile  *ProfileBody  `json:"profile"`
	Email    *EmailBody    `json:"email"`
	Phone    *PhoneBody    `json:"phone"`
	Password *PasswordBody `json:"password"`
}

// UpdateUserMachine is the machine part of UpdateUser. It is decoded so
// that it can be refused by name (errMachine): every user of this adapter
// is human.
type UpdateUserMachine struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// AddHumanUserRequest is AddHumanUser: POST /v2/users/human.
type AddHumanUserRequest struct {
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

// VerifyCodeRequest is VerifyEmail and VerifyPhone: .../email/verify and
// .../phone/verify.
type VerifyCodeRequest struct {
	VerificationCode string `json:"verificationCode"`
}

// ResendEmailCodeRequest is ResendEmailCode: .../email/resend (a oneof).
type ResendEmailCodeRequest struct {
	SendCode   *SendEmailCode `json:"sendCode"`
	ReturnCode *struct{}      `json:"returnCode"`
}

// ResendPhoneCodeRequest is ResendPhoneCode: .../phone/resend (a oneof).
type ResendPhoneCodeRequest struct {
	SendCode   *struct{} `json:"sendCode"`
	ReturnCode *struct{} `json:"returnCode"`
}

// Check checks what needs no record: the oneofs and the URL template.
// Errors are *update.Error with Code Malformed, every conflicting oneof
// named.
func (b *UpdateHumanUserRequest) Check() error {
	bad := checkContact(b.Email, b.Phone)
	if p := b.Password; p != nil {
		bad = append(bad, passwordType("password", p.Password, p.HashedPassword)...)
		bad = append(bad, oneof("password", "verification",
			member{"currentPassword", p.CurrentPassword != nil}, member{"verificationCode", p.VerificationCode != nil})...)
	}
	return malformedIf(bad)
}

// checkContact checks the email and phone sections of a create or update.
func checkContact(e *EmailBody, p *PhoneBody) []update.FieldError {
	return append(e.check(), p.check()...)
}

// passwordType checks the oneof of a plain and a hashed password, in the
// object parent ("" for the request itself).
func passwordType(parent string, plain *PlainPassword, hashed *HashedPassword) []update.FieldError {
	return oneof(parent, "passwordType", member{"password", plain != nil}, member{"hashedPassword", hashed != nil})
}

// Check checks the userType oneof, refuses the machine part and checks the
// human part as UpdateHumanUser's sections are checked. Errors are
// *update.Error: Malformed for a oneof, errMachine for the machine part.
func (b *UpdateUserRequest) Check() error {
	if err := malformedIf(oneof("", "userType", member{"human", b.Human != nil}, member{"machine", b.Machine != nil})); err != nil {
		return err
	}
	if b.Machine != nil {
		return errMachine
	}
	return b.HumanUpdate().Check()
}

// HumanUpdate returns the UpdateHumanUser request UpdateUser stands for:
// the same username and sections, run through the same call. A profile
// field left out is unchanged: UpdateUser's given and family names are
// optional, so one left out reads as UpdateHumanUser's "" does.
func (b *UpdateUserRequest) HumanUpdate() *UpdateHumanUserRequest {
	out := &UpdateHumanUserRequest{Username: b.Username}
	if hu := b.Human; hu != nil {
		out.Email, out.Phone, out.Password = hu.Email, hu.Phone, hu.Password
		if p := hu.Profile; p != nil {
			q := *p
			unchanged := ""
			if q.GivenName == nil {
				q.GivenName = &unchanged
			}
			if q.FamilyName == nil {
				q.FamilyName = &unchanged
			}
			out.Profile = &q
		}
	}
	return out
}

// Request turns a checked UpdateHumanUser into the engine request for t:
// a Merge of the sections sent, each profile field on its own, email and
// phone with their delivery, the password as a secret (checked against
// the current one or a PasswordReset code when one is sent). It returns
// *update.Error with Code Invalid.
func (b *UpdateHumanUserRequest) Request(t Target) (update.Request, error) {
	req := update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge,
	}
	// Secrets and Delivery are made only for a section that needs them:
	// most updates carry neither.
	doc := map[string]any{}
	var bad []update.FieldError
	if b.Username != nil {
		doc["username"] = *b.Username
	}
	if b.Profile != nil {
		p, errs := profilePatch(b.Profile, true)
		bad = append(bad, errs...)
		if len(p) > 0 {
			doc["profile"] = p
		}
	}
	if e := b.Email; e != nil {
		if e.Email == nil || *e.Email == "" {
			bad = append(bad, update.FieldError{Path: emailPath, Rule: update.RuleRequired, Message: "email is empty"})
		} else {
			doc["email"] = map[string]any{"email": *e.Email}
			req.Delivery = map[string]update.Delivery{emailPath: emailDelivery(e, t)}
		}
	}
	// ZITADEL: an empty phone on this call is no removal; nothing changes.
	if p := b.Phone; p != nil && p.Phone != nil && *p.Phone != "" {
		doc["phone"] = map[string]any{"phone": *p.Phone}
		if req.Delivery == nil {
			req.Delivery = make(map[string]update.Delivery, 1)
		}
		req.Delivery[phonePath] = phoneDelivery(p.ReturnCode != nil, p.IsVerified != nil && *p.IsVerified, t)
	}
	if p := b.Password; p != nil {
		sv, changeRequired, errs := passwordValue(p.Password, p.HashedPassword)
		bad = append(bad, errs...)
		if p.CurrentPassword != nil {
			sv.Current = *p.CurrentPassword
		}
		if p.VerificationCode != nil {
			sv.Code = *p.VerificationCode
		}
		if len(errs) == 0 {
			req.Secrets = map[string]update.SecretValue{passwordPath: sv}
			doc["passwordChangeRequired"] = changeRequired
		}
	}
	if len(bad) > 0 {
		return update.Request{}, invalid(bad)
	}
	req.Doc = doc
	return req, nil
}

// profilePatch turns a profile section into a merge patch. On an update
// (patch true) given and family names must be sent and "" leaves them as
// they are; on a create they must not be empty. "" clears the nickname,
// display name and preferred language.
func profilePatch(p *ProfileBody, patch bool) (map[string]any, []update.FieldError) {
	out := map[string]any{}
	var bad []update.FieldError
	required := func(v *string, path, key, what string) {
		switch {
		case v == nil || (*v == "" && !patch):
			bad = append(bad, update.FieldError{Path: path, Rule: update.RuleRequired, Message: what + " in profile is empty"})
		case *v != "":
			out[key] = *v
		}
	}
	required(p.GivenName, givenNamePath, "givenName", "given name")
	required(p.FamilyName, familyNamePath, "familyName", "family name")
	optional := func(v *string, key string) {
		switch {
		case v == nil:
		case *v == "" && patch:
			out[key] = nil // a merge null removes the member
		case *v != "":
			out[key] = *v
		}
	}
	optional(p.NickName, "nickName")
	optional(p.DisplayName, "displayName")
	optional(p.PreferredLanguage, "preferredLanguage")
	if p.Gender != nil {
		out["gender"] = *p.Gender
	}
	return out, bad
}

// passwordValue picks the password kind sent (ParseUpdate has checked that
// at most one is).
func passwordValue(plain *PlainPassword, hashed *HashedPassword) (update.SecretValue, bool, []update.FieldError) {
	empty := []update.FieldError{{Path: passwordPath, Rule: update.RuleRequired, Message: "password is empty"}}
	switch {
	case plain != nil && plain.Password != "":
		return update.SecretValue{Plain: plain.Password}, plain.ChangeRequired, nil
	case hashed != nil && hashed.Hash != "":
		return update.SecretValue{Hash: hashed.Hash}, hashed.ChangeRequired, nil
	}
	return update.SecretValue{}, false, empty
}

// emailDelivery maps the email oneof to a delivery: isVerified true
// asserts, returnCode returns, sendCode (or nothing, or isVerified false)
// sends with the template given or the default one.
func emailDelivery(e *EmailBody, t Target) update.Delivery {
	switch {
	case e.IsVerified != nil && *e.IsVerified:
		return update.Delivery{Kind: update.AlreadyVerified}
	case e.ReturnCode != nil:
		return update.Delivery{Kind: update.ReturnCode}
	}
	tpl := t.DefaultURLTemplate
	if e.SendCode != nil && e.SendCode.URLTemplate != nil {
		tpl = *e.SendCode.URLTemplate
	}
	return update.Delivery{Kind: update.Send, LinkTemplate: tpl, OrgID: t.OrgID}
}

// phoneDelivery maps the phone oneof to a delivery. An SMS carries the
// code only, so no link is rendered.
func phoneDelivery(returnCode, verified bool, t Target) update.Delivery {
	switch {
	case verified:
		return update.Delivery{Kind: update.AlreadyVerified}
	case returnCode:
		return update.Delivery{Kind: update.ReturnCode}
	}
	return update.Delivery{Kind: update.Send, OrgID: t.OrgID}
}

// check checks the verification oneof and the URL template of an email
// section, if one was sent.
func (e *EmailBody) check() []update.FieldError {
	if e == nil {
		return nil
	}
	bad := oneof("email", "verification",
		member{"sendCode", e.SendCode != nil}, member{"returnCode", e.ReturnCode != nil},
		member{"isVerified", e.IsVerified != nil})
	if e.SendCode != nil {
		bad = append(bad, checkTemplate("/email/sendCode/urlTemplate", e.SendCode.URLTemplate)...)
	}
	return bad
}

// check checks the verification oneof of a phone section, if one was sent.
func (p *PhoneBody) check() []update.FieldError {
	if p == nil {
		return nil
	}
	return oneof("phone", "verification",
		member{"sendCode", p.SendCode != nil}, member{"returnCode", p.ReturnCode != nil},
		member{"isVerified", p.IsVerified != nil})
}

// Check checks the oneofs and the URL template of an AddHumanUser.
func (b *AddHumanUserRequest) Check() error {
	bad := passwordType("", b.Password, b.HashedPassword)
	if o := b.Organization; o != nil {
		bad = append(bad, oneof("organization", "org",
			member{"orgId", o.OrgID != nil}, member{"orgDomain", o.OrgDomain != nil})...)
	}
	return malformedIf(append(bad, checkContact(b.Email, b.Phone)...))
}

// Request turns a checked AddHumanUser into the engine request.
// t.OrgID is the organisation the user is created in; t.UserID, when set,
// overrides the body's userId. The username defaults to the email address.
func (b *AddHumanUserRequest) Request(t Target) (update.CreateRequest, error) {
	req := update.CreateRequest{
		Type: EntityType, Client: t.Client, Actor: t.Actor,
		Secrets: map[string]update.SecretValue{}, Delivery: map[string]update.Delivery{},
	}
	if b.UserID != nil {
		req.ID = *b.UserID
	}
	doc := map[string]any{"orgId": t.OrgID}
	var bad []update.FieldError
	if b.Profile == nil {
		b.Profile = &ProfileBody{}
	}
	profile, errs := profilePatch(b.Profile, false)
	bad = append(bad, errs...)
	doc["profile"] = profile
	if e := b.Email; e == nil || e.Email == nil || *e.Email == "" {
		bad = append(bad, update.FieldError{Path: emailPath, Rule: update.RuleRequired, Message: "email is empty"})
	} else {
		doc["email"] = map[string]any{"email": *e.Email}
		if d := emailDelivery(e, t); d.Kind == update.AlreadyVerified {
			req.Verified = append(req.Verified, emailPath)
		} else {
			req.Delivery[emailPath] = d
		}
		doc["username"] = *e.Email
	}
	if b.Username != nil {
		doc["username"] = *b.Username
	}
	if p := b.Phone; p != nil && p.Phone != nil && *p.Phone != "" {
		doc["phone"] = map[string]any{"phone": *p.Phone}
		if p.IsVerified != nil && *p.IsVerified {
			req.Verified = append(req.Verified, phonePath)
		} else {
			req.Delivery[phonePath] = phoneDelivery(p.ReturnCode != nil, false, t)
		}
	}
	if b.Password != nil || b.HashedPassword != nil {
		sv, changeRequired, errs := passwordValue(b.Password, b.HashedPassword)
		bad = append(bad, errs...)
		if len(errs) == 0 {
			req.Secrets[passwordPath] = sv
			doc["passwordChangeRequired"] = changeRequired
		}
	}
	if len(bad) > 0 {
		return update.CreateRequest{}, invalid(bad)
	}
	req.Doc = doc
	return req, nil
}

// Check checks the code: 1 to 20 characters (ZITADEL's proto bound).
func (b *VerifyCodeRequest) Check() error {
	if n := utf8.RuneCountInString(b.VerificationCode); n == 0 || n > 20 {
		return invalid([]update.FieldError{{
			Path: "/verificationCode", Rule: update.RuleRequired, Param: "20",
			Message: "verificationCode must be 1 to 20 characters",
		}})
	}
	return nil
}

// Request returns the engine's confirmation of the code sent to t's email
// (channel verify.Email) or phone (verify.SMS).
func (b *VerifyCodeRequest) Request(t Target, channel verify.Channel) update.ConfirmRequest {
	return update.ConfirmRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: channelPath(channel),
		Code: b.VerificationCode, Client: t.Client, Actor: t.Actor,
	}
}

// Check checks the oneof and the URL template of a ResendEmailCode.
func (b *ResendEmailCodeRequest) Check() error {
	bad := oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil})
	if b.SendCode != nil {
		bad = append(bad, checkTemplate("/sendCode/urlTemplate", b.SendCode.URLTemplate)...)
	}
	return malformedIf(bad)
}

// Request returns the engine's resend for t: returnCode returns the code,
// sendCode or nothing sends it.
func (b *ResendEmailCodeRequest) Request(t Target) update.ResendRequest {
	return update.ResendRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: emailPath,
		Client: t.Client, Actor: t.Actor,
		Delivery: emailDelivery(&EmailBody{SendCode: b.SendCode, ReturnCode: b.ReturnCode}, t),
	}
}

// Check checks the oneof of a ResendPhoneCode.
func (b *ResendPhoneCodeRequest) Check() error {
	return malformedIf(oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil}))
}

// Request returns the engine's resend of the phone code for t.
func (b *ResendPhoneCodeRequest) Request(t Target) update.ResendRequest {
	return update.ResendRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: phonePath,
		Client: t.Client, Actor: t.Actor,
		Delivery: phoneDelivery(b.ReturnCode != nil, false, t),
	}
}

// RemovePhoneRequest returns the engine request of RemovePhone for t.
func RemovePhoneRequest(t Target) update.Request {
	return update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge, Doc: map[string]any{"phone": nil}, IncludeRecord: true,
	}
}

// member is one member of a oneof and whether the request set it.
type member struct {
	name string
	set  bool
}

// oneof reports a oneof with more than one member set, naming all of them.
func oneof(section, name string, members ...member) []update.FieldError {
	var set []string
	for _, m := range members {
		if m.set {
			set = append(set, m.name)
		}
	}
	if len(set) < 2 {
		return nil
	}
	qualified := name
	path := ""
	if section != "" {
		qualified = section + "." + name
		path = "/" + section
	}
	return []update.FieldError{{
		Path: path, Rule: ruleOneof, Param: qualified,
		Message: fmt.Sprintf("oneof %s has more than one member set: %s", qualified, strings.Join(set, ", ")),
	}}
}

// urlTemplateRules are ZITADEL's bounds on a sendCode.urlTemplate: 1 to 200
// characters printing only .UserID, .Code and .OrgID, no functions.
var urlTemplateRules = []verify.LinkOption{
	verify.LinkLength(200), verify.LinkFields("UserID", "Code", "OrgID"), verify.LinkFieldsOnly(),
}

// urlTemplateMessage is what a refused template is told, whatever the
// parser's reason.
const urlTemplateMessage = "urlTemplate must be 1 to 200 characters of text and {{.UserID}}, {{.Code}} and {{.OrgID}}"

// checkTemplate checks a sendCode.urlTemplate that was sent.
func checkTemplate(path string, tpl *string) []update.FieldError {
	if tpl == nil {
		return nil
	}
	if _, err := verify.ParseLinkTemplate(*tpl, urlTemplateRules...); err != nil {
		return []update.FieldError{{Path: path, Rule: update.RuleTemplate, Message: urlTemplateMessage}}
	}
	return nil
}

// malformedIf is malformed(fields), or nil when there are none: the end of
// a Check.
func malformedIf(fields []update.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return malformed(fields)
}

func malformed(fields []update.FieldError) *update.Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Message
	}
	return &update.Error{Code: update.Malformed, Message: "invalid request: " + strings.Join(msgs, "; "), Fields: fields}
}

func invalid(fields []update.FieldError) *update.Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Message
	}
	return &update.Error{Code: update.Invalid, Message: strings.Join(msgs, "; "), Fields: fields}
}

// channelPath maps a verify or resend URL segment to the confirmable path.
func channelPath(channel verify.Channel) string {
	if channel == verify.SMS {
		return phonePath
	}
	return emailPath
}
