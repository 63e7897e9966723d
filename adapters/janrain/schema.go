package janrain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/idupdate/idupdate/update"
)

// Schema is what the handler knows of the profile: the Capture type names
// and the attributes of the user type. It is built from the Policy, so the
// profile stays the one source of the attribute list.
type Schema struct {
	types  map[string]string
	fields map[string]*update.Field
	// children maps a schema pointer ("" for the root) to the names of
	// the attributes declared directly below it, sorted.
	children map[string][]string
}

// NewSchema returns the schema of the user type in p.
func NewSchema(p *update.Policy) (*Schema, error) {
	st, ok := p.Types[EntityType]
	if !ok {
		return nil, fmt.Errorf("janrain: policy has no type %q", EntityType)
	}
	s := &Schema{types: captureTypes(), fields: st.Fields, children: map[string][]string{}}
	for ptr := range st.Fields {
		i := strings.LastIndexByte(ptr, '/')
		parent, name := ptr[:i], ptr[i+1:]
		if name == "*" || reserved(name) && parent == "" {
			continue
		}
		s.children[parent] = append(s.children[parent], name)
	}
	for _, names := range s.children {
		sort.Strings(names)
	}
	return s, nil
}

// checkPath refuses an attribute path the schema does not declare (223),
// an element id on an attribute that is not a plural, and a step into a
// plural without an element id.
func (s *Schema) checkPath(p Path) error {
	ptr := ""
	for i, seg := range p {
		ptr += "/" + seg.Name
		f, ok := s.fields[ptr]
		if !ok {
			return newArgError(update.Invalid, update.RuleUnknown, "attribute_name", "unknown attribute "+p[:i+1].String())
		}
		switch {
		case seg.Element != "" && f.Plural == nil:
			return newArgError(update.Malformed, "", "attribute_name", p[:i+1].Schema()+" is not a plural")
		case seg.Element == "" && f.Plural != nil && i < len(p)-1:
			return newArgError(update.Malformed, "", "attribute_name", "name the element of "+seg.Name+" with "+seg.Name+"#id")
		}
		if seg.Element != "" {
			ptr += "/*"
		}
	}
	return nil
}

// field returns the rule at a schema pointer.
func (s *Schema) field(ptr string) *update.Field { return s.fields[ptr] }

// fill returns a copy of obj (the object at schema pointer at) in which
// every declared attribute is present, as Capture shows records: absent
// plurals as [], absent objects as objects of nulls, other absent
// attributes as null. Members present are kept; objects are filled
// recursively, plural elements are not.
func (s *Schema) fill(at string, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj)+len(s.children[at]))
	for k, v := range obj {
		out[k] = v
	}
	for _, name := range s.children[at] {
		ptr := at + "/" + name
		f := s.fields[ptr]
		v, present := out[name]
		switch {
		case f.Plural != nil:
			if !present || v == nil {
				out[name] = []any{}
			}
		case f.Type == update.TypeObject:
			sub, _ := v.(map[string]any)
			if present && v != nil && sub == nil {
				continue
			}
			out[name] = s.fill(ptr, sub)
		case !present:
			out[name] = nil
		}
	}
	return out
}
