package verify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"
)

// Bounds on link templates and what they render to.
const (
	MaxLinkTemplateLength = 2000
	MaxLinkLength         = 8192
)

// ErrLinkTemplate is wrapped by every error ParseLinkTemplate and
// RenderLink return.
var ErrLinkTemplate = errors.New("verify: link template")

// LinkData is what a link template sees, e.g.
// "https://example.com/verify?u={{.UserID}}&c={{.Code}}".
type LinkData struct{ UserID, Code, OrgID, Path, Channel string }

// LinkOption narrows what ParseLinkTemplate accepts, for vendors whose
// own rules are stricter than the default subset.
type LinkOption func(*linkRules)

type linkRules struct {
	maxRunes   int
	fields     []string
	fieldsOnly bool
}

// LinkLength bounds the template to 1 to max characters (runes), instead
// of at most MaxLinkTemplateLength bytes.
func LinkLength(max int) LinkOption { return func(r *linkRules) { r.maxRunes = max } }

// LinkFields limits the fields a template may print to names (all of
// LinkData's by default).
func LinkFields(names ...string) LinkOption {
	return func(r *linkRules) { r.fields = append([]string(nil), names...) }
}

// LinkFieldsOnly refuses string constants and functions: every action is
// one field reference, {{.Code}}.
func LinkFieldsOnly() LinkOption { return func(r *linkRules) { r.fieldsOnly = true } }

// ParseLinkTemplate parses s as a text/template over LinkData.
//
// Templates arrive with requests, so they are held to a small, safe
// subset: at most MaxLinkTemplateLength bytes; only text and actions that
// print fields of LinkData ({{.Code}}), string constants, and pipes into
// urlquery, html or js ({{.UserID | urlquery}}). Conditionals, loops,
// variables, nested templates and other functions are refused, so a
// template cannot loop or blow up its output. The template is executed
// once against sample data so an unknown field ({{.Nope}}) is reported
// now rather than when a code is sent. Options narrow the subset further.
// Errors wrap ErrLinkTemplate.
func ParseLinkTemplate(s string, opts ...LinkOption) (*template.Template, error) {
	var rules linkRules
	for _, o := range opts {
		o(&rules)
	}
	if len(s) > MaxLinkTemplateLength {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrLinkTemplate, len(s), MaxLinkTemplateLength)
	}
	if n := utf8.RuneCountInString(s); rules.maxRunes > 0 && (n == 0 || n > rules.maxRunes) {
		return nil, fmt.Errorf("%w: %d characters, 1 to %d allowed", ErrLinkTemplate, n, rules.maxRunes)
	}
	t, err := template.New("link").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLinkTemplate, err)
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("%w: defining templates is not allowed", ErrLinkTemplate)
	}
	if err := rules.checkNodes(t.Root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLinkTemplate, err)
	}
	// Sample values, not a real code, so the error may quote them.
	sample := LinkData{UserID: "user", Code: "CODE", OrgID: "org", Path: "/email", Channel: string(Email)}
	if err := t.Execute(&boundedWriter{max: MaxLinkLength}, sample); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLinkTemplate, err)
	}
	return t, nil
}

// checkNodes refuses every construct outside the subset described at
// ParseLinkTemplate and narrowed by the rules.
func (r linkRules) checkNodes(n parse.Node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := r.checkNodes(c); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode:
		return nil
	case *parse.ActionNode:
		return r.checkPipe(n.Pipe)
	default:
		return fmt.Errorf("%q is not allowed; only {{.Field}} and pipes into urlquery, html or js are", n.String())
	}
}

func (r linkRules) checkPipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	if len(p.Decl) > 0 {
		return fmt.Errorf("%q: variables are not allowed", p.String())
	}
	if r.fieldsOnly && (len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1) {
		return fmt.Errorf("%q: only a single field is allowed", p.String())
	}
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			switch a := arg.(type) {
			case *parse.FieldNode:
				if len(a.Ident) != 1 {
					return fmt.Errorf("%q: only fields of LinkData are allowed", a.String())
				}
				if r.fields != nil && !slices.Contains(r.fields, a.Ident[0]) {
					return fmt.Errorf("field %q is not allowed; only %s are", a.Ident[0], strings.Join(r.fields, ", "))
				}
			case *parse.StringNode:
				if r.fieldsOnly {
					return fmt.Errorf("%q: only fields are allowed", a.String())
				}
			case *parse.IdentifierNode:
				if r.fieldsOnly {
					return fmt.Errorf("function %q is not allowed; only fields are", a.Ident)
				}
				if !isLinkFunc(a.Ident) {
					return fmt.Errorf("function %q is not allowed; only urlquery, html and js are", a.Ident)
				}
			default:
				return fmt.Errorf("%q is not allowed; only {{.Field}} and pipes into urlquery, html or js are", arg.String())
			}
		}
	}
	return nil
}

// isLinkFunc reports whether a link template may call name: these escape
// and cannot loop, allocate without bound or reach anything else.
func isLinkFunc(name string) bool {
	switch name {
	case "urlquery", "html", "js":
		return true
	}
	return false
}

// RenderLink executes t with d. A nil t renders "". The output is capped
// at MaxLinkLength bytes. Errors wrap ErrLinkTemplate and never contain
// d.Code.
func RenderLink(t *template.Template, d LinkData) (string, error) {
	if t == nil {
		return "", nil
	}
	w := &boundedWriter{max: MaxLinkLength}
	if err := t.Execute(w, d); err != nil {
		msg := err.Error()
		if d.Code != "" {
			msg = strings.ReplaceAll(msg, d.Code, redacted)
		}
		// Not wrapped with %w: the original error could carry the code.
		return "", fmt.Errorf("%w: %s", ErrLinkTemplate, msg)
	}
	return w.b.String(), nil
}

var errLinkTooLong = fmt.Errorf("rendered link exceeds %d bytes", MaxLinkLength)

// boundedWriter collects at most max bytes and fails beyond that, which
// stops template execution.
type boundedWriter struct {
	b   strings.Builder
	max int
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		return 0, errLinkTooLong
	}
	return w.b.Write(p)
}
