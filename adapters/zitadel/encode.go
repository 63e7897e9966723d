package zitadel

import (
	"strconv"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// timeLayout is RFC 3339 in UTC with milliseconds, as ZITADEL writes it.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// ViewDetails returns the details of a read user: its version as the
// sequence, its last change and its organisation.
func ViewDetails(v *update.View) Details {
	return Details{
		Sequence:      strconv.FormatUint(v.Version, 10),
		ChangeDate:    formatTime(v.Updated),
		ResourceOwner: str(v.Doc, "orgId"),
		CreationDate:  formatTime(v.Created),
	}
}

// EncodeChange returns the answer to a change: the details after it
// (unchanged ones when nothing changed) and the codes the request asked to
// have returned. orgID is the user's organisation, used when res carries
// no record.
func EncodeChange(res *update.Result, orgID string) ChangeResponse {
	return changeOf(res, orgID).response()
}

// change is the answer to a change before a wire format writes it: REST
// as ChangeResponse, the RPC formats as protobuf, each from the same
// values.
type change struct {
	version          uint64
	updated, created time.Time // zero: none
	resourceOwner    string
	emailCode        string // "" unless the request asked for it
	phoneCode        string
}

// changeOf reads the answer to a change from its result; see EncodeChange.
func changeOf(res *update.Result, orgID string) change {
	ch := change{version: res.Version, updated: res.Updated, resourceOwner: orgID}
	if res.Record != nil {
		ch.created = res.Record.Created
		if org := str(res.Record.Doc, "orgId"); org != "" {
			ch.resourceOwner = org
		}
	}
	for _, p := range res.Pending {
		switch {
		case p.Code == "":
		case p.Path == emailPath:
			ch.emailCode = p.Code
		case p.Path == phonePath:
			ch.phoneCode = p.Code
		}
	}
	return ch
}

// response is ch as the REST answer.
func (ch change) response() ChangeResponse {
	return ChangeResponse{
		Details: Details{
			Sequence:      strconv.FormatUint(ch.version, 10),
			ChangeDate:    formatTime(ch.updated),
			ResourceOwner: ch.resourceOwner,
			CreationDate:  formatTime(ch.created),
		},
		EmailCode: ch.emailCode,
		PhoneCode: ch.phoneCode,
	}
}

// EncodeAdd returns the answer to a create.
func EncodeAdd(res *update.Result, orgID string) AddResponse {
	c := EncodeChange(res, orgID)
	c.Details.CreationDate = c.Details.ChangeDate
	return AddResponse{UserID: res.ID, Details: c.Details, EmailCode: c.EmailCode, PhoneCode: c.PhoneCode}
}

// EncodeUser returns GetUserByID's answer for a read user.
func EncodeUser(v *update.View) UserResponse {
	d := ViewDetails(v)
	username := str(v.Doc, "username")
	profile := obj(v.Doc, "profile")
	email := obj(v.Doc, "email")
	phone := obj(v.Doc, "phone")
	gender := str(profile, "gender")
	if gender == "" {
		gender = "GENDER_UNSPECIFIED"
	}
	state := "USER_STATE_ACTIVE"
	if v.State == storage.Inactive {
		state = "USER_STATE_INACTIVE"
	}
	return UserResponse{
		Details: d,
		User: User{
			UserID: v.ID, Details: d, State: state,
			Username: username, LoginNames: []string{username}, PreferredLoginName: username,
			Human: Human{
				Profile: Profile{
					GivenName: str(profile, "givenName"), FamilyName: str(profile, "familyName"),
					NickName: str(profile, "nickName"), DisplayName: str(profile, "displayName"),
					PreferredLanguage: str(profile, "preferredLanguage"), Gender: gender,
				},
				Email:                  Email{Email: str(email, "email"), IsVerified: boolean(email, "isVerified")},
				Phone:                  Phone{Phone: str(phone, "phone"), IsVerified: boolean(phone, "isVerified")},
				PasswordChangeRequired: boolean(v.Doc, "passwordChangeRequired"),
			},
		},
	}
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func boolean(m map[string]any, key string) bool {
	b, _ := m[key].(bool)
	return b
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

// UpdateUserResponse answers UpdateUser: the time of the change (of the
// last one when nothing changed) and the codes asked for. UpdateUser's
// answer has no details, so no sequence.
type UpdateUserResponse struct {
	ChangeDate string `json:"changeDate"`
	EmailCode  string `json:"emailCode,omitempty"`
	PhoneCode  string `json:"phoneCode,omitempty"`
}

// EncodeUpdateUser returns UpdateUser's answer to the change c.
func EncodeUpdateUser(c ChangeResponse) UpdateUserResponse {
	return UpdateUserResponse{ChangeDate: c.Details.ChangeDate, EmailCode: c.EmailCode, PhoneCode: c.PhoneCode}
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

// appendJSON appends d's JSON text, the bytes json.Marshal writes for it.
func (d Details) appendJSON(b []byte) []byte {
	b = append(b, `{"sequence":`...)
	b = httpx.AppendString(b, d.Sequence)
	b = append(b, `,"changeDate":`...)
	b = httpx.AppendString(b, d.ChangeDate)
	b = append(b, `,"resourceOwner":`...)
	b = httpx.AppendString(b, d.ResourceOwner)
	if d.CreationDate != "" {
		b = append(b, `,"creationDate":`...)
		b = httpx.AppendString(b, d.CreationDate)
	}
	return append(b, '}')
}

// AppendJSON appends c's JSON text, the bytes json.Marshal writes for it:
// the answer of most calls, written without reflection. It returns no
// error: every member is a string.
func (c *ChangeResponse) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"details":`...)
	b = c.Details.appendJSON(b)
	b = appendOptional(b, "emailCode", c.EmailCode)
	b = appendOptional(b, "phoneCode", c.PhoneCode)
	b = appendOptional(b, "verificationCode", c.VerificationCode)
	return append(b, '}'), nil
}

// appendOptional appends the member name with value s unless s is empty,
// as omitempty does.
func appendOptional(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return httpx.AppendString(b, s)
}
