package scim

import (
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/update"
)

// rootPart is the query of one resource type within a search at the
// service root.
type rootPart struct {
	rt *resourceType
	lq *ListQuery
}

// DecodeRootSearch decodes the body of POST /.search (RFC 7644 section
// 3.4.3), a search across every resource type. The filter and the
// attributes are decoded for each type: an attribute a type does not
// define leaves the type out of the results (its resources cannot match
// a filter on it) and out of its projection; a filter or attribute no
// type defines is the error it would be on a resource endpoint. sortBy is
// refused (400 invalidValue): resources of different types share no sort
// attribute the store could order them by.
func (h *Handler) decodeRootSearch(body []byte) ([]rootPart, error) {
	sr, err := decodeSearchRequest(body)
	if err != nil {
		return nil, err
	}
	if sr.SortBy != "" {
		return nil, update.Errorf(codeValue, "sortBy is not supported at the root: resources of different types are ordered by type")
	}
	if sr.Filter != "" {
		if _, err := parseFilter(sr.Filter, h.cfg.MaxFilterBytes); err != nil {
			return nil, err
		}
	}
	var (
		parts    []rootPart
		firstErr error
	)
	named := map[string]bool{} // attributes some type defines
	for _, rt := range h.resources {
		one := sr
		one.Attributes = h.definedBy(rt, sr.Attributes, named)
		one.ExcludedAttributes = h.definedBy(rt, sr.ExcludedAttributes, named)
		if len(sr.Attributes) > 0 && len(one.Attributes) == 0 {
			// None of the attributes asked for is this type's: its
			// resources would show only what is returned always.
			one.Attributes = []string{"id"}
		}
		lq, err := decodeQuery(rt, one, h.cfg)
		if err != nil {
			if update.ErrorCode(err) != codeFilter {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue // the filter names an attribute this type lacks
		}
		parts = append(parts, rootPart{rt: rt, lq: lq})
	}
	for _, a := range append(append([]string(nil), sr.Attributes...), sr.ExcludedAttributes...) {
		if !named[strings.TrimSpace(a)] {
			return nil, errPath(codePath, a)
		}
	}
	if len(parts) == 0 {
		return nil, firstErr
	}
	return parts, nil
}

// definedBy returns the attribute names of list that rt defines, noting
// each in named.
func (h *Handler) definedBy(rt *resourceType, list []string, named map[string]bool) []string {
	var out []string
	for _, a := range list {
		if _, err := rt.resolve(strings.TrimSpace(a), codePath); err == nil {
			out = append(out, a)
			named[strings.TrimSpace(a)] = true
		}
	}
	return out
}

// rootSearch serves POST /.search: the resources of every type that
// match, in the order of the resource types (Users, then Groups), each
// type's in the store's order, paged across them by startIndex and count.
// Each type is queried by the engine as its own endpoint would be.
func (h *Handler) rootSearch(w http.ResponseWriter, r *http.Request, c Client) {
	body, ok := h.message(w, r, OpSearch)
	if !ok {
		return
	}
	parts, err := h.decodeRootSearch(body)
	if err != nil {
		h.fail(w, r, OpSearch, err)
		return
	}
	first := parts[0].lq
	out := &ListResponse{Schemas: []string{MessageList}, StartIndex: first.Offset + 1, Resources: []map[string]any{}}
	skip, room := first.Offset, first.Count
	base := h.base(r)
	for _, p := range parts {
		req := update.ListRequest{Type: p.rt.Entity, Client: c.ID, Filter: p.lq.Filter, Limit: room, Offset: skip, Total: true}
		if room == 0 {
			req.Limit, req.Offset = 1, 0 // the total only
		}
		res, err := h.eng.List(r.Context(), req)
		if err != nil {
			h.fail(w, r, OpSearch, err)
			return
		}
		out.TotalResults += res.Total
		skip = max(0, skip-res.Total)
		if room == 0 {
			continue
		}
		for _, v := range res.Views {
			out.Resources = append(out.Resources, EncodeResource(p.rt, v, base, p.lq.Projection))
		}
		room -= len(res.Views)
	}
	out.ItemsPerPage = len(out.Resources)
	h.write(w, r, http.StatusOK, out)
}
