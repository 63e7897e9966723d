package zitadel

import (
	"math/bits"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// readUpdatePB reads an UpdateHumanUser message in one pass, without
// reflection, into its user id and the typed request updateBodyPB builds
// from the message protoCodec decodes. It accepts only messages
// protoCodec accepts and then builds what updateBodyPB would: each field
// a field of its message with its own wire type, sent at most once, at
// most one member of each oneof, strings UTF-8, genders named by the
// enum, empty messages empty. On anything else — unknown fields, fields
// repeated (which protobuf merges or lets the last win), a second oneof
// member, wrong wire types, groups, truncation, an unnamed gender — it
// reports false and the caller decodes the message the checked way,
// whose errors are the documented ones. So it only has to be exact on
// what it accepts.
func readUpdatePB(data []byte) (userID string, b *UpdateHumanUserRequest, ok bool) {
	u := new(updatePB)
	b = &u.req
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		if !ok || typ != protowire.BytesType {
			return "", nil, false
		}
		switch num {
		case 1:
			userID, ok = m.str()
		case 2:
			u.username, ok = m.str()
			b.Username = &u.username
		case 3:
			b.Profile, ok = readProfilePB(m.bytes())
		case 4:
			b.Email, ok = readEmailPB(m.bytes())
		case 5:
			b.Phone, ok = readPhonePB(m.bytes())
		case 6:
			b.Password, ok = readPasswordPB(m.bytes())
		default:
			ok = false
		}
		if !ok {
			return "", nil, false
		}
	}
	return userID, b, true
}

// The typed sections readUpdatePB builds, each in one allocation with the
// values its pointers point to.
type (
	updatePB struct {
		req      UpdateHumanUserRequest
		username string
	}
	profilePB struct {
		body                                   ProfileBody
		given, family, nick, display, language string
		gender                                 string
	}
	emailPB struct {
		body     EmailBody
		email    string
		send     SendEmailCode
		url      string
		verified bool
	}
	phonePB struct {
		body     PhoneBody
		phone    string
		verified bool
	}
	passwordPB struct {
		body          PasswordBody
		plain         PlainPassword
		hashed        HashedPassword
		current, code string
	}
)

// genderNames are the names of userpb.Gender by number, as its String
// method gives them.
var genderNames = [...]string{"GENDER_UNSPECIFIED", "GENDER_FEMALE", "GENDER_MALE", "GENDER_DIVERSE"}

// readProfilePB reads SetHumanProfile, as profileBody converts it: given
// and family name are always set (proto3 scalars without presence).
func readProfilePB(data []byte, ok bool) (*ProfileBody, bool) {
	if !ok {
		return nil, false
	}
	p := new(profilePB)
	b := &p.body
	b.GivenName, b.FamilyName = &p.given, &p.family
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			p.given, ok = m.str()
		case num == 2 && typ == protowire.BytesType:
			p.family, ok = m.str()
		case num == 3 && typ == protowire.BytesType:
			p.nick, ok = m.str()
			b.NickName = &p.nick
		case num == 4 && typ == protowire.BytesType:
			p.display, ok = m.str()
			b.DisplayName = &p.display
		case num == 5 && typ == protowire.BytesType:
			p.language, ok = m.str()
			b.PreferredLanguage = &p.language
		case num == 6 && typ == protowire.VarintType:
			var g uint64
			g, ok = m.varint()
			if ok = ok && g < uint64(len(genderNames)); ok {
				p.gender = genderNames[g]
				b.Gender = &p.gender
			}
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return b, true
}

// verificationOneof is the field numbers of the verification oneof of
// SetHumanEmail and SetHumanPhone: send_code, return_code, is_verified.
const verificationOneof = 1<<2 | 1<<3 | 1<<4

// readEmailPB reads SetHumanEmail, as emailBody converts it.
func readEmailPB(data []byte, ok bool) (*EmailBody, bool) {
	if !ok {
		return nil, false
	}
	e := new(emailPB)
	b := &e.body
	b.Email = &e.email
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			e.email, ok = m.str()
		case num == 2 && typ == protowire.BytesType:
			var sent bool
			e.url, sent, ok = readSendEmailCodePB(m.bytes())
			if b.SendCode = &e.send; sent {
				e.send.URLTemplate = &e.url
			}
		case num == 3 && typ == protowire.BytesType:
			b.ReturnCode, ok = readEmptyPB(m.bytes())
		case num == 4 && typ == protowire.VarintType:
			e.verified, ok = m.boolean()
			b.IsVerified = &e.verified
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return b, m.oneOf(verificationOneof)
}

