package zitadel

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// The RPC encoders restate the REST answers (EncodeChange, EncodeAdd,
// EncodeUser) in protobuf, so both wire formats carry the same values.

func detailsPB(d Details) *objectpb.Details {
	seq, _ := strconv.ParseUint(d.Sequence, 10, 64)
	return &objectpb.Details{
		Sequence: seq, ChangeDate: timePB(d.ChangeDate),
		ResourceOwner: d.ResourceOwner, CreationDate: timePB(d.CreationDate),
	}
}

// timePB parses a time EncodeChange or ViewDetails wrote; "" is no time.
func timePB(s string) *timestamppb.Timestamp {
	t, ok := parseTime(s)
	if !ok {
		var err error
		if t, err = time.Parse(timeLayout, s); err != nil {
			return nil
		}
	}
	return timestamppb.New(t)
}

// parseTime reads s in timeLayout, as formatTime writes it, without
// time.Parse's general machinery. It reports false for anything else,
// including out-of-range fields, which time.Parse then judges.
func parseTime(s string) (time.Time, bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[23] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, mo, d, h, mi, sec, ms := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 23)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
	if t.Day() != d { // past the month's end
		return time.Time{}, false
	}
	return t, true
}

// optional returns a pointer to s, or nil for "": the answer's codes are
// proto3 optionals, present only when the request asked for them.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func userPB(r UserResponse) *userpb.GetUserByIDResponse {
	u, h := r.User, r.User.Human
	p := &userpb.HumanProfile{
		GivenName: h.Profile.GivenName, FamilyName: h.Profile.FamilyName,
		NickName: optional(h.Profile.NickName), DisplayName: optional(h.Profile.DisplayName),
		PreferredLanguage: optional(h.Profile.PreferredLanguage),
	}
	g := userpb.Gender(userpb.Gender_value[h.Profile.Gender])
	p.Gender = &g
	d := detailsPB(u.Details)
	return &userpb.GetUserByIDResponse{
		Details: d,
		User: &userpb.User{
			UserId: u.UserID, Details: d, State: userpb.UserState(userpb.UserState_value[u.State]),
			Username: u.Username, LoginNames: u.LoginNames, PreferredLoginName: u.PreferredLoginName,
			Type: &userpb.User_Human{Human: &userpb.HumanUser{
				UserId: u.UserID, State: userpb.UserState(userpb.UserState_value[u.State]),
				Username: u.Username, LoginNames: u.LoginNames, PreferredLoginName: u.PreferredLoginName,
				Profile:                p,
				Email:                  &userpb.HumanEmail{Email: h.Email.Email, IsVerified: h.Email.IsVerified},
				Phone:                  &userpb.HumanPhone{Phone: h.Phone.Phone, IsVerified: h.Phone.IsVerified},
				PasswordChangeRequired: h.PasswordChangeRequired,
			}},
		},
	}
}
