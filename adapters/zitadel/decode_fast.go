package zitadel

import (
	"unicode/utf8"
)

// decodeUpdateFast decodes the common shape of an UpdateHumanUser body in
// one pass, without reflection, into b. It accepts only bodies that
// merge.Validate and the strict encoding/json decode of decodeBody both
// accept, and then fills b exactly as they would: one JSON object, each
// member named exactly as a field of the request (no case folding), named
// once, nested no deeper than maxDepth, holding strings without escapes,
// true, false or the sections' objects, and nothing after it. On anything
// else — null, numbers, escapes, unknown or repeated names, bad syntax —
// it reports false, leaving b in an unspecified state, and the caller
// decodes the body the checked way, whose errors are the documented ones.
// So it only has to be exact on what it accepts.
func decodeUpdateFast(body []byte, maxDepth int, b *UpdateHumanUserRequest) bool {
	if !utf8.Valid(body) {
		return false
	}
	s := fastScanner{data: body, maxDepth: maxDepth}
	ok := s.object(updateMembers, func(k int) bool {
		switch k {
		case 0:
			b.Username = s.optString()
			return b.Username != nil
		case 1:
			b.Profile = new(ProfileBody)
			return s.profile(b.Profile)
		case 2:
			b.Email = new(EmailBody)
			return s.email(b.Email)
		case 3:
			b.Phone = new(PhoneBody)
			return s.phone(b.Phone)
		default:
			b.Password = new(PasswordBody)
			return s.password(b.Password)
		}
	})
	if !ok {
		return false
	}
	s.space()
	return s.i == len(s.data)
}

// The member names of each object decodeUpdateFast reads, in the order
// its callbacks number them.
var (
	updateMembers   = []string{"username", "profile", "email", "phone", "password"}
	profileMembers  = []string{"givenName", "familyName", "nickName", "displayName", "preferredLanguage", "gender"}
	emailMembers    = []string{"email", "sendCode", "returnCode", "isVerified"}
	sendCodeMembers = []string{"urlTemplate"}
	phoneMembers    = []string{"phone", "sendCode", "returnCode", "isVerified"}
	passwordMembers = []string{"password", "hashedPassword", "currentPassword", "verificationCode"}
	plainMembers    = []string{"password", "changeRequired"}
	hashedMembers   = []string{"hash", "changeRequired"}
)

// fastScanner is decodeUpdateFast's position in the body.
type fastScanner struct {
	data     []byte
	i        int
	depth    int
	maxDepth int // as merge.DecodeLimits.MaxDepth: 0 or less is no limit here
}

func (s *fastScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// at skips white space and reports whether the next byte is c, taking it
// if so.
func (s *fastScanner) at(c byte) bool {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object whose member names are among names, each at
// most once, calling member with the index of each name with the scanner
// before its value; member reads the value. Nesting counts as merge's
// parser counts it: the outermost object is depth 1.
func (s *fastScanner) object(names []string, member func(k int) bool) bool {
	if !s.at('{') {
		return false
	}
	s.depth++
	if s.maxDepth > 0 && s.depth > s.maxDepth {
		return false
	}
	if s.at('}') {
		s.depth--
		return true
	}
	var seen uint32
	for {
		s.space()
		name, ok := s.plain()
		if !ok {
			return false
		}
		k := -1
		for j, n := range names {
			if string(name) == n {
				k = j
				break
			}
		}
		if k < 0 || seen&(1<<k) != 0 {
			return false
		}
		seen |= 1 << k
		if !s.at(':') {
			return false
		}
		s.space()
		if !member(k) {
			return false
		}
		if s.at(',') {
			continue
		}
		if s.at('}') {
			s.depth--
			return true
		}
		return false
	}
}

// plain reads a string with neither escapes nor control characters (the
// body's UTF-8 is checked once, before) and returns its bytes.
func (s *fastScanner) plain() ([]byte, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			v := s.data[s.i+1 : j]
			s.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (s *fastScanner) str() (string, bool) {
	v, ok := s.plain()
	return string(v), ok
}

// optString reads a string into a new pointer, or returns nil.
func (s *fastScanner) optString() *string {
	v, ok := s.str()
	if !ok {
		return nil
	}
	return &v
}

func (s *fastScanner) boolean() (v, ok bool) {
	rest := s.data[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

func (s *fastScanner) optBool() *bool {
	v, ok := s.boolean()
	if !ok {
		return nil
	}
	return &v
}

// empty reads an object with no members, as encoding/json decodes
// struct{}.
func (s *fastScanner) empty() *struct{} {
	if !s.object(nil, func(int) bool { return false }) {
		return nil
	}
	return &struct{}{}
}

func (s *fastScanner) profile(p *ProfileBody) bool {
	return s.object(profileMembers, func(k int) bool {
		v := s.optString()
		switch k {
		case 0:
			p.GivenName = v
		case 1:
			p.FamilyName = v
		case 2:
			p.NickName = v
		case 3:
			p.DisplayName = v
		case 4:
			p.PreferredLanguage = v
		default:
			p.Gender = v
		}
		return v != nil
	})
}

func (s *fastScanner) email(e *EmailBody) bool {
	return s.object(emailMembers, func(k int) bool {
		switch k {
		case 0:
			e.Email = s.optString()
			return e.Email != nil
		case 1:
			c := new(SendEmailCode)
			e.SendCode = c
			return s.object(sendCodeMembers, func(int) bool {
				c.URLTemplate = s.optString()
				return c.URLTemplate != nil
			})
		case 2:
			e.ReturnCode = s.empty()
			return e.ReturnCode != nil
		default:
			e.IsVerified = s.optBool()
			return e.IsVerified != nil
		}
	})
}

func (s *fastScanner) phone(p *PhoneBody) bool {
	return s.object(phoneMembers, func(k int) bool {
		switch k {
		case 0:
			p.Phone = s.optString()
			return p.Phone != nil
		case 1:
			p.SendCode = s.empty()
			return p.SendCode != nil
		case 2:
			p.ReturnCode = s.empty()
			return p.ReturnCode != nil
		default:
			p.IsVerified = s.optBool()
			return p.IsVerified != nil
		}
	})
}

func (s *fastScanner) password(p *PasswordBody) bool {
	return s.object(passwordMembers, func(k int) bool {
		switch k {
		case 0:
			pw := new(PlainPassword)
			p.Password = pw
			return s.secret(plainMembers, &pw.Password, &pw.ChangeRequired)
		case 1:
			h := new(HashedPassword)
			p.HashedPassword = h
			return s.secret(hashedMembers, &h.Hash, &h.ChangeRequired)
		case 2:
			p.CurrentPassword = s.optString()
			return p.CurrentPassword != nil
		default:
			p.VerificationCode = s.optString()
			return p.VerificationCode != nil
		}
	})
}

// secret reads a plain or hashed password: a string member and
// changeRequired.
func (s *fastScanner) secret(names []string, value *string, changeRequired *bool) bool {
	return s.object(names, func(k int) bool {
		var ok bool
		if k == 0 {
			*value, ok = s.str()
		} else {
			*changeRequired, ok = s.boolean()
		}
		return ok
	})
}
