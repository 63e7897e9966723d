package scim

import (
	"encoding/json"
	"strings"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// maxFilterDepth bounds the nesting of parentheses, "not" and value
// paths in a filter; it is the storage query's own bound, checked while
// parsing so that a filter nested ten thousand deep costs no recursion.
const maxFilterDepth = storage.MaxFilterDepth

// filterError is the invalidFilter refusal of a filter, naming what is
// wrong and where.
func filterError(format string, args ...any) error {
	return update.Errorf(codeFilter, "invalid filter: "+format, args...)
}

// token kinds of the filter lexer.
const (
	tokEOF = iota
	tokWord
	tokString
	tokOpen   // (
	tokClose  // )
	tokLBrack // [
	tokRBrack // ]
)

type token struct {
	kind int
	text string // a word as written; a string's decoded value
	pos  int
}

// lex splits a filter into tokens. Strings are JSON strings (RFC 7644
// section 3.4.2.2 says so), decoded with JSON's escapes.
func lex(s string) ([]token, error) {
	out := make([]token, 0, 8) // a comparison and its EOF fit
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			out = append(out, token{kind: bracketKind(c), text: s[i : i+1], pos: i})
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, filterError("unterminated string at %d", i)
			}
			v, ok := plainString(s[i+1 : j])
			if !ok {
				if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
					return nil, filterError("bad string at %d", i)
				}
			}
			out = append(out, token{kind: tokString, text: v, pos: i})
			i = j + 1
		default:
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			if j == i {
				return nil, filterError("unexpected character at %d", i)
			}
			out = append(out, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		}
	}
	return append(out, token{kind: tokEOF, pos: len(s)}), nil
}

// bracketKind is the token kind of a parenthesis or bracket.
func bracketKind(c byte) int {
	switch c {
	case '(':
		return tokOpen
	case ')':
		return tokClose
	case '[':
		return tokLBrack
	}
	return tokRBrack
}

// plainString returns the body of a JSON string that needs no decoding
// (printable ASCII without escapes) as it is, or reports false for one
// json.Unmarshal must decode.
func plainString(body string) (string, bool) {
	for i := 0; i < len(body); i++ {
		if c := body[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return "", false
		}
	}
	return body, true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("-_:.$+", c) >= 0
}

// node is a parsed filter: a logical node (and, or, not), a comparison,
// or a value path (attr[filter]).
type node struct {
	op    storage.Op
	attr  string
	value any
	args  []*node
	pos   int
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) keyword(t token, kw string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, kw)
}

// ParseFilter parses a SCIM filter (RFC 7644 section 3.4.2.2) into its
// tree, checking nothing about attributes. Operators and keywords are
// case-insensitive; "not" binds tighter than "and", "and" than "or".
// Errors are invalidFilter.
func parseFilter(s string, maxBytes int) (*node, error) {
	if len(s) > maxBytes {
		return nil, filterError("longer than %d bytes", maxBytes)
	}
	if strings.TrimSpace(s) == "" {
		return nil, filterError("empty")
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, filterError("unexpected %q at %d", clip(t.text), t.pos)
	}
	return n, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return filterError("nested deeper than %d", maxFilterDepth)
	}
	return nil
}

func (p *parser) or() (*node, error) {
	return p.chain("or", storage.Or, p.and)
}

func (p *parser) and() (*node, error) {
	return p.chain("and", storage.And, p.unary)
}

// chain parses operands joined by kw, left to right, into one node.
func (p *parser) chain(kw string, op storage.Op, operand func() (*node, error)) (*node, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	args := []*node{first}
	for p.keyword(p.peek(), kw) {
		p.next()
		n, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &node{op: op, args: args}, nil
}

func (p *parser) unary() (*node, error) {
	t := p.peek()
	switch {
	case p.keyword(t, "not"):
		p.next()
		if p.peek().kind != tokOpen {
			return nil, filterError(`"not" must be followed by "(" at %d`, t.pos)
		}
		n, err := p.group()
		if err != nil {
			return nil, err
		}
		return &node{op: storage.Not, args: []*node{n}, pos: t.pos}, nil
	case t.kind == tokOpen:
		return p.group()
	case t.kind == tokWord:
		return p.attrExp()
	}
	return nil, filterError("expected an attribute, \"not\" or \"(\" at %d", t.pos)
}

// group parses "(" FILTER ")".
func (p *parser) group() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.next()
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokClose {
		return nil, filterError(`expected ")" at %d`, t.pos)
	}
	p.depth--
	return n, nil
}

var compareOps = map[string]storage.Op{
	"eq": storage.Eq, "ne": storage.Ne, "co": storage.Co, "sw": storage.Sw, "ew": storage.Ew,
	"gt": storage.Gt, "ge": storage.Ge, "lt": storage.Lt, "le": storage.Le,
}

