package update

import (
	"fmt"
	"strconv"
	"text/template"
	"unicode/utf8"

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
	secrets  map[string]preparedSecret
	delivery map[string]prepDelivery
	touched  map[string]bool // confirmable paths the input writes
	// invalid holds what the input checks found wrong with values; such
	// values are left out of doc so the checks that need the record can
	// still run and report their fields too. The request then fails with
	// every failing field at once.
	invalid []FieldError
}

type prepDelivery struct {
	kind  DeliveryKind
	link  *template.Template
	orgID string
}

// inputWalk collects what a walk over the input finds.
type inputWalk struct {
	e       *Engine
	s       *schema
	g       Grant
	p       *prepared
	forbid  []FieldError
	limit   []FieldError
	fixed   []FieldError // read-only, set by verification
	invalid []FieldError
}

// prepare runs the stateless checks of a request.
func (e *Engine) prepare(s *schema, g Grant, req *Request) (*prepared, error) {
	at, err := merge.ParsePointer(req.Path)
	if err != nil {
		return nil, &Error{Code: Malformed, Message: fmt.Sprintf("path %q is not a JSON Pointer", req.Path), Err: err}
	}
	p := &prepared{at: at, touched: map[string]bool{}, secrets: map[string]preparedSecret{}}
	w := &inputWalk{e: e, s: s, g: g, p: p}
	if len(at) > s.limits.MaxDepth {
		return nil, Errorf(TooLarge, "path is deeper than %d", s.limits.MaxDepth)
	}
	plain := map[string]SecretValue{}
	switch req.Mode {
	case Merge, Replace, "":
		if req.Ops != nil {
			return nil, Errorf(Malformed, "operations are for mode patch")
		}
		if req.Mode == Replace && len(at) == 0 {
			if _, ok := req.Doc.(map[string]any); !ok {
				return nil, &Error{Code: Invalid, Message: "the document must be an object",
					Fields: []FieldError{{Path: "", Rule: RuleType, Param: "object", Message: "must be an object"}}}
			}
		}
		if len(at) == 0 && req.Doc != nil {
			if _, ok := req.Doc.(map[string]any); !ok && (req.Mode == Merge || req.Mode == "") {
				return nil, &Error{Code: Invalid, Message: "the document must be an object",
					Fields: []FieldError{{Path: "", Rule: RuleType, Param: "object", Message: "must be an object"}}}
			}
		}
		in := req.Doc
		if in == nil && len(at) == 0 && req.Mode != Replace {
			in = map[string]any{} // only secrets or deliveries were sent
		}
		doc, keep, _ := w.walk(at, in, plain)
		if !keep {
			doc = map[string]any{}
		}
		p.doc = doc
	case Patch:
		if req.Doc != nil {
			return nil, Errorf(Malformed, "mode patch takes operations, not a document")
		}
		if len(req.Ops) > s.limits.MaxMembers {
			return nil, Errorf(TooLarge, "more than %d operations", s.limits.MaxMembers)
		}
		p.ops = make([]merge.Operation, 0, len(req.Ops))
		for i, op := range req.Ops {
			nop, err := w.walkOp(i, op, plain)
			if err != nil {
				return nil, err
			}
			p.ops = append(p.ops, nop)
		}
	default:
		return nil, Errorf(Malformed, "mode %q is not merge, replace or patch", req.Mode)
	}
	for path, v := range req.Secrets {
		if _, dup := plain[path]; dup {
			w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Message: "is sent twice"})
			continue
		}
		plain[path] = v
	}
	if len(w.forbid)+len(w.limit)+len(w.fixed) > 0 {
		return nil, w.err()
	}
	p.invalid = w.invalid
	if err := e.prepareDelivery(s, g, req.Delivery, p); err != nil {
		return nil, err
	}
	if err := prepareSecrets(s, g, plain, p); err != nil {
		return nil, err
	}
	return p, nil
}

