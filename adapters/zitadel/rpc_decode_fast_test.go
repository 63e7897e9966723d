package zitadel

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/update"
)

// checkSameUpdatePB checks readUpdatePB against the checked path on
// payload: protoCodec's unmarshal (skipped for an empty payload, as
// connect-go skips it) and updateBodyPB. When readUpdatePB takes the
// payload, the checked path must take it too and build the same user id
// and typed request, which then passes or fails Check alike.
func checkSameUpdatePB(t *testing.T, payload []byte) (fast bool) {
	t.Helper()
	id, got, fast := readUpdatePB(payload)
	var m userpb.UpdateHumanUserRequest
	var err error
	if len(payload) > 0 {
		err = protoCodec{}.Unmarshal(payload, &m)
	}
	if !fast {
		return false
	}
	require.NoError(t, err, "fast path took %x", payload)
	want := updateBodyPB(&m)
	require.Equal(t, m.GetUserId(), id, "payload %x", payload)
	require.Equal(t, want, got, "payload %x", payload)
	wantErr, gotErr := want.Check(), got.Check()
	if wantErr == nil {
		require.NoError(t, gotErr)
		return true
	}
	require.Error(t, gotErr)
	assert.Equal(t, wantErr.Error(), gotErr.Error())
	assert.Equal(t, update.ErrorFields(wantErr), update.ErrorFields(gotErr))
	return true
}

func ptr[T any](v T) *T { return &v }

// updatePBSections are the values of each section of UpdateHumanUser the
// valid messages combine: every field and oneof member of the typed
// request, absent, empty and set.
func updatePBSections() (usernames []*string, profiles []*userpb.SetHumanProfile, emails []*userpb.SetHumanEmail, phones []*userpb.SetHumanPhone, passwords []*userpb.SetPassword) {
	usernames = []*string{nil, ptr(""), ptr("minnie"), ptr("mînnie ✓")}
	profiles = []*userpb.SetHumanProfile{nil, {}, {GivenName: "Minnie", FamilyName: "Mouse"},
		{GivenName: "Minnie", FamilyName: "Mouse", NickName: ptr("Mini")},
		{NickName: ptr(""), DisplayName: ptr(""), PreferredLanguage: ptr("")},
		{GivenName: "Mînnie", FamilyName: strings.Repeat("M", 300), DisplayName: ptr("M M"), PreferredLanguage: ptr("de-CH")}}
	for g := range userpb.Gender_name {
		profiles = append(profiles, &userpb.SetHumanProfile{GivenName: "G", Gender: ptr(userpb.Gender(g))})
	}
	emails = []*userpb.SetHumanEmail{nil, {}, {Email: "mini@mouse.example"},
		{Email: "a@b.example", Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{}}},
		{Email: "a@b.example", Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{UrlTemplate: ptr("https://x/{{.UserID}}/{{.Code}}")}}},
		{Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{UrlTemplate: ptr("")}}},
		{Email: "a@b.example", Verification: &userpb.SetHumanEmail_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}}},
		{Email: "a@b.example", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}},
		{Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: false}},
	}
	phones = []*userpb.SetHumanPhone{nil, {}, {Phone: "+41791234567"},
		{Phone: "+41791234567", Verification: &userpb.SetHumanPhone_SendCode{SendCode: &userpb.SendPhoneVerificationCode{}}},
		{Phone: "+41791234567", Verification: &userpb.SetHumanPhone_ReturnCode{ReturnCode: &userpb.ReturnPhoneVerificationCode{}}},
		{Phone: "+41791234567", Verification: &userpb.SetHumanPhone_IsVerified{IsVerified: true}},
		{Verification: &userpb.SetHumanPhone_IsVerified{IsVerified: false}},
	}
	passwords = []*userpb.SetPassword{nil, {},
		{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Secr3t!pass"}}},
		{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Secr3t!pass", ChangeRequired: true}},
			Verification: &userpb.SetPassword_CurrentPassword{CurrentPassword: "Old!pass1"}},
		{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{}},
			Verification: &userpb.SetPassword_VerificationCode{VerificationCode: "123456"}},
		{PasswordType: &userpb.SetPassword_HashedPassword{HashedPassword: &userpb.HashedPassword{Hash: "$2a$12$abc", ChangeRequired: true}}},
		{PasswordType: &userpb.SetPassword_HashedPassword{HashedPassword: &userpb.HashedPassword{}}},
		{Verification: &userpb.SetPassword_CurrentPassword{CurrentPassword: ""}},
		{Verification: &userpb.SetPassword_VerificationCode{VerificationCode: ""}},
	}
	return
}

