// Package curltest turns curl commands as vendor documents print them into
// HTTP requests, so tests can replay a vendor's documented examples
// against a test server unchanged but for the host.
package curltest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Request parses text, a curl command of one or more lines (-X, -H and
// --data-urlencode with POSIX quoting, a trailing backslash continuing the
// command), and returns its request with the scheme and host replaced by
// base. Anything it does not understand fails tb.
func Request(tb testing.TB, text, base string) *http.Request {
	tb.Helper()
	return parse(tb, text).request(tb, base)
}

// command is what a vendor's curl example sends.
type command struct {
	method  string
	headers http.Header
	body    []string // --data-urlencode parts, already encoded
	url     string
}

// parse reads a curl command as the vendor's page prints it: one or
// more arguments per line, a trailing backslash continuing the command.
// Lines are split one by one, as the page presents them: in a POSIX shell
// a closing quote directly followed by a backslash-newline (`"...="\`)
// would glue the next line onto the same word, a slip of the page that a
// reader does not make.
func parse(tb testing.TB, text string) command {
	tb.Helper()
	var args []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimSuffix(strings.TrimRight(line, " "), `\`)
		args = append(args, shellWords(tb, line)...)
	}
	require.NotEmpty(tb, args)
	require.Equal(tb, "curl", args[0])
	c := command{method: http.MethodGet, headers: http.Header{}}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-X":
			i++
			c.method = args[i]
		case a == "-H":
			i++
			name, value, ok := strings.Cut(args[i], ":")
			require.True(tb, ok, "header %q", args[i])
			c.headers.Add(name, strings.TrimSpace(value))
		case a == "--data-urlencode":
			i++
			c.body = append(c.body, urlencodeData(args[i]))
		case strings.HasPrefix(a, "https://"):
			c.url = a
		default:
			tb.Fatalf("curl argument %q not understood", a)
		}
	}
	return c
}

// urlencodeData encodes a --data-urlencode argument as curl does:
// "name=content" sends name and the encoded content; "=content" and
// "content" send the encoded content alone.
func urlencodeData(arg string) string {
	name, content, found := strings.Cut(arg, "=")
	if !found {
		return url.QueryEscape(arg)
	}
	if name == "" {
		return url.QueryEscape(content)
	}
	return name + "=" + url.QueryEscape(content)
}

// shellWords splits one line into words with POSIX quoting: single quotes
// are literal, double quotes allow \" \\ \$ \` escapes, a backslash
// outside quotes escapes the next character.
func shellWords(tb testing.TB, line string) []string {
	tb.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			require.GreaterOrEqual(tb, end, 0, "unclosed ' in %q", line)
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				w.WriteByte(line[i])
			}
			require.Less(tb, i, len(line), "unclosed \" in %q", line)
			inWord = true
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// request builds the HTTP request of c with the host replaced by base.
func (c command) request(tb testing.TB, base string) *http.Request {
	tb.Helper()
	u, err := url.Parse(c.url)
	require.NoError(tb, err)
	req, err := http.NewRequest(c.method, base+u.Path, strings.NewReader(strings.Join(c.body, "&")))
	require.NoError(tb, err)
	req.Header = c.headers.Clone()
	if len(c.body) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}
