package janrain

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// maxSegments bounds the depth of an attribute_name.
const maxSegments = 8

// Segment is one step of a Capture attribute path: an attribute name and,
// for a plural, optionally the id of one element ("statuses#5253").
type Segment struct {
	Name string
	// Element is the plural element id, or "" when the segment names the
	// whole attribute.
	Element string
}

// Path is a parsed Capture attribute_name. The empty Path is the root.
type Path []Segment

// ParsePath parses an attribute_name: "", "/" (the root), "displayName",
// "/primaryAddress/city", "/statuses#5253" or "/statuses#5253/status".
// Attribute names are letters, digits and '_'; element ids are positive
// integers. Anything else is an error.
func ParsePath(s string) (Path, error) {
	s = strings.TrimPrefix(s, "/")
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > maxSegments {
		return nil, fmt.Errorf("is deeper than %d attributes", maxSegments)
	}
	p := make(Path, 0, len(parts))
	for _, part := range parts {
		name, elem, hasElem := strings.Cut(part, "#")
		if !isName(name) {
			return nil, fmt.Errorf("has an invalid attribute name %q", name)
		}
		if hasElem && !isElementID(elem) {
			return nil, fmt.Errorf("has an invalid plural element id %q", elem)
		}
		p = append(p, Segment{Name: name, Element: elem})
	}
	return p, nil
}

func isName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isElementID(s string) bool {
	n, err := strconv.ParseUint(s, 10, 63)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == s
}

// String formats p as Capture writes it: "/statuses#5253/status"; the root
// is "/".
func (p Path) String() string {
	if len(p) == 0 {
		return "/"
	}
	return p.format(func(id string) string { return "#" + id })
}

// Schema returns the schema pointer of p: element ids become "*"
// ("/statuses/*/status").
func (p Path) Schema() string { return p.format(func(string) string { return "/*" }) }

// Pointer returns p as the engine's JSON Pointer, plural elements named
// by key selectors: "/statuses/[id=5253]/status". The engine finds the
// element inside the transaction that writes; the root is "".
func (p Path) Pointer() string {
	return p.format(func(id string) string { return "/[id=" + id + "]" })
}

// format writes p's attribute names, each after a '/', and after each
// element id what element makes of it.
func (p Path) format(element func(id string) string) string {
	var b strings.Builder
	for _, s := range p {
		b.WriteByte('/')
		b.WriteString(s.Name)
		if s.Element != "" {
			b.WriteString(element(s.Element))
		}
	}
	return b.String()
}

// split returns the Pointer of p up to its last plural element (the
// anchor, "" when p names none) and the attribute names after it.
func (p Path) split() (anchor string, rest []string) {
	last := -1
	for i, s := range p {
		if s.Element != "" {
			last = i
		}
	}
	for _, s := range p[last+1:] {
		rest = append(rest, s.Name)
	}
	return p[:last+1].Pointer(), rest
}

// plain reports whether p names no plural element anywhere.
func (p Path) plain() bool {
	for _, s := range p {
		if s.Element != "" {
			return false
		}
	}
	return true
}

// Element reports whether p ends at one plural element.
func (p Path) Element() bool { return len(p) > 0 && p[len(p)-1].Element != "" }

// Top returns the name of the top-level attribute p is in, or "" for the
// root.
func (p Path) Top() string {
	if len(p) == 0 {
		return ""
	}
	return p[0].Name
}

// errElementNotFound is returned by Resolve for an element id that the
// plural does not hold.
type errElementNotFound struct{ path string }

func (e *errElementNotFound) Error() string { return "no plural element " + e.path }

// Resolve turns p into a JSON Pointer into doc, replacing element ids by
// the index of the element that holds the id. It also returns the value
// at p and whether it exists. A missing intermediate object is not an
// error (the value is reported absent); an element id that does not exist
// is *errElementNotFound; stepping into a plural without an element id, or
// into a value that is not an object, is an error.
func (p Path) Resolve(doc map[string]any) (pointer string, value any, exists bool, err error) {
	var b strings.Builder
	var cur any = doc
	exists = true
	for i, s := range p {
		b.WriteByte('/')
		b.WriteString(s.Name)
		if !exists || cur == nil {
			exists = false
			if s.Element != "" {
				return "", nil, false, &errElementNotFound{path: p[:i+1].String()}
			}
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", nil, false, fmt.Errorf("steps into %s, which is not an object", p[:i].String())
		}
		cur, exists = obj[s.Name]
		if s.Element == "" {
			continue
		}
		arr, _ := cur.([]any)
		idx := elementIndex(arr, s.Element)
		if idx < 0 {
			return "", nil, false, &errElementNotFound{path: p[:i+1].String()}
		}
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(idx))
		cur = arr[idx]
	}
	if !exists {
		cur = nil
	}
	return b.String(), cur, exists, nil
}

// elementIndex returns the index of the element of arr whose "id" is id,
// or -1.
func elementIndex(arr []any, id string) int {
	for i, el := range arr {
		obj, ok := el.(map[string]any)
		if !ok {
			continue
		}
		if elementID(obj["id"]) == id {
			return i
		}
	}
	return -1
}

// elementID formats an element's id for comparison with a path's id.
func elementID(v any) string {
	switch n := v.(type) {
	case json.Number:
		return n.String()
	case int:
		return strconv.Itoa(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return ""
}