// withInvalid adds the input's failing fields to what the checks on the
// record found: one Invalid listing them all, unless the record checks
// found something graver (Forbidden, TooLarge, Immutable), which wins.
func withInvalid(err error, fields []FieldError) error {
	if len(fields) == 0 {
		return err
	}
	if err == nil {
		return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(append([]FieldError(nil), fields...))}
	}
	e := AsError(err)
	if e.Code != Invalid {
		return err
	}
	all := append(append([]FieldError(nil), fields...), e.Fields...)
	return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(all), Err: e.Err}
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
		if len(v.Plain) > 4096 || len(v.Hash) > 4096 || len(v.Current) > 4096 {
			invalid = append(invalid, FieldError{Path: path, Rule: RuleLimit, Message: "is too long"})
			continue
		}
		ps, errs := prepareSecret(path, r.f.Secret, v, len(p.invalid) == 0 && len(invalid) == 0)
		if len(errs) > 0 {
			invalid = append(invalid, errs...)
			continue
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
	var fields []FieldError
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
					fields = append(fields, FieldError{Path: path, Rule: RuleTemplate, Message: "link template: " + err.Error()})
					continue
				}
				pd.link = t
			}
		case ReturnCode:
		case AlreadyVerified:
			// Checked where it takes effect (routing): restating a value
			// that is already established and verified asserts nothing.
		default:
			fields = append(fields, FieldError{Path: path, Rule: RuleType, Message: fmt.Sprintf("delivery %q is not send, return or verified", d.Kind)})
			continue
		}
		p.delivery[path] = pd
	}
	if len(fields) > 0 {
		return &Error{Code: Malformed, Message: "invalid delivery", Fields: sortFields(fields)}
	}
	return nil
}

func mustSegs(p string) []string {
	segs, err := merge.ParsePointer(p)
	if err != nil {
		return []string{"\x00invalid"}
	}
	return segs
}

// walk checks one input value at segs and returns it normalized, or
// keep=false when it is to be left out (a dropped unknown attribute or a
// secret taken out into plain). changed says the value returned differs
// from v, so the containers above it are copied, never modified.
func (w *inputWalk) walk(segs []string, v any, plain map[string]SecretValue) (out any, keep, changed bool) {
	path := pointer(segs)
	if len(segs) > w.s.limits.MaxDepth {
		w.limit = append(w.limit, FieldError{Path: path, Rule: RuleLimit, Param: "depth", Message: fmt.Sprintf("is nested deeper than %d", w.s.limits.MaxDepth)})
		return v, true, false
	}
	cv := w.s.lookup(segs)
	gov := cv.rule
	if gov == nil {
		gov = cv.ancestor
	}
	if _, ok := w.s.verified[path]; ok {
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is set by verification only"})
		return v, true, false
	}
	if gov != nil && gov.f.Mutability == ReadOnly {
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is read-only"})
		return v, true, false
	}
	if cv.rule != nil && cv.rule.f.Secret != nil {
		s, ok := v.(string)
		if !ok {
			w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Param: "string", Message: "must be a string"})
			return v, false, true
		}
		plain[path] = SecretValue{Plain: s}
		return nil, false, true
	}
	if !cv.known() && len(segs) > 0 {
		switch w.s.src.Unknown {
		case Allow:
		case Drop:
			return nil, false, true
		default:
			w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleUnknown, Message: "is not a known attribute"})
			return nil, false, true
		}
	}
	if len(segs) > 0 && !w.g.allows(path) && !w.g.above(path) {
		w.forbid = append(w.forbid, FieldError{Path: path, Rule: RuleGrant, Message: "may not be written by this client"})
		return v, true, false
	}
	if cv.rule != nil && cv.rule.f.Confirm != nil {
		w.p.touched[path] = true
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) > w.s.limits.MaxMembers {
			w.limit = append(w.limit, FieldError{Path: path, Rule: RuleLimit, Param: "members", Message: fmt.Sprintf("has more than %d members", w.s.limits.MaxMembers)})
			return v, true, false
		}
		var out map[string]any
		for k, mv := range x {
			nv, keep, changed := w.walk(appendSeg(segs, k), mv, plain)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(x))
				for k2, v2 := range x {
					out[k2] = v2
				}
			}
			if keep {
				out[k] = nv
			} else {
				delete(out, k)
			}
		}
		if out != nil {
			return out, true, true
		}
		return x, true, false
	case []any:
		if len(x) > w.s.limits.MaxPlural {
			w.limit = append(w.limit, FieldError{Path: path, Rule: RuleLimit, Param: "plural", Message: fmt.Sprintf("has more than %d elements", w.s.limits.MaxPlural)})
			return v, true, false
		}
		var out []any
		for i, ev := range x {
			before := len(w.invalid)
			nv, keep, changed := w.walk(appendSeg(segs, strconv.Itoa(i)), ev, plain)
			if !keep && len(w.invalid) == before {
				w.invalid = append(w.invalid, FieldError{Path: path + "/" + strconv.Itoa(i), Rule: RuleUnknown, Message: "cannot be left out of an array"})
			}
			if !keep {
				// The request fails; a null keeps the other elements' places.
				nv, changed = nil, true
			}
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = nv
		}
		if out != nil {
			return out, true, true
		}
		return x, true, false
	case string:
		if len(x) > w.s.limits.MaxString {
			w.limit = append(w.limit, FieldError{Path: path, Rule: RuleLimit, Param: "string", Message: fmt.Sprintf("is longer than %d bytes", w.s.limits.MaxString)})
			return v, true, false
		}
		if !utf8.ValidString(x) {
			w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Message: "is not valid UTF-8"})
			return nil, false, true
		}
		if cv.rule != nil {
			nv, fe := normalize(cv.rule.f, x)
			if fe != nil {
				fe.Path = path
				w.invalid = append(w.invalid, *fe)
				return nil, false, true
			}
			return nv, true, nv != any(x)
		}
	}
	return v, true, false
}

