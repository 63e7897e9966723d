package curltest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Step is one shell block of a documented session and the output block
// printed right after it ("" when the document shows none).
type Step struct {
	Line   int    // line of the shell block's opening fence
	Script string // the shell block
	Output string // the output block
	JSON   bool   // the output block is fenced as json
}

// Steps returns the sessions of a Markdown document: every ```sh block,
// each with the fenced block that directly follows it, if any. Other
// blocks (log excerpts, Go code) are not steps.
func Steps(markdown string) []Step {
	lines := strings.Split(markdown, "\n")
	var steps []Step
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		st := Step{Line: i + 1}
		body, end := fenced(lines, i)
		st.Script = body
		i = end
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j < len(lines) && strings.HasPrefix(lines[j], "```") && strings.TrimSpace(lines[j]) != "```sh" {
			st.JSON = strings.TrimSpace(lines[j]) == "```json"
			st.Output, i = fenced(lines, j)
		}
		steps = append(steps, st)
	}
	return steps
}

// fenced returns the body of the fenced block opening at lines[start] and
// the index of its closing fence.
func fenced(lines []string, start int) (string, int) {
	var b []string
	for i := start + 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "```" {
			return strings.Join(b, "\n"), i
		}
		b = append(b, lines[i])
	}
	return strings.Join(b, "\n"), len(lines)
}

// Shell runs the small part of POSIX shell that the documented sessions
// use, sending curl's requests to a test server: NAME=VALUE assignments,
// $NAME and "$NAME" expansion, $(...) substitution of `date +%s` and of
// `curl ... | sed -E 's/RE/REPL/'`, comments, line continuations, and
// curl with -s -w -X -H -u -d --data-urlencode and one URL whose scheme
// and host are replaced by Base. Each $(date +%s) answers a later second
// than the one before.
type Shell struct {
	Base   string // the test server, e.g. http://127.0.0.1:41234
	Client *http.Client
	Vars   map[string]string
	// Placeholder, when set, is asked for the value of an assignment that
	// carries a comment (CODE=XC220BW4   # the code from your log): it
	// returns the value the test knows, or "" to keep the written one.
	Placeholder func(name, comment string) string
	// Sent lists the requests sent and Status their answers' status codes,
	// in order.
	Sent   []*http.Request
	Status []int
	// Last is the body of the last answer.
	Last []byte

	clock int64 // the last answer of $(date +%s)
}

// Run runs script and returns what it prints.
func (sh *Shell) Run(tb testing.TB, script string) string {
	tb.Helper()
	if sh.Vars == nil {
		sh.Vars = map[string]string{}
	}
	var out strings.Builder
	for _, cmd := range commands(tb, script) {
		if len(cmd.words) == 0 {
			continue
		}
		if name, value, ok := assignment(cmd.words[0]); ok && len(cmd.words) == 1 {
			v := sh.expand(tb, value)
			if cmd.comment != "" && sh.Placeholder != nil {
				if p := sh.Placeholder(name, cmd.comment); p != "" {
					v = p
				}
			}
			sh.Vars[name] = v
			continue
		}
		var args []string
		for _, w := range cmd.words {
			args = append(args, sh.expand(tb, w))
		}
		out.WriteString(sh.curl(tb, args))
	}
	return out.String()
}

// word is one shell word as written: its parts, each literal (from single
// quotes) or open to expansion.
type word []part

type part struct {
	text    string
	literal bool
}

// shellCmd is one command line: its words and its trailing comment.
type shellCmd struct {
	words   []word
	comment string
}

// assignment reports whether w is NAME=VALUE.
func assignment(w word) (string, word, bool) {
	if len(w) == 0 || w[0].literal {
		return "", nil, false
	}
	name, rest, ok := strings.Cut(w[0].text, "=")
	if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(name) {
		return "", nil, false
	}
	value := append(word{{text: rest}}, w[1:]...)
	return name, value, true
}

