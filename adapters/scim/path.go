package scim

import (
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"

	"github.com/idupdate/idupdate/update"
)

// attrPath is a resolved SCIM attribute path (RFC 7644 section 3.10):
// the attribute it names, where that attribute lives in the stored
// document, and, for a sub-attribute of a multi-valued attribute, the
// plural it is an element member of.
type attrPath struct {
	// Segs are the pointer segments of the attribute: ["name",
	// "givenName"], [SchemaEnterprise, "department"]. For a sub-attribute
	// of a multi-valued attribute they stop at the plural.
	Segs []string
	// Attr is the attribute named (the sub-attribute when one is named).
	Attr *Attribute
	// Plural is set when the path goes through a multi-valued attribute;
	// Sub is then the sub-attribute below it ("" for the plural itself).
	Plural *Attribute
	Sub    string
	// Shown is the canonical spelling, for messages.
	Shown string
}

// pointerEscaper escapes a pointer segment (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer returns the JSON Pointer of p's segments.
func pointer(segs []string) string {
	if len(segs) == 1 && !strings.ContainsAny(segs[0], "~/") {
		return "/" + segs[0]
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(s))
	}
	return b.String()
}

// errPath is what resolve returns for a path no schema declares.
func errPath(code update.Code, path string) error {
	return update.Errorf(code, "%q names no attribute of this resource", clip(path))
}

// resolve resolves a SCIM attribute path of rt: "userName",
// "name.givenName", "emails.value", a URN-prefixed path
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
// or the core schema's own URN). Names compare without regard to case.
// An unknown attribute is code (the caller's invalidPath or invalidFilter).
func (rt *resourceType) resolve(path string, code update.Code) (*attrPath, error) {
	rest, ext := path, (*SchemaDef)(nil)
	if strings.HasPrefix(strings.ToLower(path), "urn:") {
		i := strings.LastIndexByte(path, ':')
		urn := path[:i]
		rest = path[i+1:]
		if !strings.EqualFold(urn, rt.Schema.ID) { // the core schema may be spelled out
			x, ok := rt.extension(urn)
			if !ok {
				return nil, errPath(code, path)
			}
			ext = x
		}
	}
	name, subName, hasSub := strings.Cut(rest, ".")
	if name == "" || (hasSub && (subName == "" || strings.Contains(subName, "."))) {
		return nil, errPath(code, path)
	}
	var a *Attribute
	var ok bool
	var segs []string
	if ext != nil {
		a, ok = find(ext.Attributes, name)
		segs = []string{ext.ID}
	} else {
		a, ok = rt.top(name)
	}
	if !ok {
		return nil, errPath(code, path)
	}
	segs = append(segs, a.Name)
	out := &attrPath{Segs: segs, Attr: a, Shown: a.Name}
	if a.MultiValued {
		out.Plural = a
	}
	if !hasSub {
		return out, nil
	}
	s, ok := find(a.SubAttributes, subName)
	if !ok {
		return nil, errPath(code, path)
	}
	out.Attr, out.Shown = s, a.Name+"."+s.Name
	if a.MultiValued {
		out.Sub = s.Name
	} else {
		out.Segs = append(out.Segs, s.Name)
	}
	return out, nil
}

// clip bounds what a message repeats of a client's text.
func clip(s string) string { return httpx.Clip(s, httpx.MaxNameEcho) }