// validUpdatePB are UpdateHumanUser messages readUpdatePB must take:
// each section's values beside full ones of the others, plus, with all
// set, every combination when all is true.
func validUpdatePB(tb testing.TB, all bool) [][]byte {
	usernames, profiles, emails, phones, passwords := updatePBSections()
	var msgs []*userpb.UpdateHumanUserRequest
	add := func(id string, u *string, p *userpb.SetHumanProfile, e *userpb.SetHumanEmail, ph *userpb.SetHumanPhone, pw *userpb.SetPassword) {
		msgs = append(msgs, &userpb.UpdateHumanUserRequest{UserId: id, Username: u, Profile: p, Email: e, Phone: ph, Password: pw})
	}
	id := DemoUserID
	full := func(vs int) int { return vs - 1 }
	for _, u := range usernames {
		add(id, u, nil, nil, nil, nil)
	}
	for _, p := range profiles {
		add(id, nil, p, nil, nil, nil)
		add("", usernames[2], p, emails[full(len(emails))], phones[2], passwords[3])
	}
	for _, e := range emails {
		add(id, nil, nil, e, nil, nil)
		add(id, usernames[3], profiles[3], e, phones[4], passwords[5])
	}
	for _, ph := range phones {
		add(id, nil, nil, nil, ph, nil)
		add(id, usernames[1], profiles[2], emails[6], ph, passwords[2])
	}
	for _, pw := range passwords {
		add(id, nil, nil, nil, nil, pw)
		add("x", usernames[2], profiles[5], emails[3], phones[3], pw)
	}
	if all {
		for _, u := range usernames {
			for _, p := range profiles {
				for _, e := range emails {
					for _, ph := range phones {
						for _, pw := range passwords {
							add(id, u, p, e, ph, pw)
						}
					}
				}
			}
		}
	}
	out := [][]byte{nil}
	for _, m := range msgs {
		b, err := proto.Marshal(m)
		require.NoError(tb, err)
		out = append(out, b)
	}
	return out
}