// commands splits a script into commands: newlines end a command unless
// escaped or inside quotes or $( ); # starts a comment at a word start.
func commands(tb testing.TB, s string) []shellCmd {
	tb.Helper()
	var cmds []shellCmd
	var cur shellCmd
	var w word
	var buf strings.Builder
	inWord := false
	flushPart := func(literal bool) {
		if buf.Len() > 0 || literal {
			w = append(w, part{text: buf.String(), literal: literal})
			buf.Reset()
		}
	}
	endWord := func() {
		flushPart(false)
		if inWord {
			cur.words = append(cur.words, w)
		}
		w, inWord = nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s):
			buf.WriteByte(s[i+1])
			i++
			inWord = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			require.GreaterOrEqual(tb, end, 0, "unclosed ' in %q", s)
			flushPart(false)
			buf.WriteString(s[i+1 : i+1+end])
			flushPart(true)
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
					if s[i] == '$' {
						// An escaped $ stays literal.
						flushPart(false)
						buf.WriteByte('$')
						flushPart(true)
						continue
					}
				}
				buf.WriteByte(s[i])
			}
			require.Less(tb, i, len(s), "unclosed \" in %q", s)
			inWord = true
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			depth, j := 0, i+1
			for ; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			require.Less(tb, j, len(s), "unclosed $( in %q", s)
			buf.WriteString(s[i : j+1])
			i = j
			inWord = true
		case c == '#' && !inWord:
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s) - i
			}
			cur.comment = strings.TrimSpace(s[i+1 : i+end])
			i += end - 1
		case c == ' ' || c == '\t':
			endWord()
		case c == '\n':
			endWord()
			cmds = append(cmds, cur)
			cur = shellCmd{}
		default:
			buf.WriteByte(c)
			inWord = true
		}
	}
	endWord()
	return append(cmds, cur)
}

var varRef = regexp.MustCompile(`\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expand joins a word's parts, expanding variables and substitutions in
// the parts that are not literal.
func (sh *Shell) expand(tb testing.TB, w word) string {
	tb.Helper()
	var b strings.Builder
	for _, p := range w {
		if p.literal {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(varRef.ReplaceAllStringFunc(p.text, func(m string) string {
			sub := varRef.FindStringSubmatch(m)
			if strings.HasPrefix(m, "$(") {
				return sh.substitute(tb, sub[1])
			}
			v, ok := sh.Vars[sub[2]]
			require.True(tb, ok, "variable %s is not set", sub[2])
			return v
		}))
	}
	return b.String()
}

// substitute runs the command of a $( ) substitution.
func (sh *Shell) substitute(tb testing.TB, script string) string {
	tb.Helper()
	if strings.TrimSpace(script) == "date +%s" {
		// A reader pastes blocks seconds apart; a replay does not. Each
		// call answers a later second than the one before, so the values
		// a session makes unique with it stay unique.
		sh.clock = max(time.Now().Unix(), sh.clock+1)
		return strconv.FormatInt(sh.clock, 10)
	}
	curlPart, sedPart, piped := strings.Cut(script, "|")
	cmds := commands(tb, curlPart)
	require.Len(tb, cmds, 1, "one command in $(%s)", script)
	var args []string
	for _, w := range cmds[0].words {
		args = append(args, sh.expand(tb, w))
	}
	out := sh.curl(tb, args)
	if !piped {
		return strings.TrimRight(out, "\n")
	}
	sed := commands(tb, sedPart)[0].words
	require.Len(tb, sed, 3, "sed -E 's/RE/REPL/' in $(%s)", script)
	require.Equal(tb, "-E", sh.expand(tb, sed[1]))
	expr := sh.expand(tb, sed[2])
	require.True(tb, strings.HasPrefix(expr, "s/") && strings.HasSuffix(expr, "/"), "sed expression %q", expr)
	fields := strings.Split(expr[2:len(expr)-1], "/")
	require.Len(tb, fields, 2, "sed expression %q", expr)
	re := regexp.MustCompile(fields[0])
	repl := regexp.MustCompile(`\\([0-9])`).ReplaceAllString(fields[1], `$${$1}`)
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		lines = append(lines, re.ReplaceAllString(line, repl))
	}
	return strings.Join(lines, "\n")
}

// curl sends the request args describe and returns what curl prints.
func (sh *Shell) curl(tb testing.TB, args []string) string {
	tb.Helper()
	require.NotEmpty(tb, args)
	require.Equal(tb, "curl", args[0], "only curl is run: %q", args)
	method, target, wfmt := "", "", ""
	headers := http.Header{}
	var data []string
	var user string
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() string {
			i++
			require.Less(tb, i, len(args), "%s needs an argument", a)
			return args[i]
		}
		switch {
		case a == "-s":
		case a == "-w":
			wfmt = next()
		case a == "-X":
			method = next()
		case a == "-H":
			name, value, ok := strings.Cut(next(), ":")
			require.True(tb, ok, "header %q", args[i])
			headers.Add(name, strings.TrimSpace(value))
		case a == "-u":
			user = next()
		case a == "-d":
			data = append(data, next())
		case a == "--data-urlencode":
			data = append(data, urlencodeData(next()))
		case strings.HasPrefix(a, "http://"), strings.HasPrefix(a, "https://"):
			target = a
		default:
			tb.Fatalf("curl argument %q not understood", a)
		}
	}
	require.NotEmpty(tb, target, "curl without a URL: %q", args)
	u, err := url.Parse(target)
	require.NoError(tb, err)
	if method == "" {
		method = http.MethodGet
		if len(data) > 0 {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequest(method, sh.Base+u.RequestURI(), strings.NewReader(strings.Join(data, "&")))
	require.NoError(tb, err)
	req.Header = headers
	if len(data) > 0 && headers.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		name, pass, _ := strings.Cut(user, ":")
		req.SetBasicAuth(name, pass)
	}
	client := sh.Client
	if client == nil {
		client = http.DefaultClient
	}
	sh.Sent = append(sh.Sent, req)
	resp, err := client.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(tb, err)
	sh.Last = body
	sh.Status = append(sh.Status, resp.StatusCode)
	w := strings.ReplaceAll(wfmt, `\n`, "\n")
	w = strings.ReplaceAll(w, "%{http_code}", strconv.Itoa(resp.StatusCode))
	return string(body) + w
}

// volatile matches the values that differ between runs: times, request
// ids, tokens and codes. Equal compares them by form only.
var volatile = map[string]*regexp.Regexp{
	"time":       regexp.MustCompile(`^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?( ?[+-]\d{4}|Z)?$`),
	"request_id": regexp.MustCompile(`^[0-9a-f]{16}$`),
	// A SCIM id the server generated (a random UUID), under the member "id".
	"uuid": regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
	// The server's own address inside an absolute URL (SCIM's
	// meta.location): the document shows 127.0.0.1:8080, a test server
	// listens elsewhere.
	"local_url": regexp.MustCompile(`^http://127\.0\.0\.1:\d+/`),
}

