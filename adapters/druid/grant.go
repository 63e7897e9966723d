package druid

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
)

// grant is what the adapter keeps of one issued token, as the token's
// storage.Token Data. The token itself is never kept, only its SHA-256,
// so the store cannot be read for tokens to replay.
//
// Its stored form is the JSON text json.Marshal writes for it (the
// struct tags below), which appendJSON writes and decodeGrant reads
// without reflection: every update reads one.
type grant struct {
	Client    string   `json:"client"`
	Scopes    []string `json:"scopes"`
	Method    string   `json:"method"`
	Challenge string   `json:"challenge"`
}

// appendJSON appends g's stored form to dst: the bytes json.Marshal
// writes for g.
func (g *grant) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"client":`...)
	dst = httpx.AppendString(dst, g.Client)
	dst = append(dst, `,"scopes":`...)
	if g.Scopes == nil {
		dst = append(dst, "null"...)
	} else {
		dst = httpx.AppendStrings(dst, g.Scopes)
	}
	dst = append(dst, `,"method":`...)
	dst = httpx.AppendString(dst, g.Method)
	dst = append(dst, `,"challenge":`...)
	dst = httpx.AppendString(dst, g.Challenge)
	return append(dst, '}')
}

// errGrant is decodeGrant's error: data is not a grant's stored form.
var errGrant = errors.New("druid: the stored token grant is malformed")

// decodeGrant reads a grant's stored form: the JSON text json.Marshal
// writes for a grant (appendJSON), members in that order, no space
// between tokens, any JSON string escape. What it accepts, json.Unmarshal
// accepts and reads to the same grant; what json.Unmarshal refuses, it
// refuses. Anything else, such as whitespace, other member orders or
// unknown members, which the adapter has never written, is refused too.
//
// The method and a scope of this adapter's own are returned as the
// adapter's constants, so reading them allocates nothing.
func decodeGrant(data []byte) (grant, error) {
	r := grantReader{data: data, ok: true}
	var g grant
	r.lit(`{"client":`)
	g.Client = r.str()
	r.lit(`,"scopes":`)
	g.Scopes = r.strs()
	r.lit(`,"method":`)
	g.Method = r.str()
	r.lit(`,"challenge":`)
	g.Challenge = r.str()
	r.lit(`}`)
	if !r.ok || r.i != len(data) {
		return grant{}, errGrant
	}
	return g, nil
}

// grantReader reads a grant's stored form; ok turns false at the first
// byte out of place and stays false.
type grantReader struct {
	data []byte
	i    int
	ok   bool
}

// lit reads s.
func (r *grantReader) lit(s string) {
	if !r.ok || len(r.data)-r.i < len(s) || string(r.data[r.i:r.i+len(s)]) != s {
		r.ok = false
		return
	}
	r.i += len(s)
}

// strs reads null or an array of strings, as json.Unmarshal reads them
// into a []string: nil for null.
func (r *grantReader) strs() []string {
	if !r.ok {
		return nil
	}
	if len(r.data)-r.i >= 4 && string(r.data[r.i:r.i+4]) == "null" {
		r.i += 4
		return nil
	}
	r.lit("[")
	out := []string{}
	if r.ok && r.i < len(r.data) && r.data[r.i] == ']' {
		r.i++
		return out
	}
	for r.ok {
		out = append(out, r.str())
		if !r.ok || r.i >= len(r.data) {
			r.ok = false
			break
		}
		c := r.data[r.i]
		r.i++
		if c == ']' {
			return out
		}
		if c != ',' {
			r.ok = false
		}
	}
	return nil
}

// known are the strings a grant of this adapter holds but for its client
// and challenge, returned without allocating.
var known = [...]string{methodPlain, methodS256, scopeUpdate}

// str reads a JSON string as json.Unmarshal reads it: escapes resolved,
// a lone or mismatched surrogate escape and each byte of invalid UTF-8
// read as U+FFFD, control characters refused.
func (r *grantReader) str() string {
	if !r.ok || r.i >= len(r.data) || r.data[r.i] != '"' {
		r.ok = false
		return ""
	}
	d := r.data
	start := r.i + 1
	j := start
	for ; j < len(d); j++ {
		c := d[j]
		if c == '"' {
			r.i = j + 1
			raw := d[start:j]
			for _, s := range known {
				if string(raw) == s {
					return s
				}
			}
			if utf8.Valid(raw) {
				return string(raw)
			}
			break // invalid UTF-8: the slow way below
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	buf := make([]byte, 0, j-start+8)
	for j = start; j < len(d); {
		c := d[j]
		switch {
		case c == '"':
			r.i = j + 1
			return string(buf)
		case c < 0x20:
			r.ok = false
			return ""
		case c >= utf8.RuneSelf:
			rn, size := utf8.DecodeRune(d[j:])
			buf = utf8.AppendRune(buf, rn) // U+FFFD for an invalid byte
			j += size
			continue
		case c != '\\':
			buf = append(buf, c)
			j++
			continue
		}
		if j+1 >= len(d) {
			break
		}
		switch e := d[j+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			rn, ok := hex4(d[j+2:])
			if !ok {
				r.ok = false
				return ""
			}
			j += 6
			if utf16.IsSurrogate(rn) {
				if j+1 < len(d) && d[j] == '\\' && d[j+1] == 'u' {
					if rn2, ok := hex4(d[j+2:]); ok {
						if dec := utf16.DecodeRune(rn, rn2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							j += 6
							continue
						}
					}
				}
				rn = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, rn)
			continue
		default:
			r.ok = false
			return ""
		}
		j += 2
	}
	r.ok = false
	return ""
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var rn rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		rn = rn*16 + rune(c)
	}
	return rn, true
}