// Encodings protobuf-go reads as proto.Marshal's but never writes:
// fields out of order, scalars sent at their zero value, tags and lengths
// longer than they need be, bools as other non-zero varints.
var validUpdatePBOddities = [][]byte{
	// profile{family "M", given "G"}, user_id "u": out of order.
	{0x1a, 0x06, 0x12, 0x01, 'M', 0x0a, 0x01, 'G', 0x0a, 0x01, 'u'},
	// user_id "" and profile{given ""} sent explicitly.
	{0x0a, 0x00, 0x1a, 0x02, 0x0a, 0x00},
	// user_id "u" with a two-byte tag and a two-byte length.
	{0x8a, 0x00, 0x81, 0x00, 'u'},
	// email{is_verified 7}, phone{is_verified as a ten-byte 1}.
	{0x22, 0x02, 0x20, 0x07, 0x2a, 0x0b, 0x20, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
	// profile{gender 2 in three bytes}.
	{0x1a, 0x04, 0x30, 0x82, 0x80, 0x00},
	// password{password{change_required 2}, verification_code "1"}.
	{0x32, 0x07, 0x0a, 0x02, 0x10, 0x02, 0x22, 0x01, '1'},
}

// hostileUpdatePB are messages readUpdatePB leaves to the checked path:
// ones protobuf or the codec refuses, and ones whose meaning hangs on
// protobuf's merge rules.
var hostileUpdatePB = [][]byte{
	// Unknown fields, at the top and in each section.
	{0x3a, 0x00}, {0x38, 0x01}, {0x0a, 0x01, 'u', 0xfa, 0x01, 0x00},
	{0x1a, 0x02, 0x38, 0x01}, {0x22, 0x02, 0x2a, 0x00}, {0x2a, 0x02, 0x28, 0x01}, {0x32, 0x02, 0x2a, 0x00},
	{0x32, 0x04, 0x0a, 0x02, 0x18, 0x01}, {0x22, 0x04, 0x12, 0x02, 0x10, 0x01},
	// Content in the empty messages.
	{0x22, 0x04, 0x1a, 0x02, 0x08, 0x01}, {0x2a, 0x04, 0x12, 0x02, 0x08, 0x01},
	// Fields repeated: the last wins or messages merge.
	{0x0a, 0x01, 'a', 0x0a, 0x01, 'b'}, {0x12, 0x00, 0x12, 0x00}, {0x1a, 0x00, 0x1a, 0x00},
	{0x1a, 0x04, 0x0a, 0x00, 0x0a, 0x00}, {0x22, 0x04, 0x20, 0x01, 0x20, 0x00}, {0x32, 0x04, 0x1a, 0x00, 0x1a, 0x00},
	{0x1a, 0x02, 0x30, 0x01, 0x1a, 0x02, 0x30, 0x02},
	// Two members of a oneof: the last wins.
	{0x22, 0x04, 0x1a, 0x00, 0x20, 0x01}, {0x22, 0x04, 0x12, 0x00, 0x1a, 0x00}, {0x2a, 0x04, 0x12, 0x00, 0x20, 0x00},
	{0x32, 0x04, 0x0a, 0x00, 0x12, 0x00}, {0x32, 0x04, 0x1a, 0x00, 0x22, 0x00},
	// Wrong wire types.
	{0x08, 0x01}, {0x1d, 0, 0, 0, 0}, {0x19, 0, 0, 0, 0, 0, 0, 0, 0}, {0x1a, 0x02, 0x32, 0x00}, {0x22, 0x02, 0x22, 0x00},
	{0x1a, 0x02, 0x08, 0x01}, {0x32, 0x02, 0x08, 0x01},
	// Groups, and a tag of field 0.
	{0x1b, 0x1c}, {0x0b, 0x0c}, {0x1a, 0x02, 0x0b, 0x0c}, {0x00, 0x00}, {0x02, 0x00},
	// Strings that are not UTF-8, in every string field.
	{0x0a, 0x01, 0xff}, {0x12, 0x02, 0xc3, 0x28}, {0x1a, 0x03, 0x0a, 0x01, 0x80}, {0x1a, 0x03, 0x12, 0x01, 0xff},
	{0x1a, 0x03, 0x1a, 0x01, 0xff}, {0x1a, 0x03, 0x22, 0x01, 0xff}, {0x1a, 0x03, 0x2a, 0x01, 0xff},
	{0x22, 0x03, 0x0a, 0x01, 0xff}, {0x22, 0x05, 0x12, 0x03, 0x0a, 0x01, 0xff}, {0x2a, 0x03, 0x0a, 0x01, 0xff},
	{0x32, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0xff}, {0x32, 0x05, 0x12, 0x03, 0x0a, 0x01, 0xff},
	{0x32, 0x03, 0x1a, 0x01, 0xff}, {0x32, 0x03, 0x22, 0x01, 0xed},
	// Genders past the enum's names, and negative.
	{0x1a, 0x02, 0x30, 0x04}, {0x1a, 0x02, 0x30, 0x7f}, {0x1a, 0x0b, 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	// 1<<32, which protobuf reads as gender 0.
	{0x1a, 0x06, 0x30, 0x80, 0x80, 0x80, 0x80, 0x10},
	// Truncation and lengths past the end.
	{0x0a}, {0x0a, 0x05, 'a'}, {0x1a, 0x05, 0x0a, 0x01, 'a'}, {0x1a, 0x02, 0x0a, 0x05}, {0x22, 0x01, 0x20},
	{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}, {0x8a}, {0x22, 0x0b, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
	// Field numbers past the message's, in tags one byte and longer.
	{0x82, 0x01, 0x00}, {0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00}, {0x1a, 0x03, 0x82, 0x01, 0x00},
}

func TestReadUpdatePBMatchesChecked(t *testing.T) {
	valid := validUpdatePB(t, !testing.Short())
	for _, payload := range valid {
		require.True(t, checkSameUpdatePB(t, payload), "fast path refused %x", payload)
	}
	t.Logf("%d valid messages", len(valid))
	for _, payload := range validUpdatePBOddities {
		assert.True(t, checkSameUpdatePB(t, payload), "fast path refused %x", payload)
	}
	for _, payload := range hostileUpdatePB {
		assert.False(t, checkSameUpdatePB(t, payload), "fast path took %x", payload)
	}
}

// Mutations of the valid messages: every prefix, and each byte replaced
// by one that often changes the meaning (a tag of each wire type, a
// continuation bit, a byte that is not UTF-8, a neighbour).
func TestReadUpdatePBMutations(t *testing.T) {
	for _, msg := range append(validUpdatePB(t, false), validUpdatePBOddities...) {
		for i := range len(msg) {
			checkSameUpdatePB(t, msg[:i])
			for _, c := range []byte{0, 1, 2, 0x08, 0x0a, 0x0b, 0x0c, 0x0d, 0x12, 0x20, 0x30, 0x38, 0x3a, 0x7f, 0x80, 0xff, msg[i] + 1, msg[i] - 1, msg[i] ^ 0x80} {
				m := bytes.Clone(msg)
				m[i] = c
				checkSameUpdatePB(t, m)
			}
			// A byte inserted and one dropped.
			checkSameUpdatePB(t, append(append(bytes.Clone(msg[:i]), 0x00), msg[i:]...))
			checkSameUpdatePB(t, append(bytes.Clone(msg[:i]), msg[i+1:]...))
		}
		// Each message twice, and with a field appended.
		checkSameUpdatePB(t, append(bytes.Clone(msg), msg...))
		checkSameUpdatePB(t, append(bytes.Clone(msg), 0x12, 0x01, 'x'))
	}
}

func FuzzReadUpdatePB(f *testing.F) {
	for _, payload := range validUpdatePB(f, false) {
		f.Add(payload)
	}
	for _, payload := range append(append([][]byte{}, validUpdatePBOddities...), hostileUpdatePB...) {
		f.Add(payload)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkSameUpdatePB(t, payload)
	})
}

// changes are answers of UpdateHumanUser to encode: sequences, times
// (none, the epoch, before it, each end of four-digit years and past
// them, with and without sub-milliseconds), organisations and codes,
// including strings too long for a one-byte length and ones that are not
// UTF-8.
func changes() []change {
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(0, 999_999), time.Unix(0, 1_000_000), time.Unix(-1, 0),
		time.Unix(-1, 500_000_000), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 5, 36, 50, 123_456_789, time.FixedZone("x", 3600)), time.Unix(math.MaxInt32, 0),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1, 1, 1, 1, 0, 0, 0, time.FixedZone("y", 3600))}
	for i := range 200 {
		times = append(times, time.Unix(int64(i)*7919*36077-1_500_000_000, int64(i)*1_234_567%1_000_000_000))
	}
	versions := []uint64{0, 1, 127, 128, 1 << 35, math.MaxUint64}
	strs := []string{"", "o", "365172618243112963", strings.Repeat("ö", 100), "\xff", "a\x00b"}
	var out []change
	for i, t := range times {
		for j, v := range versions {
			ch := change{
				version: v, updated: t, created: times[(i+j)%len(times)],
				resourceOwner: strs[(i+j)%len(strs)], emailCode: strs[(i+2*j)%len(strs)], phoneCode: strs[(2*i+j)%len(strs)],
			}
			out = append(out, ch)
		}
	}
	return out
}

