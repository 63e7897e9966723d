package scim

import (
	"slices"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// MessagePatch is the schema of a PATCH body.
const MessagePatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// maxPatchOps bounds the operations of one PATCH.
const maxPatchOps = 100

// PatchOp is one operation of a PATCH body.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchRequest is the body of PATCH (RFC 7644 section 3.5.2).
type PatchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

// DecodePatch decodes a PATCH body into the engine modifications of one
// Modify request, so the whole PATCH is applied in one transaction, all
// or nothing. Paths resolve against rt's schemas: "name.givenName",
// "urn:…:enterprise:2.0:User:department", and value paths
// ("emails[type eq \"work\"].value", "members[value eq \"2819c223\"]")
// whose filter the engine evaluates inside the transaction. An operation
// without a path takes an object whose members are each a path of their
// own (so "name.givenName" and URN-prefixed member names work there too).
//
// Compatibility rules (see the package comment): op is matched without
// regard to case; a boolean attribute given the string "True" or "False"
// (any case) is read as the boolean; remove with a value on a
// multi-valued attribute removes the elements whose value sub-attribute
// equals one of those sent.
func DecodePatch(rt *resourceType, body []byte) ([]update.Modification, error) {
	pr, ok := decodePatchRequest(body)
	if !ok {
		if err := httpx.DecodeStrict(body, &pr); err != nil {
			return nil, update.Errorf(codeSyntax, "the body is not a PatchOp: %s", clip(err.Error()))
		}
	}
	if !slices.Equal(pr.Schemas, []string{MessagePatch}) {
		return nil, update.Errorf(codeSyntax, "schemas must be [%q]", MessagePatch)
	}
	if len(pr.Operations) == 0 || len(pr.Operations) > maxPatchOps {
		return nil, update.Errorf(codeValue, "a PATCH holds 1 to %d operations", maxPatchOps)
	}
	mods := make([]update.Modification, 0, len(pr.Operations))
	for _, op := range pr.Operations {
		var err error
		if mods, err = decodePatchOp(rt, op, mods); err != nil {
			return nil, err
		}
	}
	return mods, nil
}

// decodePatchRequest decodes body as httpx.DecodeStrict decodes it into a
// PatchRequest, in one pass without reflection, for bodies spelled as
// RFC 7644 spells them: members named exactly "schemas", "Operations",
// "op", "path" and "value", each once, with string schemas, op and path.
// It reports false for anything else (another spelling of a member name,
// which encoding/json matches without regard to case, an unknown or
// repeated member, a null, a type mismatch, bad JSON), and the caller
// then decodes with DecodeStrict, which gives the same value or the
// error to answer.
func decodePatchRequest(body []byte) (PatchRequest, bool) {
	var pr PatchRequest
	// DecodeQuick: a body that is not JSON is answered with DecodeStrict's
	// error, so finding merge's own would only parse it once more.
	v, ok := merge.DecodeQuick(body, merge.DecodeLimits{})
	if !ok {
		return pr, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return pr, false
	}
	for k, v := range obj {
		switch k {
		case "schemas":
			list, ok := v.([]any)
			if !ok {
				return pr, false
			}
			pr.Schemas = make([]string, len(list))
			for i, e := range list {
				if pr.Schemas[i], ok = e.(string); !ok {
					return pr, false
				}
			}
		case "Operations":
			list, ok := v.([]any)
			if !ok {
				return pr, false
			}
			pr.Operations = make([]PatchOp, len(list))
			for i, e := range list {
				if pr.Operations[i], ok = patchOp(e); !ok {
					return pr, false
				}
			}
		default:
			return pr, false
		}
	}
	return pr, true
}

// patchOp is decodePatchRequest's reading of one operation.
func patchOp(v any) (PatchOp, bool) {
	var op PatchOp
	obj, ok := v.(map[string]any)
	if !ok {
		return op, false
	}
	for k, v := range obj {
		switch k {
		case "op":
			op.Op, ok = v.(string)
		case "path":
			op.Path, ok = v.(string)
		case "value":
			op.Value = v
		default:
			ok = false
		}
		if !ok {
			return op, false
		}
	}
	return op, true
}

// decodePatchOp appends the modifications of op to mods.
func decodePatchOp(rt *resourceType, op PatchOp, mods []update.Modification) ([]update.Modification, error) {
	name := strings.ToLower(op.Op)
	if name != "add" && name != "replace" && name != "remove" {
		return nil, update.Errorf(codeSyntax, "op %q is not add, replace or remove", clip(op.Op))
	}
	if op.Path == "" {
		if name == "remove" {
			return nil, update.Errorf(codeNoTarget, "remove needs a path")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return nil, update.Errorf(codeValue, "%s without a path takes an object", name)
		}
		for _, k := range sortedKeys(obj) {
			m, err := decodeTarget(rt, name, k, obj[k])
			if err != nil {
				return nil, err
			}
			mods = append(mods, m)
		}
		return mods, nil
	}
	m, err := decodeTarget(rt, name, op.Path, op.Value)
	if err != nil {
		return nil, err
	}
	return append(mods, m), nil
}

// decodeTarget decodes one path (a PATCH path, or a member name of a
// path-less operation's value) and the value for it.
func decodeTarget(rt *resourceType, op, path string, value any) (update.Modification, error) {
	m := update.Modification{Op: op}
	if x, ok := rt.extension(path); ok {
		// The whole extension object.
		m.Path = pointer([]string{x.ID})
		if obj, isObj := value.(map[string]any); isObj {
			m.Value = canonical(x.Attributes, coerceBools(x.Attributes, obj))
		} else {
			m.Value = value
		}
		return m, nil
	}
	attr, filter, sub, err := splitValuePath(path)
	if err != nil {
		return m, err
	}
	p, err := rt.resolve(attr, codePath)
	if err != nil {
		return m, err
	}
	m.Path = pointer(p.Segs)
	if filter != "" || sub != "" {
		if p.Plural == nil || p.Sub != "" {
			return m, update.Errorf(codePath, "%q: a filter needs a multi-valued attribute", clip(path))
		}
		n, err := parseFilter(filter, DefaultMaxFilterBytes)
		if err != nil {
			return m, err
		}
		f, err := rt.term(n, p.Plural)
		if err != nil {
			return m, err
		}
		m.Where = &f
		if sub != "" {
			s, ok := find(p.Plural.SubAttributes, sub)
			if !ok {
				return m, update.Errorf(codePath, "%q is no sub-attribute of %s", clip(sub), p.Plural.Name)
			}
			m.Sub = s.Name
			m.Value = coerceBool(s, value)
			return m, nil
		}
		m.Value = canonicalElement(p.Plural, value)
		return m, nil
	}
	if p.Plural != nil && p.Sub != "" {
		return m, update.Errorf(codePath, "%q: name the values with a filter, e.g. %s[type eq \"work\"].%s", clip(path), p.Plural.Name, p.Sub)
	}
	if op == "remove" && value != nil {
		return removeValues(m, p, value)
	}
	m.Value = canonicalValue(p.Attr, coerceBool(p.Attr, coerceRef(p.Attr, value)))
	if obj, ok := m.Value.(map[string]any); ok && p.Attr.Type == typeComplex && !p.Attr.MultiValued {
		m.Value = coerceBools(p.Attr.SubAttributes, obj)
	}
	return m, nil
}

// removeValues turns remove with a value on a multi-valued attribute into
// a remove of the elements whose value equals one sent.
func removeValues(m update.Modification, p *attrPath, value any) (update.Modification, error) {
	list, ok := value.([]any)
	if p.Plural == nil || !ok || len(list) == 0 {
		return m, update.Errorf(codeValue, "remove takes a value only for a multi-valued attribute: a list of values")
	}
	or := storage.Filter{Op: storage.Or}
	for _, e := range list {
		obj, _ := e.(map[string]any)
		v, ok := obj["value"]
		if !ok || v == nil {
			return m, update.Errorf(codeValue, "each value to remove must have a value sub-attribute")
		}
		or.Args = append(or.Args, storage.Filter{Op: storage.Eq, Path: "/value", Value: v})
	}
	if len(or.Args) == 1 {
		or = or.Args[0]
	}
	m.Where = &or
	return m, nil
}

// splitValuePath splits `emails[type eq "work"].value` into its attribute,
// filter and sub-attribute. A path without "[" is all attribute.
func splitValuePath(path string) (attr, filter, sub string, err error) {
	open := strings.IndexByte(path, '[')
	if open < 0 {
		return path, "", "", nil
	}
	end := strings.LastIndexByte(path, ']')
	if end < open {
		return "", "", "", update.Errorf(codePath, "%q: unbalanced [", clip(path))
	}
	attr, filter, rest := path[:open], path[open+1:end], path[end+1:]
	if rest != "" {
		if rest[0] != '.' || len(rest) == 1 {
			return "", "", "", update.Errorf(codePath, "%q: expected .subAttribute after ]", clip(path))
		}
		sub = rest[1:]
	}
	if strings.TrimSpace(filter) == "" {
		return "", "", "", update.Errorf(codePath, "%q: empty filter", clip(path))
	}
	return attr, filter, sub, nil
}

// canonicalElement canonicalizes one element (or a list of them) of a
// multi-valued attribute.
func canonicalElement(a *Attribute, v any) any {
	if obj, ok := v.(map[string]any); ok {
		return canonical(a.SubAttributes, coerceBools(a.SubAttributes, obj))
	}
	return v
}

// coerceBool reads "True"/"False" (any case) as a boolean for a boolean
// attribute: the Entra ID compatibility rule.
func coerceBool(a *Attribute, v any) any {
	if a.Type != typeBoolean {
		return v
	}
	if s, ok := v.(string); ok {
		switch strings.ToLower(s) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

// coerceBools applies coerceBool to the members of obj.
func coerceBools(attrs []Attribute, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if a, ok := find(attrs, k); ok {
			v = coerceBool(a, v)
		}
		out[k] = v
	}
	return out
}

// coerceRef reads a string given for a single-valued complex attribute
// with a value sub-attribute (the enterprise manager) as {"value": s}: the
// Entra ID compatibility rule for manager.
func coerceRef(a *Attribute, v any) any {
	s, ok := v.(string)
	if !ok || a.Type != typeComplex || a.MultiValued {
		return v
	}
	if _, has := find(a.SubAttributes, "value"); !has {
		return v
	}
	return map[string]any{"value": s}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
