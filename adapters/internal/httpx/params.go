package httpx

import (
	"mime"
	"net/url"
	"slices"
	"sort"

	"github.com/idupdate/idupdate/update"
)

// MaxNameEcho bounds how much of a parameter name an error repeats.
const MaxNameEcho = 64

// Unknown returns the first name in params, in sorted order, that is not
// in known, clipped to MaxNameEcho bytes, and whether there is one. The
// adapters refuse such a parameter before anything else happens, so a
// misspelt one ("attribute_nam") cannot widen what a call does.
func Unknown(params url.Values, known ...string) (string, bool) {
	var names []string // the unknown ones; none in a good request
	for name := range params {
		if !slices.Contains(known, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", false
	}
	sort.Strings(names)
	return Clip(names[0], MaxNameEcho), true
}

// Clip shortens s to at most n bytes on a rune boundary, marking the cut
// with "…", so a hostile name is never echoed whole.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// ParseQuery parses a query string. A badly escaped one is Malformed,
// with a message a client may see.
func ParseQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &update.Error{Code: update.Malformed, Message: "the query string is not validly escaped", Err: err}
	}
	return q, nil
}

// IsMediaType reports whether the Content-Type header value ct names the
// media type want (lower case, without parameters): ct as it is most often
// sent, want itself, is answered without parsing; any other is parsed
// (mime.ParseMediaType), so parameters and other case are accepted.
func IsMediaType(ct, want string) bool {
	if ct == want {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == want
}
