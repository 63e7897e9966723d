package scim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// The query parameters each kind of endpoint takes; any other is refused.
var (
	paramsRead = []string{"attributes", "excludedAttributes"}
	paramsList = []string{"filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes"}
)

// DecodeParams refuses a query string that is badly escaped or names a
// parameter not in known (invalidValue, naming it).
func DecodeParams(raw string, known ...string) (url.Values, error) {
	if raw == "" {
		return nil, nil // no parameters: nothing to parse or refuse
	}
	q, err := httpx.ParseQuery(raw)
	if err != nil {
		return nil, err
	}
	if name, ok := httpx.Unknown(q, known...); ok {
		return nil, update.Errorf(codeValue, "unknown parameter %q", name)
	}
	for name, vs := range q {
		if len(vs) > 1 {
			return nil, update.Errorf(codeValue, "parameter %q given more than once", name)
		}
	}
	return q, nil
}

// DecodeResource decodes the body of a POST or PUT of rt's resource into
// the document the engine stores: attribute names in their schema's
// spelling (clients may write them in any case, RFC 7643 section 2.1),
// extension attributes under their schema's URN, and id, meta and
// schemas and other read-only attributes left out (ignored, as RFC 7643
// section 2.2 asks; the
// schemas are checked: the core schema must be listed, and every schema
// listed must be rt's). A password stays in the document, where the
// engine takes it as a secret.
func DecodeResource(rt *resourceType, body []byte) (map[string]any, error) {
	var raw map[string]any
	if err := httpx.DecodeStrict(body, &raw); err != nil || raw == nil {
		return nil, update.Errorf(codeSyntax, "the body is not a JSON object")
	}
	schemas, err := decodeSchemas(rt, raw)
	if err != nil {
		return nil, err
	}
	doc := make(map[string]any, len(raw))
	for k, v := range raw {
		switch {
		case strings.EqualFold(k, "schemas"), strings.EqualFold(k, "id"), strings.EqualFold(k, "meta"):
			continue
		case strings.HasPrefix(strings.ToLower(k), "urn:"):
			x, ok := rt.extension(k)
			if !ok {
				return nil, update.Errorf(codeSyntax, "%q is no schema of %s", clip(k), rt.Name)
			}
			if !slices.Contains(schemas, x.ID) {
				return nil, update.Errorf(codeSyntax, "extension %q is not listed in schemas", x.ID)
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, update.Errorf(codeValue, "extension %q is not an object", x.ID)
			}
			doc[x.ID] = dropReadOnly(x.Attributes, canonical(x.Attributes, obj))
		default:
			if a, ok := rt.top(k); ok {
				if a.Mutability == mutReadOnly {
					continue // ignored, RFC 7643 section 2.2 (Okta sends "groups": [])
				}
				doc[a.Name] = dropReadOnlyValue(a, canonicalValue(a, v))
			} else {
				doc[k] = v // the engine refuses it as unknown, naming it
			}
		}
	}
	return doc, nil
}

// decodeSchemas checks the schemas member and returns the URNs in
// their declared spelling.
func decodeSchemas(rt *resourceType, raw map[string]any) ([]string, error) {
	var list []any
	for k, v := range raw {
		if strings.EqualFold(k, "schemas") {
			list, _ = v.([]any)
		}
	}
	if len(list) == 0 {
		return nil, update.Errorf(codeSyntax, "schemas is missing or empty")
	}
	var out []string
	for _, s := range list {
		urn, _ := s.(string)
		switch {
		case strings.EqualFold(urn, rt.Schema.ID):
			out = append(out, rt.Schema.ID)
		default:
			x, ok := rt.extension(urn)
			if !ok {
				return nil, update.Errorf(codeSyntax, "schema %q is not a schema of %s", clip(urn), rt.Name)
			}
			out = append(out, x.ID)
		}
	}
	if !slices.Contains(out, rt.Schema.ID) {
		return nil, update.Errorf(codeSyntax, "schemas must list %s", rt.Schema.ID)
	}
	return out, nil
}

// canonical returns obj with the names of attrs in their declared
// spelling; names attrs lacks stay as sent (and are refused by the
// engine as unknown). Members set to null are left out: null is
// unassigned (RFC 7643 section 2.5), and Entra ID sends "$ref": null.
func canonical(attrs []Attribute, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if v == nil {
			continue
		}
		if a, ok := find(attrs, k); ok {
			out[a.Name] = canonicalValue(a, v)
		} else {
			out[k] = v
		}
	}
	return out
}

