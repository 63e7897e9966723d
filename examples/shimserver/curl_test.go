package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// curlRequest turns a curl command as a vendor page prints it into a
// request against base. It understands what the seed documents use: -X,
// -H and --data-urlencode, with POSIX single and double quotes. Each line
// is read on its own: the pages end some lines in `"...="\`, which a shell
// would glue to the next line's first word, a slip no reader makes.
func curlRequest(tb testing.TB, text, base string) *http.Request {
	tb.Helper()
	var args []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimSuffix(strings.TrimRight(line, " \t"), `\`)
		args = append(args, splitWords(tb, line)...)
	}
	require.NotEmpty(tb, args)
	require.Equal(tb, "curl", args[0])
	method, target := http.MethodGet, ""
	header := http.Header{}
	var form []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-X" && i+1 < len(args):
			i++
			method = args[i]
		case a == "-H" && i+1 < len(args):
			i++
			name, value, ok := strings.Cut(args[i], ":")
			require.True(tb, ok, "header %q", args[i])
			header.Add(name, strings.TrimSpace(value))
		case a == "--data-urlencode" && i+1 < len(args):
			i++
			name, content, _ := strings.Cut(args[i], "=")
			form = append(form, name+"="+url.QueryEscape(content))
		case strings.HasPrefix(a, "https://"):
			target = a
		default:
			tb.Fatalf("curl argument %q not understood", a)
		}
	}
	u, err := url.Parse(target)
	require.NoError(tb, err)
	req, err := http.NewRequest(method, base+u.Path, strings.NewReader(strings.Join(form, "&")))
	require.NoError(tb, err)
	req.Header = header
	if len(form) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// splitWords splits a line into shell words: single quotes are literal,
// double quotes honour \" and \\, a backslash outside quotes escapes the
// next character.
func splitWords(tb testing.TB, line string) []string {
	tb.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			require.GreaterOrEqual(tb, end, 0, "unclosed ' in %q", line)
			w.WriteString(line[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case c == '"':
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
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
