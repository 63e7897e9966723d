package druid

import (
	"errors"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
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
// refuses. Anything else, such as whitespace, other member orders,
// unknown members or invalid UTF-8, which the adapter has never written,
// is refused too.
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

// str reads a JSON string as json.Unmarshal reads it: a string without
// escapes as it is, one with escapes by merge.Decode, which resolves them
// as encoding/json does. Control characters and invalid UTF-8, which
// json.Marshal never writes, are refused.
func (r *grantReader) str() string {
	if !r.ok || r.i >= len(r.data) || r.data[r.i] != '"' {
		r.ok = false
		return ""
	}
	d := r.data
	start := r.i + 1
	escaped := false
	for j := start; j < len(d); j++ {
		switch c := d[j]; {
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			r.ok = false
			return ""
		case c == '"':
			r.i = j + 1
			raw := d[start:j]
			if escaped {
				v, err := merge.Decode(d[start-1:j+1], merge.DecodeLimits{})
				s, isStr := v.(string)
				r.ok = err == nil && isStr
				return s
			}
			for _, s := range known {
				if string(raw) == s {
					return s
				}
			}
			r.ok = utf8.Valid(raw)
			return string(raw)
		}
	}
	r.ok = false
	return ""
}