// The direct encoder writes what proto.Marshal writes of the answer's
// message, which reads back equal; the message is what the answer was
// before the encoder: times through formatTime and timePB.
func TestAppendUpdateHumanUserPB(t *testing.T) {
	for _, ch := range changes() {
		msg := ch.updateHumanUserPB()
		old := ch.response()
		want := &userpb.UpdateHumanUserResponse{Details: detailsPB(old.Details), EmailCode: optional(old.EmailCode), PhoneCode: optional(old.PhoneCode)}
		require.True(t, proto.Equal(want, msg), "%+v:\n%v\n%v", ch, want, msg)

		wantBytes, wantErr := proto.Marshal(msg)
		prefix := []byte{1, 2, 3, 4, 5}
		got, err := ch.appendUpdateHumanUserPB(bytes.Clone(prefix))
		if wantErr != nil {
			require.Error(t, err, "%+v", ch)
			assert.Equal(t, wantErr.Error(), err.Error())
			continue
		}
		require.NoError(t, err, "%+v", ch)
		require.Equal(t, prefix, got[:5])
		require.Equal(t, wantBytes, got[5:], "%+v", ch)
		var back userpb.UpdateHumanUserResponse
		require.NoError(t, proto.Unmarshal(got[5:], &back))
		require.True(t, proto.Equal(msg, &back))
	}
}

