package update

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/verify"
)

// prepared is what a request turns into before any record is read: the
// input checked against the rules that need no stored state, normalized,
// with secrets taken out and hashed.
type prepared struct {
	at       []string
	doc      any
	ops      []merge.Operation
	mods     []merge.Modification
	secrets  map[string]preparedSecret
	delivery map[string]prepDelivery
	touched  map[string]bool // confirmable paths the input writes
	// invalid holds what the input checks found wrong with values; such
	// values are left out of doc so the checks that need the record can
	// still run and report their fields too. The request then fails with
	// every failing field at once.
	invalid []FieldError
	// segs is the input walk's path buffer (inputWalk.walkInput).
	segs [8]string
}

// touch notes that the input writes the confirmable path.
func (p *prepared) touch(path string) {
	if p.touched == nil {
		p.touched = map[string]bool{}
	}
	p.touched[path] = true
}

type prepDelivery struct {
	kind  DeliveryKind
	link  *template.Template
	orgID string
}

// prepare runs the stateless checks of a request.
func (e *Engine) prepare(s *schema, g Grant, req *Request) (*prepared, error) {
	p := new(prepared)
	if err := e.prepareInto(p, s, g, req); err != nil {
		return nil, err
	}
	return p, nil
}

// prepareInto is prepare filling in p, which is zero.
func (e *Engine) prepareInto(p *prepared, s *schema, g Grant, req *Request) error {
	at, err := merge.ParsePointer(req.Path)
	if err != nil {
		return &Error{Code: Malformed, Message: fmt.Sprintf("path %q is not a JSON Pointer", req.Path), Err: err}
	}
	if err := s.checkSelectors(req.Path, at); err != nil {
		return err
	}
	p.at = at
	w := &inputWalk{schema: s, grant: g, input: p}
	if len(at) > s.limits.MaxDepth {
		return Errorf(TooLarge, "path is deeper than %d", s.limits.MaxDepth)
	}
	switch req.Mode {
	case Merge, Replace, "":
		err = w.prepareDoc(req)
	case Patch:
		err = w.prepareOps(req)
	case Modify:
		err = w.prepareMods(req)
	default:
		err = Errorf(Malformed, "mode %q is not merge, replace, patch or modify", req.Mode)
	}
	if err != nil {
		return err
	}
	for path, v := range req.Secrets {
		if _, dup := w.plain[path]; dup {
			w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Message: "is sent twice"})
			continue
		}
		w.putPlain(path, v)
	}
	if len(w.forbid)+len(w.limit)+len(w.fixed) > 0 {
		return w.err()
	}
	p.invalid = w.invalid
	if err := e.prepareDelivery(s, g, req.Delivery, p); err != nil {
		return err
	}
	return prepareSecrets(s, g, w.plain, p)
}

// prepareDoc walks the document of a Merge or Replace into w.input.doc.
func (w *inputWalk) prepareDoc(req *Request) error {
	at := w.input.at
	if req.Ops != nil || req.Mods != nil {
		return Errorf(Malformed, "operations are for modes patch and modify")
	}
	if len(at) == 0 {
		_, isObject := req.Doc.(map[string]any)
		if !isObject && (req.Mode == Replace || req.Doc != nil) {
			return &Error{Code: Invalid, Message: "the document must be an object",
				Fields: []FieldError{{Path: "", Rule: RuleType, Param: "object", Message: "must be an object"}}}
		}
	}
	in := req.Doc
	if in == nil && len(at) == 0 && req.Mode != Replace {
		in = map[string]any{} // only secrets or deliveries were sent
	}
	doc, keep, _ := w.walkInput(at, in)
	if !keep {
		doc = map[string]any{}
	}
	w.input.doc = doc
	return nil
}

// prepareOps walks the operations of a Patch into w.input.ops.
func (w *inputWalk) prepareOps(req *Request) error {
	if req.Doc != nil {
		return Errorf(Malformed, "mode patch takes operations, not a document")
	}
	if len(req.Ops) > w.schema.limits.MaxMembers {
		return Errorf(TooLarge, "more than %d operations", w.schema.limits.MaxMembers)
	}
	w.input.ops = make([]merge.Operation, 0, len(req.Ops))
	for i, op := range req.Ops {
		nop, err := w.walkOp(i, op)
		if err != nil {
			return err
		}
		w.input.ops = append(w.input.ops, nop)
	}
	return nil
}

