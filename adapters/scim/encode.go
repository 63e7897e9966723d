package scim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// ETag returns the weak entity tag of a record version: W/"3".
func ETag(version uint64) string {
	var buf [24]byte // W/" 20 digits "
	b := strconv.AppendUint(append(buf[:0], `W/"`...), version, 10)
	return string(append(b, '"'))
}

// Meta is the meta attribute of RFC 7643 section 3.1.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
	Version      string `json:"version"`
}

// AppendJSON appends m as json.Marshal writes it, without reflection.
func (m Meta) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"resourceType":`...)
	dst = httpx.AppendString(dst, m.ResourceType)
	dst = append(dst, `,"created":`...)
	dst = httpx.AppendString(dst, m.Created)
	dst = append(dst, `,"lastModified":`...)
	dst = httpx.AppendString(dst, m.LastModified)
	dst = append(dst, `,"location":`...)
	dst = httpx.AppendString(dst, m.Location)
	dst = append(dst, `,"version":`...)
	dst = httpx.AppendString(dst, m.Version)
	return append(dst, '}'), nil
}

// EncodeResource returns the SCIM representation of v, a record of rt,
// with its location below base: schemas (the core schema and every
// extension the record holds), id, the document's attributes as
// projection p selects them, and meta. Attributes returned always (id,
// schemas, meta) are never left out; write-only ones never reach v.
func EncodeResource(rt *resourceType, v *update.View, base string, p Projection) map[string]any {
	out := make(map[string]any, len(v.Doc)+3)
	schemas := make([]string, 1, 2+len(rt.Extensions))
	schemas[0] = rt.Schema.ID
	all := p.keepsAll()
	for k, val := range v.Doc {
		if k == "id" || k == metaName {
			continue // written below, meta from the record itself
		}
		if x, ok := rt.extension(k); ok {
			if !all {
				val = project(p, []string{x.ID}, val)
			}
			if val != nil {
				out[k] = val
				schemas = append(schemas, x.ID)
			}
			continue
		}
		if !all {
			val = project(p, []string{k}, val)
		}
		if val != nil {
			out[k] = val
		}
	}
	if pending := encodePending(v); pending != nil {
		if m := project(p, []string{SchemaVerification}, pending); m != nil {
			out[SchemaVerification] = m
			schemas = append(schemas, SchemaVerification)
		}
	}
	out["schemas"] = schemas
	out["id"] = v.ID
	out["meta"] = resourceMeta(rt, v, base)
	return out
}

// resourceMeta is the meta attribute of v, a record of rt, with its
// location below base.
func resourceMeta(rt *resourceType, v *update.View, base string) Meta {
	return Meta{
		ResourceType: rt.Name,
		Created:      v.Created.UTC().Format(time.RFC3339Nano),
		LastModified: v.Updated.UTC().Format(time.RFC3339Nano),
		Location:     base + rt.Endpoint + "/" + v.ID,
		Version:      ETag(v.Version),
	}
}

// keepsAll reports whether p names no attribute, and so keeps every value.
func (p Projection) keepsAll() bool { return len(p.Include) == 0 && len(p.Exclude) == 0 }

// project returns the part of val, found at segs, that p keeps, or nil.
func project(p Projection, segs []string, val any) any {
	if p.keepsAll() {
		return val
	}
	ptr := pointer(segs)
	for _, x := range p.Exclude {
		if x == ptr {
			return nil
		}
	}
	if len(p.Include) == 0 {
		return pruneExcluded(p, segs, val)
	}
	for _, in := range p.Include {
		if in == ptr || strings.HasPrefix(ptr, in+"/") {
			return val // the whole attribute is asked for
		}
	}
	// Only some sub-attributes may be asked for.
	prefix := ptr + "/"
	var subs []string
	for _, in := range p.Include {
		if strings.HasPrefix(in, prefix) {
			subs = append(subs, strings.TrimPrefix(in, prefix))
		}
	}
	if len(subs) == 0 {
		return nil
	}
	keep := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if sub := project(p, append(segs[:len(segs):len(segs)], k), v); sub != nil {
				out[k] = sub
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	switch x := val.(type) {
	case map[string]any:
		if m := keep(x); m != nil {
			return m
		}
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if k := keep(m); k != nil {
					out = append(out, k)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// pruneExcluded drops excluded sub-attributes from val.
func pruneExcluded(p Projection, segs []string, val any) any {
	prefix := pointer(segs) + "/"
	found := false
	for _, x := range p.Exclude {
		if strings.HasPrefix(x, prefix) {
			found = true
		}
	}
	if !found {
		return val
	}
	drop := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if s := project(p, append(segs[:len(segs):len(segs)], k), v); s != nil {
				out[k] = s
			}
		}
		return out
	}
	switch x := val.(type) {
	case map[string]any:
		return drop(x)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, drop(m))
			} else {
				out = append(out, e)
			}
		}
		return out
	}
	return val
}

// ListResponse is the answer to a query (RFC 7644 section 3.4.2).
type ListResponse struct {
	Schemas      []string         `json:"schemas"`
	TotalResults int              `json:"totalResults"`
	ItemsPerPage int              `json:"itemsPerPage"`
	StartIndex   int              `json:"startIndex"`
	Resources    []map[string]any `json:"Resources"`
}

// EncodeList returns the ListResponse of a page: Resources is never
// null, so a query matching nothing answers totalResults 0 with an empty
// list.
func EncodeList(rt *resourceType, res *update.ListResult, q *ListQuery, base string) *ListResponse {
	out := &ListResponse{Schemas: []string{MessageList}, TotalResults: res.Total, StartIndex: q.Offset + 1,
		Resources: make([]map[string]any, 0, len(res.Views))}
	for _, v := range res.Views {
		out.Resources = append(out.Resources, EncodeResource(rt, v, base, q.Projection))
	}
	out.ItemsPerPage = len(out.Resources)
	return out
}

// supported is a feature flag of the ServiceProviderConfig.
type supported struct {
	Supported bool `json:"supported"`
}

// EncodeServiceProviderConfig returns the /ServiceProviderConfig answer
// (RFC 7643 section 5): what this service offers and its bounds.
func EncodeServiceProviderConfig(cfg Config, base string) map[string]any {
	return map[string]any{
		"schemas":          []string{schemaSPC},
		"documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
		"patch":            supported{true},
		"bulk":             map[string]any{"supported": true, "maxOperations": cfg.MaxBulkOperations, "maxPayloadSize": cfg.MaxBodyBytes},
		"filter":           map[string]any{"supported": true, "maxResults": cfg.MaxResults},
		"changePassword":   supported{true},
		"sort":             supported{true},
		"etag":             supported{true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A bearer token per client, given in the Authorization header.",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// EncodeSchema returns one /Schemas entry.
func EncodeSchema(s SchemaDef, base string) map[string]any {
	return map[string]any{
		"schemas":     []string{schemaSchema},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  s.Attributes,
		"meta":        map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + s.ID},
	}
}

// EncodeResourceType returns one /ResourceTypes entry.
func EncodeResourceType(rt *resourceType, base string) map[string]any {
	exts := make([]map[string]any, 0, len(rt.Extensions))
	for _, x := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": x.ID, "required": false})
	}
	return map[string]any{
		"schemas":          []string{schemaResourceType},
		"id":               rt.Name,
		"name":             rt.Name,
		"endpoint":         rt.Endpoint,
		"schema":           rt.Schema.ID,
		"schemaExtensions": exts,
		"meta":             map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.Name},
	}
}

// encodeDiscoveryList wraps discovery entries in a ListResponse.
func encodeDiscoveryList(items []map[string]any) *ListResponse {
	return &ListResponse{Schemas: []string{MessageList}, TotalResults: len(items), ItemsPerPage: len(items), StartIndex: 1, Resources: items}
}

// encodeAnswer returns what an answer holding one resource writes:
// EncodeResource's map, or, when p selects everything and the record has
// nothing pending, a resourceAnswer, which appends the same bytes without
// building the map.
func encodeAnswer(rt *resourceType, v *update.View, base string, p Projection) any {
	if p.keepsAll() && len(v.Pending) == 0 {
		return &resourceAnswer{rt: rt, v: v, base: base}
	}
	return EncodeResource(rt, v, base, p)
}

// resourceAnswer is EncodeResource without a projection for a record
// with nothing pending, written as an httpx.Appender.
type resourceAnswer struct {
	rt   *resourceType
	v    *update.View
	base string
}

// AppendJSON appends the answer as json.Marshal writes EncodeResource's
// map: members sorted by name, the document's own (but id, meta and
// schemas, which EncodeResource writes itself) beside schemas, id and
// meta.
func (a *resourceAnswer) AppendJSON(dst []byte) ([]byte, error) {
	var stack [40]string
	names := stack[:0]
	schemas := make([]string, 1, 1+len(a.rt.Extensions))
	schemas[0] = a.rt.Schema.ID
	for k, val := range a.v.Doc {
		if k == "id" || k == metaName || k == "schemas" || val == nil {
			continue
		}
		if x, ok := a.rt.extension(k); ok {
			schemas = append(schemas, x.ID)
		}
		names = append(names, k)
	}
	names = append(names, "schemas", "id", metaName)
	slices.Sort(names)
	slices.Sort(schemas[1:]) // one order for the extensions, whatever the map's
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(httpx.AppendString(dst, k), ':')
		switch k {
		case "schemas":
			dst = httpx.AppendStrings(dst, schemas)
		case "id":
			dst = httpx.AppendString(dst, a.v.ID)
		case metaName:
			dst, _ = resourceMeta(a.rt, a.v, a.base).AppendJSON(dst)
		default:
			var err error
			if dst, err = httpx.AppendJSON(dst, a.v.Doc[k]); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}