// readSendEmailCodePB reads SendEmailVerificationCode: its URL template,
// and whether it was sent.
func readSendEmailCodePB(data []byte, ok bool) (url string, sent, _ bool) {
	if !ok {
		return "", false, false
	}
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		if !ok || num != 1 || typ != protowire.BytesType {
			return "", false, false
		}
		if url, ok = m.str(); !ok {
			return "", false, false
		}
		sent = true
	}
	return url, sent, true
}

// readPhonePB reads SetHumanPhone, as phoneBody converts it.
func readPhonePB(data []byte, ok bool) (*PhoneBody, bool) {
	if !ok {
		return nil, false
	}
	p := new(phonePB)
	b := &p.body
	b.Phone = &p.phone
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			p.phone, ok = m.str()
		case num == 2 && typ == protowire.BytesType:
			b.SendCode, ok = readEmptyPB(m.bytes())
		case num == 3 && typ == protowire.BytesType:
			b.ReturnCode, ok = readEmptyPB(m.bytes())
		case num == 4 && typ == protowire.VarintType:
			p.verified, ok = m.boolean()
			b.IsVerified = &p.verified
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return b, m.oneOf(verificationOneof)
}

// The oneofs of SetPassword: password_type (password, hashed_password)
// and verification (current_password, verification_code).
const (
	passwordTypeOneof         = 1<<1 | 1<<2
	passwordVerificationOneof = 1<<3 | 1<<4
)

// readPasswordPB reads SetPassword, as passwordBody converts it.
func readPasswordPB(data []byte, ok bool) (*PasswordBody, bool) {
	if !ok {
		return nil, false
	}
	p := new(passwordPB)
	b := &p.body
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		if !ok || typ != protowire.BytesType {
			return nil, false
		}
		switch num {
		case 1:
			b.Password = &p.plain
			p.plain.Password, p.plain.ChangeRequired, ok = readSecretPB(m.bytes())
		case 2:
			b.HashedPassword = &p.hashed
			p.hashed.Hash, p.hashed.ChangeRequired, ok = readSecretPB(m.bytes())
		case 3:
			p.current, ok = m.str()
			b.CurrentPassword = &p.current
		case 4:
			p.code, ok = m.str()
			b.VerificationCode = &p.code
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return b, m.oneOf(passwordTypeOneof) && m.oneOf(passwordVerificationOneof)
}

// readSecretPB reads Password or HashedPassword: a string (field 1) and
// change_required (field 2).
func readSecretPB(data []byte, ok bool) (value string, changeRequired, _ bool) {
	if !ok {
		return "", false, false
	}
	m := pbMessage{data: data}
	for len(m.data) > 0 {
		num, typ, ok := m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			value, ok = m.str()
		case num == 2 && typ == protowire.VarintType:
			changeRequired, ok = m.boolean()
		default:
			ok = false
		}
		if !ok {
			return "", false, false
		}
	}
	return value, changeRequired, true
}

// readEmptyPB reads a message without fields, as the oneof members
// return_code and send_code are; any content is an unknown field.
func readEmptyPB(data []byte, ok bool) (*struct{}, bool) {
	if !ok || len(data) > 0 {
		return nil, false
	}
	return &struct{}{}, true
}

// pbMessage is the fields of one message still to read, and those read.
type pbMessage struct {
	data []byte
	seen uint32 // bit n: field n was read
}

// field reads the next tag and returns its field number, under 32, and
// wire type. It reports false when the tag does not parse or names a
// field read before.
func (m *pbMessage) field() (protowire.Number, protowire.Type, bool) {
	num, typ, n := protowire.ConsumeTag(m.data)
	if n < 0 || num >= 32 || m.seen&(1<<num) != 0 {
		return 0, 0, false
	}
	m.seen |= 1 << num
	m.data = m.data[n:]
	return num, typ, true
}

// bytes reads a length-delimited value.
func (m *pbMessage) bytes() ([]byte, bool) {
	v, n := protowire.ConsumeBytes(m.data)
	if n < 0 {
		return nil, false
	}
	m.data = m.data[n:]
	return v, true
}

// str reads a string, which must be UTF-8 as protobuf's proto3 strings
// are.
func (m *pbMessage) str() (string, bool) {
	v, ok := m.bytes()
	if !ok || !utf8.Valid(v) {
		return "", false
	}
	return string(v), true
}

func (m *pbMessage) varint() (uint64, bool) {
	v, n := protowire.ConsumeVarint(m.data)
	if n < 0 {
		return 0, false
	}
	m.data = m.data[n:]
	return v, true
}

// boolean reads a bool as protobuf does: any varint but 0 is true.
func (m *pbMessage) boolean() (bool, bool) {
	v, ok := m.varint()
	return protowire.DecodeBool(v), ok
}

// oneOf reports whether at most one field of the oneof whose field
// numbers are the bits of oneof was read.
func (m *pbMessage) oneOf(oneof uint32) bool {
	return bits.OnesCount32(m.seen&oneof) <= 1
}