// prepareSecrets checks and hashes secrets; bcrypt runs only once the
// rest of the request has passed, so a bad request costs no hashing. Their
// failing fields join p.invalid.
func prepareSecrets(s *schema, g Grant, plain map[string]SecretValue, p *prepared) error {
	var forbid, invalid []FieldError
	for path, v := range plain {
		r, ok := s.secrets[path]
		if !ok {
			invalid = append(invalid, FieldError{Path: path, Rule: RuleUnknown, Message: "is not a secret field"})
			continue
		}
		if !g.allows(path) {
			forbid = append(forbid, FieldError{Path: path, Rule: RuleGrant, Message: "may not be written by this client"})
			continue
		}
		if len(v.Plain) > 4096 || len(v.Hash) > 4096 || len(v.Current) > 4096 || len(v.Code) > maxCodeLen {
			invalid = append(invalid, FieldError{Path: path, Rule: RuleLimit, Message: "is too long"})
			continue
		}
		ps, errs := prepareSecret(path, r.f.Secret, v, len(p.invalid) == 0 && len(invalid) == 0)
		if len(errs) > 0 {
			invalid = append(invalid, errs...)
			continue
		}
		if p.secrets == nil {
			p.secrets = map[string]preparedSecret{}
		}
		p.secrets[path] = ps
	}
	if len(forbid) > 0 {
		return &Error{Code: Forbidden, Message: "the client may not write these fields", Fields: sortFields(forbid)}
	}
	p.invalid = append(p.invalid, invalid...)
	return nil
}

func (e *Engine) prepareDelivery(s *schema, g Grant, ds map[string]Delivery, p *prepared) error {
	if len(ds) == 0 {
		return nil
	}
	p.delivery = make(map[string]prepDelivery, len(ds))
	var fields, denied []FieldError
	for path, d := range ds {
		r := s.ruleAt(mustSegs(path))
		if r == nil || r.f.Confirm == nil {
			fields = append(fields, FieldError{Path: path, Rule: RuleUnknown, Message: "is not a confirmable field"})
			continue
		}
		pd := prepDelivery{kind: d.Kind, orgID: d.OrgID}
		switch d.Kind {
		case "", Send:
			pd.kind = Send
			if d.LinkTemplate != "" {
				t, err := verify.ParseLinkTemplate(d.LinkTemplate)
				if err != nil {
					fields = append(fields, FieldError{Path: path, Rule: RuleTemplate, Message: linkTemplateMessage(err)})
					continue
				}
				pd.link = t
			}
		case ReturnCode:
			if !g.ReturnCode {
				denied = append(denied, returnCodeDenied(path))
			}
		case AlreadyVerified:
			// Checked where it takes effect (routing): restating a value
			// that is already established and verified asserts nothing.
		default:
			fields = append(fields, FieldError{Path: path, Rule: RuleType, Message: fmt.Sprintf("delivery %q is not send, return or verified", d.Kind)})
			continue
		}
		p.delivery[path] = pd
	}
	if len(denied) > 0 {
		return errReturnCode(denied)
	}
	if len(fields) > 0 {
		return &Error{Code: Malformed, Message: "invalid delivery", Fields: sortFields(fields)}
	}
	return nil
}

// returnCodeDenied is the field error of a code asked back at path by a
// client whose grant lacks ReturnCode.
func returnCodeDenied(path string) FieldError {
	return FieldError{Path: path, Rule: RuleGrant, Message: "may not have its code returned to this client"}
}

// errReturnCode refuses codes asked back by a client without
// Grant.ReturnCode.
func errReturnCode(fields []FieldError) *Error {
	return &Error{Code: Forbidden, Message: "the client may not have codes returned to it", Fields: sortFields(fields)}
}

// linkTemplateMessage says why a link template was refused without
// text/template's own wording, which names Go types and internals.
func linkTemplateMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), verify.ErrLinkTemplate.Error()+": ")
	if strings.Contains(msg, "template: ") {
		return "is not a link template: it does not parse, or uses a placeholder other than " +
			"{{.UserID}}, {{.Code}}, {{.OrgID}}, {{.Path}} and {{.Channel}}"
	}
	return "is not an allowed link template: " + msg
}
