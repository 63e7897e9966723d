package zitadel

import (
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
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

// The bounds of the times formatTime writes in four-digit years and
// timePB reads back: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const (
	minTimestampSeconds = -62167219200
	maxTimestampSeconds = 253402300799
)

// timestampOf is t as timePB(formatTime(t)) reads it back, without the
// text between: UTC seconds and nanoseconds cut to milliseconds. ok is
// false where that is no time: a zero t, or one whose year has not four
// digits.
func timestampOf(t time.Time) (seconds int64, nanos int32, ok bool) {
	if t.IsZero() {
		return 0, 0, false
	}
	seconds = t.Unix()
	if seconds < minTimestampSeconds || seconds > maxTimestampSeconds {
		return 0, 0, false
	}
	return seconds, int32(t.Nanosecond() / int(time.Millisecond) * int(time.Millisecond)), true
}

// timestampPB is timePB(formatTime(t)).
func timestampPB(t time.Time) *timestamppb.Timestamp {
	s, n, ok := timestampOf(t)
	if !ok {
		return nil
	}
	return &timestamppb.Timestamp{Seconds: s, Nanos: n}
}

// detailsPB is detailsPB(ch.response().Details).
func (ch change) detailsPB() *objectpb.Details {
	return &objectpb.Details{
		Sequence: ch.version, ChangeDate: timestampPB(ch.updated),
		ResourceOwner: ch.resourceOwner, CreationDate: timestampPB(ch.created),
	}
}

// updateHumanUserPB is UpdateHumanUser's answer.
func (ch change) updateHumanUserPB() *userpb.UpdateHumanUserResponse {
	return &userpb.UpdateHumanUserResponse{
		Details:   ch.detailsPB(),
		EmailCode: optional(ch.emailCode), PhoneCode: optional(ch.phoneCode),
	}
}

// appendUpdateHumanUserPB appends UpdateHumanUser's answer to b as
// proto.Marshal writes updateHumanUserPB: fields in number order, zero
// scalars and absent messages left out. A string that is not UTF-8,
// which the protobuf runtime refuses to write, is left to proto.Marshal
// for its error.
func (ch change) appendUpdateHumanUserPB(b []byte) ([]byte, error) {
	if !utf8.ValidString(ch.resourceOwner) || !utf8.ValidString(ch.emailCode) || !utf8.ValidString(ch.phoneCode) {
		return proto.MarshalOptions{}.MarshalAppend(b, ch.updateHumanUserPB())
	}
	b = appendDetailsPB(b, 1, ch)
	if ch.emailCode != "" {
		b = protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), ch.emailCode)
	}
	if ch.phoneCode != "" {
		b = protowire.AppendString(protowire.AppendTag(b, 3, protowire.BytesType), ch.phoneCode)
	}
	return b, nil
}

// appendDetailsPB appends field num holding ch.detailsPB() to b.
func appendDetailsPB(b []byte, num protowire.Number, ch change) []byte {
	updated, created := pbTimestampOf(ch.updated), pbTimestampOf(ch.created)
	size := updated.fieldSize() + created.fieldSize()
	if ch.version != 0 {
		size += 1 + protowire.SizeVarint(ch.version)
	}
	if ch.resourceOwner != "" {
		size += 1 + protowire.SizeBytes(len(ch.resourceOwner))
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(size))
	if ch.version != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), ch.version)
	}
	b = updated.appendField(b, 2)
	if ch.resourceOwner != "" {
		b = protowire.AppendString(protowire.AppendTag(b, 3, protowire.BytesType), ch.resourceOwner)
	}
	return created.appendField(b, 4)
}

// pbTimestamp is timestampPB(t) as its encoder needs it: the message's
// fields and its encoded size, worked out once; ok is false where the
// message is nil.
type pbTimestamp struct {
	seconds int64
	nanos   int32
	size    int
	ok      bool
}

// pbTimestampOf is timestampPB(t) for appendField.
func pbTimestampOf(t time.Time) pbTimestamp {
	s, n, ok := timestampOf(t)
	if !ok {
		return pbTimestamp{}
	}
	p := pbTimestamp{seconds: s, nanos: n, ok: true}
	if s != 0 {
		p.size += 1 + protowire.SizeVarint(uint64(s))
	}
	if n != 0 {
		p.size += 1 + protowire.SizeVarint(uint64(int64(n)))
	}
	return p
}

// fieldSize is the encoded size of a field holding p: 0 when p is nil.
func (p pbTimestamp) fieldSize() int {
	if !p.ok {
		return 0
	}
	return 1 + protowire.SizeBytes(p.size)
}

// appendField appends field num holding p to b, or nothing when p is
// nil.
func (p pbTimestamp) appendField(b []byte, num protowire.Number) []byte {
	if !p.ok {
		return b
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(p.size))
	if p.seconds != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(p.seconds))
	}
	if p.nanos != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), uint64(int64(p.nanos)))
	}
	return b
}