// timestampOf agrees with formatTime and time.Parse around every bound.
func TestTimestampOfMatchesFormat(t *testing.T) {
	for _, ch := range changes() {
		for _, tm := range []time.Time{ch.updated, ch.created, ch.updated.Add(-time.Nanosecond), ch.updated.Add(time.Nanosecond)} {
			s, n, ok := timestampOf(tm)
			want := timePB(formatTime(tm))
			require.Equal(t, want != nil, ok, "%v", tm)
			if ok {
				assert.Equal(t, want.Seconds, s, "%v", tm)
				assert.Equal(t, want.Nanos, n, "%v", tm)
			}
		}
	}
}

// A message's strings share one allocation only when it carries no
// secret: the password, and the names beside it, get strings of their
// own, so a stored name never holds a password's bytes alive.
func TestReadUpdatePBSecretsOwnStrings(t *testing.T) {
	// Names longer than the allocator's tiny objects, whose distance in
	// the message is no multiple of 8: strings allocated apart cannot lie
	// that far apart by chance.
	profile := &userpb.SetHumanProfile{GivenName: "Minnie-Rose Ophelia!", FamilyName: "Mouse of Duckburg Town"}
	// apart is the distance in memory between the given and family name,
	// set in the typed request read from msg.
	apart := func(msg *userpb.UpdateHumanUserRequest) (uintptr, *UpdateHumanUserRequest) {
		payload, err := proto.Marshal(msg)
		require.NoError(t, err)
		_, b, ok := readUpdatePB(payload)
		require.True(t, ok)
		return uintptr(unsafe.Pointer(unsafe.StringData(*b.Profile.FamilyName))) - uintptr(unsafe.Pointer(unsafe.StringData(*b.Profile.GivenName))), b
	}
	// In the wire form, the family name follows the given name and its
	// own tag and length.
	wireApart := len(profile.GivenName) + 2
	d, _ := apart(&userpb.UpdateHumanUserRequest{UserId: "u", Profile: profile})
	assert.Equal(t, uintptr(wireApart), d, "strings of a message without secrets are parts of one")
	d, b := apart(&userpb.UpdateHumanUserRequest{UserId: "u", Profile: profile,
		Password: &userpb.SetPassword{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "Secr3t!pass"}}}})
	assert.NotEqual(t, uintptr(wireApart), d, "strings of a message with a password share its allocation")
	assert.Equal(t, "Secr3t!pass", b.Password.Password.Password)
}
