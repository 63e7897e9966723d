package merge

import (
	"maps"
	"strconv"
	"strings"
)

// ParsePointer splits an RFC 6901 JSON Pointer into its unescaped reference
// tokens ("~1" becomes "/", "~0" becomes "~"). The empty pointer is the
// root and yields no tokens. A pointer that does not start with "/", or that
// holds a "~" not followed by "0" or "1", is an error matching ErrInvalid.
func ParsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, newErr(ErrInvalid, p, "a JSON Pointer must be empty or start with \"/\"")
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if !strings.Contains(s, "~") {
			continue
		}
		u, ok := unescapeToken(s)
		if !ok {
			return nil, newErr(ErrInvalid, p, "\"~\" must be followed by \"0\" or \"1\"")
		}
		segs[i] = u
	}
	return segs, nil
}

// AppendPointer is ParsePointer appending the tokens of p to dst, for a
// caller that parses many pointers into one buffer. Tokens without escapes
// share memory with p. On error dst is returned as it was.
func AppendPointer(dst []string, p string) ([]string, error) {
	if p == "" {
		return dst, nil
	}
	if p[0] != '/' {
		return dst, newErr(ErrInvalid, p, "a JSON Pointer must be empty or start with \"/\"")
	}
	n := len(dst)
	for rest := p[1:]; ; {
		tok := rest
		i := strings.IndexByte(rest, '/')
		if i >= 0 {
			tok, rest = rest[:i], rest[i+1:]
		}
		if strings.Contains(tok, "~") {
			u, ok := unescapeToken(tok)
			if !ok {
				return dst[:n], newErr(ErrInvalid, p, "\"~\" must be followed by \"0\" or \"1\"")
			}
			tok = u
		}
		dst = append(dst, tok)
		if i < 0 {
			return dst, nil
		}
	}
}

func unescapeToken(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '~' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '0':
			b.WriteByte('~')
		case '1':
			b.WriteByte('/')
		default:
			return "", false
		}
		i++
	}
	return b.String(), true
}

// FormatPointer joins reference tokens into a JSON Pointer, escaping "~" and
// "/". No tokens give the root pointer "".
func FormatPointer(segs []string) string {
	switch len(segs) {
	case 0:
		return ""
	case 1:
		return "/" + escapeToken(segs[0])
	}
	n := 0
	for _, s := range segs {
		n += 1 + len(s) + strings.Count(s, "~") + strings.Count(s, "/")
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(escapeToken(s))
	}
	return b.String()
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return tokenEscaper.Replace(s)
}

// child extends pointer p by one member name.
func child(p, name string) string {
	if len(p)+1+len(name) > internMax || strings.ContainsAny(name, "~/") {
		return p + "/" + escapeToken(name)
	}
	var buf [internMax]byte
	return intern(append(append(append(buf[:0], p...), '/'), name...))
}

// childIndex extends pointer p by one array index.
func childIndex(p string, i int) string { return p + "/" + strconv.Itoa(i) }

// arrayIndex parses an RFC 6901 array index: "0" or digits without a
// leading zero. It does not check bounds.
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Get returns the value doc holds at pointer ptr and whether it exists. The
// only error is a malformed pointer (ErrInvalid); a pointer that leads
// nowhere, including one stepping into a scalar, reports false. The value is
// shared with doc, not copied.
func Get(doc any, ptr string) (any, bool, error) {
	segs, err := ParsePointer(ptr)
	if err != nil {
		return nil, false, err
	}
	v, ok := getIn(doc, segs)
	return v, ok, nil
}

func getIn(v any, segs []string) (any, bool) {
	for _, s := range segs {
		switch c := v.(type) {
		case map[string]any:
			n, ok := c[s]
			if !ok {
				return nil, false
			}
			v = n
		case []any:
			i, ok := arrayIndex(s)
			if !ok || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// rebuild returns a copy of doc in which the container at segs has been
// replaced by fn's result. Only the containers along segs are copied; every
// other subtree is shared with doc. A missing step is ErrPathNotFound
// reported at full, the pointer the caller was working on.
func rebuild(doc any, segs []string, full string, fn func(parent any) (any, error)) (any, error) {
	if len(segs) == 0 {
		return fn(doc)
	}
	s := segs[0]
	switch c := doc.(type) {
	case map[string]any:
		n, ok := c[s]
		if !ok {
			return nil, newErr(ErrPathNotFound, full, "member %q does not exist", s)
		}
		nv, err := rebuild(n, segs[1:], full, fn)
		if err != nil {
			return nil, err
		}
		out := cloneMap(c, 0)
		out[s] = nv
		return out, nil
	case []any:
		i, ok := arrayIndex(s)
		if !ok || i >= len(c) {
			return nil, newErr(ErrPathNotFound, full, "array index %q does not exist", s)
		}
		nv, err := rebuild(c[i], segs[1:], full, fn)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(c))
		copy(out, c)
		out[i] = nv
		return out, nil
	default:
		return nil, newErr(ErrPathNotFound, full, "%q is not inside an object or array", s)
	}
}

// cloneMap returns a shallow copy of m, never nil; extra is how many
// members the caller may add. maps.Clone copies the table as it is, which
// is cheaper than inserting every member again, and a table usually has
// room for one more member.
func cloneMap(m map[string]any, extra int) map[string]any {
	if m == nil {
		return make(map[string]any, extra)
	}
	return maps.Clone(m)
}
