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
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return nil
	}
	return timestamppb.New(t)
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