// attrExp parses "attr pr", "attr op value" or "attr[filter]".
func (p *parser) attrExp() (*node, error) {
	at := p.next()
	if p.peek().kind == tokLBrack {
		if err := p.enter(); err != nil {
			return nil, err
		}
		p.next()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tokRBrack {
			return nil, filterError(`expected "]" at %d`, t.pos)
		}
		p.depth--
		return &node{op: storage.Any, attr: at.text, args: []*node{inner}, pos: at.pos}, nil
	}
	opTok := p.next()
	if opTok.kind != tokWord {
		return nil, filterError("expected an operator at %d", opTok.pos)
	}
	if strings.EqualFold(opTok.text, "pr") {
		return &node{op: storage.Pr, attr: at.text, pos: at.pos}, nil
	}
	op, ok := compareOps[strings.ToLower(opTok.text)]
	if !ok {
		return nil, filterError("unknown operator %q at %d", clip(opTok.text), opTok.pos)
	}
	vt := p.next()
	var v any
	switch {
	case vt.kind == tokString:
		v = vt.text
	case p.keyword(vt, "true"):
		v = true
	case p.keyword(vt, "false"):
		v = false
	case p.keyword(vt, "null"):
		v = nil
	case vt.kind == tokWord && storage.CheckNumber(vt.text) == nil:
		v = json.Number(vt.text)
	default:
		return nil, filterError("expected a value at %d", vt.pos)
	}
	return &node{op: op, attr: at.text, value: v, pos: at.pos}, nil
}

// storageFilter turns a parsed filter on rt's resources into the storage
// query filter whose semantics every backend shares. Attribute paths
// resolve against rt's schemas; a multi-valued attribute compares its
// elements ("emails.value eq x" holds when some email's value is x; "emails
// eq x" compares the value sub-attribute, RFC 7644 section 3.4.2.2).
func (rt *resourceType) storageFilter(n *node) (*storage.Filter, error) {
	f, err := rt.term(n, nil)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// term translates n; inside a value path, within is the plural whose
// elements the paths are relative to.
func (rt *resourceType) term(n *node, within *Attribute) (storage.Filter, error) {
	switch n.op {
	case storage.And, storage.Or, storage.Not:
		out := storage.Filter{Op: n.op, Args: make([]storage.Filter, len(n.args))}
		for i, a := range n.args {
			var err error
			if out.Args[i], err = rt.term(a, within); err != nil {
				return out, err
			}
		}
		return out, nil
	case storage.Any:
		if within != nil {
			return storage.Filter{}, filterError("a value path inside a value path at %d", n.pos)
		}
		p, err := rt.resolve(n.attr, codeFilter)
		if err != nil {
			return storage.Filter{}, err
		}
		if p.Plural == nil || p.Sub != "" {
			return storage.Filter{}, filterError("%q is not a multi-valued attribute", p.Shown)
		}
		inner, err := rt.term(n.args[0], p.Plural)
		if err != nil {
			return storage.Filter{}, err
		}
		return storage.Filter{Op: storage.Any, Path: pointer(p.Segs), Args: []storage.Filter{inner}}, nil
	}
	leaf := storage.Filter{Op: n.op, Value: n.value}
	if within != nil {
		s, ok := find(within.SubAttributes, n.attr)
		if !ok {
			return leaf, filterError("%q is no sub-attribute of %q", clip(n.attr), within.Name)
		}
		leaf.Path = pointer([]string{s.Name})
		return leaf, nil
	}
	if strings.EqualFold(n.attr, "schemas") {
		return rt.schemasTerm(n)
	}
	p, err := rt.resolve(n.attr, codeFilter)
	if err != nil {
		return leaf, err
	}
	if p.Plural != nil {
		sub := p.Sub
		if sub == "" && p.Plural.Type == typeComplex {
			if _, ok := find(p.Plural.SubAttributes, "value"); ok && n.op != storage.Pr {
				sub = "value"
			}
		}
		if sub != "" {
			leaf.Path = pointer([]string{sub})
		}
		return storage.Filter{Op: storage.Any, Path: pointer(p.Segs), Args: []storage.Filter{leaf}}, nil
	}
	if p.Attr.Type == typeComplex {
		if n.op != storage.Pr {
			return leaf, filterError("%q is complex: name a sub-attribute", p.Shown)
		}
	}
	leaf.Path = pointer(p.Segs)
	return leaf, nil
}

// schemasTerm translates "schemas eq URN" (RFC 7644 section 3.4.2.2, to
// search by schema or extension): the resource's core schema holds for
// every resource (id is always present), an extension for the resources
// that hold its attributes, and any other URN for none.
func (rt *resourceType) schemasTerm(n *node) (storage.Filter, error) {
	urn, ok := n.value.(string)
	if n.op != storage.Eq || !ok {
		return storage.Filter{}, filterError("schemas takes only eq and a schema URN, at %d", n.pos)
	}
	has := func(path string) storage.Filter { return storage.Filter{Op: storage.Pr, Path: path} }
	switch x, isExt := rt.extension(urn); {
	case strings.EqualFold(urn, rt.Schema.ID):
		return has("/id"), nil
	case isExt:
		return has(pointer([]string{x.ID})), nil
	}
	return storage.Filter{Op: storage.Not, Args: []storage.Filter{has("/id")}}, nil
}