// canonicalValue canonicalizes the names inside a complex value or the
// elements of a multi-valued complex one.
func canonicalValue(a *Attribute, v any) any {
	if a.Type != typeComplex {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		return canonical(a.SubAttributes, x)
	case []any:
		if !a.MultiValued {
			return v
		}
		out := make([]any, len(x))
		for i, e := range x {
			if m, ok := e.(map[string]any); ok {
				out[i] = canonical(a.SubAttributes, m)
			} else {
				out[i] = e
			}
		}
		return out
	}
	return v
}

// dropReadOnly leaves out the read-only attributes of obj (and of its
// complex values), which a client's resource may carry and which are
// ignored.
func dropReadOnly(attrs []Attribute, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		a, ok := find(attrs, k)
		if ok && a.Mutability == mutReadOnly {
			continue
		}
		if ok {
			v = dropReadOnlyValue(a, v)
		}
		out[k] = v
	}
	return out
}

func dropReadOnlyValue(a *Attribute, v any) any {
	if a.Type != typeComplex {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		return dropReadOnly(a.SubAttributes, x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if m, ok := e.(map[string]any); ok {
				e = dropReadOnly(a.SubAttributes, m)
			}
			out[i] = e
		}
		return out
	}
	return v
}

// ListQuery is a decoded query of GET on a resource endpoint or of POST
// .search.
type ListQuery struct {
	Filter *storage.Filter
	Sort   *storage.Sort
	// Offset is startIndex-1; Count is the page size after the server's
	// bound. CountOnly is set for count=0: only totalResults is wanted.
	Offset, Count int
	CountOnly     bool
	Projection    Projection
}

// SearchRequest is the body of POST .search (RFC 7644 section 3.4.3).
type SearchRequest struct {
	Schemas            []string `json:"schemas"`
	Attributes         []string `json:"attributes,omitempty"`
	ExcludedAttributes []string `json:"excludedAttributes,omitempty"`
	Filter             string   `json:"filter,omitempty"`
	SortBy             string   `json:"sortBy,omitempty"`
	SortOrder          string   `json:"sortOrder,omitempty"`
	StartIndex         *int     `json:"startIndex,omitempty"`
	Count              *int     `json:"count,omitempty"`
}

