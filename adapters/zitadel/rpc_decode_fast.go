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
	m := pbMessage{data: data, text: &pbText{shared: sharedText(data)}}
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
			u.req.Username = &u.username
		case 3:
			u.req.Profile = &u.profile.body
			ok = u.profile.read(m.message())
		case 4:
			e := new(emailPB)
			u.req.Email = &e.body
			ok = e.read(m.message())
		case 5:
			p := new(phonePB)
			u.req.Phone = &p.body
			ok = p.read(m.message())
		case 6:
			p := new(passwordPB)
			u.req.Password = &p.body
			ok = p.read(m.message())
		default:
			ok = false
		}
		if !ok {
			return "", nil, false
		}
	}
	return userID, &u.req, true
}

// updatePB is what readUpdatePB builds: the typed request and the values
// its pointers point to, in one allocation with the profile, the section
// most updates carry; each other section is allocated when it is sent.
type updatePB struct {
	req      UpdateHumanUserRequest
	username string
	profile  profilePB
}

// The sections of UpdateHumanUser, each read by its read method from the
// section's message, as updateBodyPB's converters convert them.
type (
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

// read reads SetHumanProfile: given and family name are always set
// (proto3 scalars without presence), as profileBody sets them.
func (p *profilePB) read(m pbMessage, ok bool) bool {
	b := &p.body
	b.GivenName, b.FamilyName = &p.given, &p.family
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		num, typ, ok = m.field()
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
	}
	return ok
}

// verificationOneof is the field numbers of the verification oneof of
// SetHumanEmail and SetHumanPhone: send_code, return_code, is_verified.
const verificationOneof = 1<<2 | 1<<3 | 1<<4

// read reads SetHumanEmail, as emailBody converts it.
func (e *emailPB) read(m pbMessage, ok bool) bool {
	b := &e.body
	b.Email = &e.email
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		num, typ, ok = m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			e.email, ok = m.str()
		case num == 2 && typ == protowire.BytesType:
			b.SendCode = &e.send
			ok = e.readSendCode(m.message())
		case num == 3 && typ == protowire.BytesType:
			b.ReturnCode, ok = empty(m.message())
		case num == 4 && typ == protowire.VarintType:
			e.verified, ok = m.boolean()
			b.IsVerified = &e.verified
		default:
			ok = false
		}
	}
	return ok && m.oneOf(verificationOneof)
}

// readSendCode reads SendEmailVerificationCode.
func (e *emailPB) readSendCode(m pbMessage, ok bool) bool {
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		if num, typ, ok = m.field(); !ok || num != 1 || typ != protowire.BytesType {
			return false
		}
		e.url, ok = m.str()
		e.send.URLTemplate = &e.url
	}
	return ok
}

// read reads SetHumanPhone, as phoneBody converts it.
func (p *phonePB) read(m pbMessage, ok bool) bool {
	b := &p.body
	b.Phone = &p.phone
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		num, typ, ok = m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			p.phone, ok = m.str()
		case num == 2 && typ == protowire.BytesType:
			b.SendCode, ok = empty(m.message())
		case num == 3 && typ == protowire.BytesType:
			b.ReturnCode, ok = empty(m.message())
		case num == 4 && typ == protowire.VarintType:
			p.verified, ok = m.boolean()
			b.IsVerified = &p.verified
		default:
			ok = false
		}
	}
	return ok && m.oneOf(verificationOneof)
}

// The oneofs of SetPassword: password_type (password, hashed_password)
// and verification (current_password, verification_code).
const (
	passwordTypeOneof         = 1<<1 | 1<<2
	passwordVerificationOneof = 1<<3 | 1<<4
)

// read reads SetPassword, as passwordBody converts it.
func (p *passwordPB) read(m pbMessage, ok bool) bool {
	b := &p.body
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		num, typ, ok = m.field()
		switch {
		case !ok || typ != protowire.BytesType:
			ok = false
		case num == 1:
			b.Password = &p.plain
			var c pbMessage
			if c, ok = m.message(); ok {
				p.plain.Password, p.plain.ChangeRequired, ok = readSecret(c)
			}
		case num == 2:
			b.HashedPassword = &p.hashed
			var c pbMessage
			if c, ok = m.message(); ok {
				p.hashed.Hash, p.hashed.ChangeRequired, ok = readSecret(c)
			}
		case num == 3:
			p.current, ok = m.str()
			b.CurrentPassword = &p.current
		case num == 4:
			p.code, ok = m.str()
			b.VerificationCode = &p.code
		default:
			ok = false
		}
	}
	return ok && m.oneOf(passwordTypeOneof) && m.oneOf(passwordVerificationOneof)
}

// readSecret reads Password or HashedPassword: a string (field 1) and
// change_required (field 2).
func readSecret(m pbMessage) (value string, changeRequired, ok bool) {
	ok = true
	for ok && len(m.data) > 0 {
		var num protowire.Number
		var typ protowire.Type
		num, typ, ok = m.field()
		switch {
		case !ok:
		case num == 1 && typ == protowire.BytesType:
			value, ok = m.str()
		case num == 2 && typ == protowire.VarintType:
			changeRequired, ok = m.boolean()
		default:
			ok = false
		}
	}
	return value, changeRequired, ok
}

// empty reads a message without fields, as the oneof members
// return_code and send_code are; any content is an unknown field.
func empty(m pbMessage, ok bool) (*struct{}, bool) {
	if !ok || len(m.data) > 0 {
		return nil, false
	}
	return &struct{}{}, true
}

// pbMessage is the fields of one message still to read, and those read.
type pbMessage struct {
	data []byte
	at   int    // the offset of data in the whole message
	seen uint32 // bit n: field n was read
	text *pbText
}

// pbText is, unless it carries a secret, the whole message readUpdatePB
// reads as one string of which the request's strings are parts: one
// allocation rather than one per string.
type pbText struct {
	shared string
}

// sharedText is data as one string for pbText, or "" when data has a
// password section, whose secrets get strings of their own so that no
// value kept from the request (a name in a stored record) holds a
// secret's bytes alive, or when data does not parse (readUpdatePB then
// refuses it).
func sharedText(data []byte) string {
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num == 6 {
			return ""
		}
		v := protowire.ConsumeFieldValue(num, typ, b[n:])
		if v < 0 {
			return ""
		}
		b = b[n+v:]
	}
	return string(data)
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
	m.skip(n)
	return num, typ, true
}

func (m *pbMessage) skip(n int) {
	m.data = m.data[n:]
	m.at += n
}

// bytes reads a length-delimited value and returns it with its offset
// in the whole message.
func (m *pbMessage) bytes() ([]byte, int, bool) {
	v, n := protowire.ConsumeBytes(m.data)
	if n < 0 {
		return nil, 0, false
	}
	at := m.at + n - len(v)
	m.skip(n)
	return v, at, true
}

// message reads a length-delimited value as a message.
func (m *pbMessage) message() (pbMessage, bool) {
	v, at, ok := m.bytes()
	return pbMessage{data: v, at: at, text: m.text}, ok
}

// str reads a string, which must be UTF-8 as protobuf's proto3 strings
// are.
func (m *pbMessage) str() (string, bool) {
	v, at, ok := m.bytes()
	if !ok || !utf8.Valid(v) {
		return "", false
	}
	if s := m.text.shared; s != "" {
		return s[at : at+len(v)], true
	}
	return string(v), true
}

func (m *pbMessage) varint() (uint64, bool) {
	v, n := protowire.ConsumeVarint(m.data)
	if n < 0 {
		return 0, false
	}
	m.skip(n)
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