func (w *inputWalk) walkOp(i int, op merge.Operation, plain map[string]SecretValue) (merge.Operation, error) {
	segs, err := merge.ParsePointer(op.Path)
	if err != nil {
		return op, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: path %q is not a JSON Pointer", i, op.Path), Err: err}
	}
	switch op.Op {
	case "add", "replace":
		v, keep, _ := w.walk(segs, op.Value, plain)
		if !keep {
			return op, &Error{Code: Invalid, Message: fmt.Sprintf("operation %d: secrets and dropped attributes cannot be patched", i),
				Fields: []FieldError{{Path: op.Path, Rule: RuleType, Message: "cannot be written by a patch operation"}}}
		}
		op.Value = v
	case "remove":
		w.walkRemove(segs)
	case "move":
		from, err := merge.ParsePointer(op.From)
		if err != nil {
			return op, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: from %q is not a JSON Pointer", i, op.From), Err: err}
		}
		w.walkRemove(from)
		w.walkRemove(segs)
	case "copy":
		if _, err := merge.ParsePointer(op.From); err != nil {
			return op, &Error{Code: Malformed, Message: fmt.Sprintf("operation %d: from %q is not a JSON Pointer", i, op.From), Err: err}
		}
		w.walkRemove(segs)
	case "test":
	default:
		return op, Errorf(Malformed, "operation %d: op %q is not add, remove, replace, move, copy or test", i, op.Op)
	}
	return op, nil
}

// walkRemove checks a path an operation removes or overwrites without a value.
func (w *inputWalk) walkRemove(segs []string) {
	path := pointer(segs)
	cv := w.s.lookup(segs)
	gov := cv.rule
	if gov == nil {
		gov = cv.ancestor
	}
	switch {
	case w.s.verified[path] != nil:
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is set by verification only"})
	case gov != nil && gov.f.Mutability == ReadOnly:
		w.fixed = append(w.fixed, FieldError{Path: path, Rule: RuleReadOnly, Message: "is read-only"})
	case gov != nil && gov.f.Secret != nil:
		w.invalid = append(w.invalid, FieldError{Path: path, Rule: RuleType, Message: "secrets cannot be patched"})
	case !w.g.allows(path):
		w.forbid = append(w.forbid, FieldError{Path: path, Rule: RuleGrant, Message: "may not be written by this client"})
	}
	if cv.rule != nil && cv.rule.f.Confirm != nil {
		w.p.touched[path] = true
	}
}

// err turns what the walk found into one error, most fundamental first.
func (w *inputWalk) err() error {
	switch {
	case len(w.forbid) > 0:
		return &Error{Code: Forbidden, Message: "the client may not write these fields", Fields: sortFields(w.forbid)}
	case len(w.limit) > 0:
		return &Error{Code: TooLarge, Message: "the request exceeds a limit", Fields: sortFields(w.limit)}
	case len(w.fixed) > 0:
		return &Error{Code: Immutable, Message: "read-only fields cannot be written", Fields: sortFields(append(w.fixed, w.invalid...))}
	case len(w.invalid) > 0:
		return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: sortFields(w.invalid)}
	}
	return nil
}