// uuidIn finds generated ids inside a location.
var uuidIn = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// volatileKeys are members whose values differ between runs.
var volatileKeys = map[string]bool{"request_id": true, "emailCode": true, "phoneCode": true, "access_token": true, "challengeId": true}

// mask replaces the values that differ between runs by their kind.
func mask(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if s, ok := x.(string); ok && volatileKeys[k] && s != "" {
				out[k] = "<" + k + ">"
				continue
			}
			if s, ok := x.(string); ok && k == "id" && volatile["uuid"].MatchString(s) {
				out[k] = "<uuid>"
				continue
			}
			out[k] = mask(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = mask(x)
		}
		return out
	case string:
		if volatile["time"].MatchString(v) {
			return "<time>"
		}
		if loc := volatile["local_url"].FindString(v); loc != "" {
			return "<local>/" + uuidIn.ReplaceAllString(strings.TrimPrefix(v, loc), "<uuid>")
		}
	}
	return v
}

// Equal checks that got, what a step printed, matches the output the
// document shows: line by line, JSON lines compared as JSON with times,
// request ids, tokens and codes compared by form only, other lines as text.
func Equal(tb testing.TB, want, got string, msgAndArgs ...any) bool {
	tb.Helper()
	wl := strings.Split(strings.TrimRight(want, "\n"), "\n")
	gl := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if !assert.Equal(tb, len(wl), len(gl), append([]any{"lines of output: want %q, got %q"}, want, got)...) {
		return false
	}
	ok := true
	for i := range wl {
		var w, g any
		if json.Unmarshal([]byte(wl[i]), &w) == nil && strings.HasPrefix(strings.TrimSpace(wl[i]), "{") {
			if err := json.Unmarshal([]byte(gl[i]), &g); err != nil {
				ok = assert.Fail(tb, "not JSON", "line %d: want JSON %s, got %q %s", i+1, wl[i], gl[i], fmt.Sprint(msgAndArgs...)) && ok
				continue
			}
			wj, _ := json.Marshal(mask(w))
			gj, _ := json.Marshal(mask(g))
			ok = assert.JSONEq(tb, string(wj), string(gj), msgAndArgs...) && ok
			continue
		}
		ok = assert.Equal(tb, wl[i], gl[i], msgAndArgs...) && ok
	}
	return ok
}