// DecodeList decodes the query parameters of GET /Users or /Groups.
func DecodeList(rt *resourceType, q url.Values, cfg Config) (*ListQuery, error) {
	sr := SearchRequest{Filter: q.Get("filter"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder")}
	if _, ok := q["filter"]; ok && sr.Filter == "" {
		return nil, filterError("empty")
	}
	for name, dst := range map[string]**int{"startIndex": &sr.StartIndex, "count": &sr.Count} {
		if s, ok := q[name]; ok {
			n, err := strconv.Atoi(s[0])
			if err != nil {
				return nil, update.Errorf(codeValue, "%s is not an integer", name)
			}
			*dst = &n
		}
	}
	sr.Attributes, sr.ExcludedAttributes = splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes"))
	return decodeQuery(rt, sr, cfg)
}

// DecodeSearch decodes the body of POST /Users/.search or /Groups/.search.
func DecodeSearch(rt *resourceType, body []byte, cfg Config) (*ListQuery, error) {
	sr, err := decodeSearchRequest(body)
	if err != nil {
		return nil, err
	}
	return decodeQuery(rt, sr, cfg)
}

// decodeSearchRequest decodes a SearchRequest body, strictly.
func decodeSearchRequest(body []byte) (SearchRequest, error) {
	var sr SearchRequest
	if err := httpx.DecodeStrict(body, &sr); err != nil {
		return sr, update.Errorf(codeSyntax, "the body is not a SearchRequest: %s", clip(err.Error()))
	}
	if !slices.Equal(sr.Schemas, []string{MessageSearch}) {
		return sr, update.Errorf(codeSyntax, "schemas must be [%q]", MessageSearch)
	}
	return sr, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// decodeQuery checks the parts of a query. startIndex below 1 counts as
// 1 and count below 0 as 0 (RFC 7644 section 3.4.2.4); a count above
// cfg.MaxResults is lowered to it, and the page says so in itemsPerPage.
func decodeQuery(rt *resourceType, sr SearchRequest, cfg Config) (*ListQuery, error) {
	lq := &ListQuery{Count: cfg.MaxResults}
	if sr.Filter != "" {
		n, err := parseFilter(sr.Filter, cfg.MaxFilterBytes)
		if err != nil {
			return nil, err
		}
		if lq.Filter, err = rt.storageFilter(n); err != nil {
			return nil, err
		}
	}
	if sr.SortBy != "" {
		p, err := rt.resolve(sr.SortBy, codePath)
		if err != nil {
			return nil, err
		}
		if p.Plural != nil || p.Attr.Type == typeComplex {
			return nil, update.Errorf(codeValue, "sortBy %q is not a single-valued simple attribute", p.Shown)
		}
		lq.Sort = &storage.Sort{Path: pointer(p.Segs)}
	}
	switch strings.ToLower(sr.SortOrder) {
	case "", "ascending":
	case "descending":
		if lq.Sort == nil {
			lq.Sort = &storage.Sort{Path: "/id"}
		}
		lq.Sort.Desc = true
	default:
		return nil, update.Errorf(codeValue, "sortOrder must be ascending or descending")
	}
	if sr.StartIndex != nil && *sr.StartIndex > 1 {
		if *sr.StartIndex-1 > storage.MaxOffset {
			return nil, update.Errorf(codeValue, "startIndex is above %d", storage.MaxOffset+1)
		}
		lq.Offset = *sr.StartIndex - 1
	}
	if sr.Count != nil {
		lq.Count = min(max(*sr.Count, 0), cfg.MaxResults)
		lq.CountOnly = lq.Count == 0
	}
	var err error
	if lq.Projection, err = decodeProjection(rt, sr.Attributes, sr.ExcludedAttributes); err != nil {
		return nil, err
	}
	return lq, nil
}

// Projection is what attributes and excludedAttributes ask of an answer
// (RFC 7644 section 3.9): Include, when set, lists the only attributes
// returned besides those returned always; Exclude lists attributes left
// out. Entries are pointers of attributes ("/name", "/name/givenName",
// "/emails").
type Projection struct {
	Include []string
	Exclude []string
}

// DecodeProjection decodes the attributes and excludedAttributes
// parameters of a single-resource endpoint.
func DecodeProjection(rt *resourceType, q url.Values) (Projection, error) {
	return decodeProjection(rt, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")))
}

func decodeProjection(rt *resourceType, include, exclude []string) (Projection, error) {
	var p Projection
	if len(include) > 0 && len(exclude) > 0 {
		return p, update.Errorf(codeValue, "attributes and excludedAttributes exclude each other")
	}
	for _, l := range []struct {
		in  []string
		out *[]string
	}{{include, &p.Include}, {exclude, &p.Exclude}} {
		if len(l.in) > 64 {
			return p, update.Errorf(codeValue, "more than 64 attributes named")
		}
		for _, s := range l.in {
			ap, err := rt.resolve(strings.TrimSpace(s), codePath)
			if err != nil {
				return p, err
			}
			segs := ap.Segs
			if ap.Sub != "" {
				segs = append(append([]string(nil), segs...), ap.Sub)
			}
			*l.out = append(*l.out, pointer(segs))
		}
	}
	return p, nil
}

// DecodeIfMatch reads an If-Match header (RFC 9110 section 13.1.1) as the
// engine precondition it stands for: "*" and an absent header set none; a
// list of entity tags must name one version of this service's form
// (W/"3"), which the record must hold. A list naming none of our tags can
// match no record: precondition failed.
func DecodeIfMatch(h string) (update.Expect, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return update.Expect{}, nil
	}
	for _, tag := range strings.Split(h, ",") {
		if v, ok := parseETag(strings.TrimSpace(tag)); ok {
			return update.Expect{Version: &v}, nil
		}
	}
	return update.Expect{}, update.Errorf(codePrecondition, "If-Match names no version of this resource")
}

// parseETag reads W/"3" or "3".
func parseETag(tag string) (uint64, bool) {
	tag = strings.TrimPrefix(tag, "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseUint(tag[1:len(tag)-1], 10, 64)
	return v, err == nil && v > 0
}
