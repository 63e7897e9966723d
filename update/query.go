package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// Queryable says how clients may use a field in filters and sorts. Only
// fields that have one may appear in a filter or sort; write-only and
// secret fields never may, whatever their Queryable says, because clients
// cannot read them (and could otherwise learn them through counts).
type Queryable struct {
	// CaseExact compares strings exactly. By default strings compare under
	// simple case folding (storage.Filter.Fold).
	CaseExact bool `json:"caseExact,omitempty"`
	// DateTime compares string values as RFC 3339 date-times: a filter
	// value must then be one (or a time.Time). Sorting still orders the
	// strings, which agrees with time order when all are written in one
	// offset with one number of fraction digits.
	DateTime bool `json:"dateTime,omitempty"`
	// Indexed makes eq on the field an index lookup instead of a scan:
	// the store keeps an index term of each of its values (folded unless
	// CaseExact), written with the record, and a top-level eq — or one
	// inside any, for a field of the elements of a plural — starts from
	// it. It costs one index row per value on every write. Unique fields
	// compared case-insensitively are indexed this way without it, and
	// case-exact ones through their unique key. Not allowed with
	// DateTime. Records stored before the field was indexed get their
	// terms on their next write, or all at once from Engine.Rekey; until
	// every record has them (Rekey ran, or the type was empty when the
	// engine first used it), eq is answered by a scan, so no record is
	// missed.
	Indexed bool `json:"indexed,omitempty"`
}

// ListRequest asks for a page of records.
type ListRequest struct {
	Type   string
	Client string
	// Filter selects records; nil selects all. Its paths are field paths
	// of the schema (inside Any, relative to the element). Fold, Key and Term are
	// set by the engine from the policy: what the caller sets there is
	// ignored. A string value of an Eq or Ne term is normalized and
	// prepared as the field's Normalize and Identifier write values.
	Filter *storage.Filter
	// Sort orders the page; nil orders by ID. Fold is set from the policy.
	Sort *storage.Sort
	// Limit, After, Offset and Total are as in storage.Query, with its
	// defaults and bounds.
	Limit  int
	After  string
	Offset int
	Total  bool
	// Tenant, when set, lists only that tenant's records (types with a
	// Schema.Tenant). A grant limited to tenants lists only its tenants
	// in any case; a Tenant outside them lists nothing. The engine adds
	// the tenant terms to Filter (within its top-level And, if it has one),
	// and they count against storage's bounds on a filter.
	Tenant string
}

// ListResult is one page of views.
type ListResult struct {
	// Views are the records as Get shows them.
	Views []*View
	// Next is the cursor of the next page, empty on the last.
	Next string
	// Total is the number of matches when asked for, else -1.
	Total int
}

// CountRequest asks how many records match a filter.
type CountRequest struct {
	Type   string
	Client string
	Filter *storage.Filter // as in ListRequest
	Tenant string          // as in ListRequest
}

// List returns a page of the type's records matching req.Filter, each
// redacted as Get redacts it. The client needs a grant (any grant); a grant
// with a Subject sees at most its own record, and one with Tenants only
// the records of those tenants. Returns Malformed for a bad
// filter, sort, cursor or page (FieldError.Rule RuleQuery names the path
// and what is wrong), Forbidden, NotFound for an unknown type, and
// Internal when the store cannot list.
func (e *Engine) List(ctx context.Context, req ListRequest) (*ListResult, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(Grant) bool { return true })
	if err != nil {
		return nil, err
	}
	g, err = g.inTenant(s, req.Tenant)
	outside := ErrorCode(err) == NotFound // a tenant outside the grant: nothing to see
	if err != nil && !outside {
		return nil, err
	}
	q := storage.Query{Type: req.Type, Limit: req.Limit, After: req.After, Offset: req.Offset, Total: req.Total}
	if q.Filter, err = s.queryFilter(req.Filter, g.tenant()); err != nil {
		return nil, err
	}
	q.Filter = s.tenantFilter(g, q.Filter)
	if !e.termsUsable(ctx, s) {
		stripTerms(q.Filter)
	}
	if q.Sort, err = s.querySort(req.Sort); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, queryError(err)
	}
	if outside {
		out := &ListResult{Total: -1}
		if req.Total {
			out.Total = 0
		}
		return out, nil
	}
	if g.Subject != "" {
		return e.listSubject(ctx, s, g.Subject, q)
	}
	qs, ok := e.store.(storage.Querier)
	if !ok {
		return nil, &Error{Code: Internal, Message: "the store cannot list records"}
	}
	page, err := qs.List(ctx, q)
	if err != nil {
		return nil, e.listError(err)
	}
	out := &ListResult{Next: page.Next, Total: page.Total, Views: make([]*View, len(page.Records))}
	for i, rec := range page.Records {
		out.Views[i] = s.view(rec)
	}
	return out, nil
}

// Count returns how many of the type's records match req.Filter, under the
// rules of List.
func (e *Engine) Count(ctx context.Context, req CountRequest) (int, error) {
	res, err := e.List(ctx, ListRequest{Type: req.Type, Client: req.Client, Filter: req.Filter, Tenant: req.Tenant, Limit: 1, Total: true})
	if err != nil {
		return 0, err
	}
	return res.Total, nil
}

// listSubject answers a client bound to one record: that record if it
// matches, on a single page.
func (e *Engine) listSubject(ctx context.Context, s *schema, subject string, q storage.Query) (*ListResult, error) {
	out := &ListResult{Total: -1}
	if _, err := q.DecodeCursor(); err != nil {
		return nil, queryError(err)
	}
	rec, err := e.store.Get(ctx, q.Type, subject)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, e.storeError(err)
	}
	matched := err == nil && q.Filter.Match(rec)
	if q.Total {
		out.Total = 0
		if matched {
			out.Total = 1
		}
	}
	if matched && q.After == "" && q.Offset == 0 {
		out.Views = []*View{s.view(rec)}
	}
	return out, nil
}

// RuleQuery is the FieldError.Rule of a filter, sort or page the engine
// refuses.
const RuleQuery = "query"

func queryError(err error) error {
	var qe *storage.QueryError
	if errors.As(err, &qe) {
		return &Error{Code: Malformed, Message: qe.Error(), Err: err,
			Fields: []FieldError{{Path: qe.Path, Rule: RuleQuery, Param: qe.Field, Message: qe.Reason}}}
	}
	return &Error{Code: Malformed, Message: err.Error(), Err: err}
}

func (e *Engine) listError(err error) error {
	if errors.Is(err, storage.ErrBadQuery) {
		return queryError(err)
	}
	return e.storeError(err)
}

func refuse(path, format string, args ...any) error {
	return queryError(&storage.QueryError{Field: "filter", Path: path, Reason: fmt.Sprintf(format, args...)})
}

// queryable returns the rule of a path clients may filter or sort on.
func (s *schema) queryable(segs []string, shown string) (*rule, error) {
	r := s.ruleAt(segs)
	if r == nil || r.f.Query == nil || r.f.Secret != nil || r.f.Mutability == WriteOnly {
		return nil, refuse(shown, "no attribute that can be filtered or sorted")
	}
	return r, nil
}

// queryFilter checks f against the schema and returns a copy with Fold,
// Key, normalized and typed values set from the policy. tenant is the one
// tenant the listing is limited to, or "": keys unique per tenant are
// known only within one.
func (s *schema) queryFilter(f *storage.Filter, tenant string) (*storage.Filter, error) {
	if f == nil {
		return nil, nil
	}
	if err := f.Validate(); err != nil {
		return nil, queryError(err)
	}
	out, err := s.queryTerm(f, nil, tenant, true)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *schema) queryTerm(f *storage.Filter, prefix []string, tenant string, top bool) (storage.Filter, error) {
	out := storage.Filter{Op: f.Op, Path: f.Path, Value: f.Value}
	segs := append(append([]string(nil), prefix...), storage.PointerSegments(f.Path)...)
	shown := pointer(segs)
	switch f.Op {
	case storage.And, storage.Or, storage.Not:
		out.Args = make([]storage.Filter, len(f.Args))
		for i := range f.Args {
			var err error
			if out.Args[i], err = s.queryTerm(&f.Args[i], prefix, tenant, top); err != nil {
				return out, err
			}
		}
		return out, nil
	case storage.Any:
		r := s.ruleAt(segs)
		if r == nil || r.f.Secret != nil || r.f.Mutability == WriteOnly || (r.f.Plural == nil && r.f.Type != TypeArray) {
			return out, refuse(shown, "no plural attribute that can be filtered")
		}
		sub, err := s.queryTerm(&f.Args[0], append(segs, "*"), tenant, false)
		if err != nil {
			return out, err
		}
		out.Args = []storage.Filter{sub}
		return out, nil
	}
	r, err := s.queryable(segs, shown)
	if err != nil {
		return out, err
	}
	if out.Value, err = queryValue(r, f.Op, f.Value, shown); err != nil {
		return out, err
	}
	str, isString := out.Value.(string)
	out.Fold = isString && !r.f.Query.CaseExact
	if f.Op == storage.Eq {
		// Every record whose value equals holds the value's index term.
		out.Term = termHint(r, out.Value)
	}
	if top && !r.wildcard && r.f.Unique && f.Op == storage.Eq && isString && !out.Fold {
		// Every record whose value equals holds that value's key, so the
		// store may start from its key index. A key unique per tenant is
		// known only when the listing is limited to one tenant.
		if k, err := r.uniqueKey(str); err == nil && (tenant != "" || !s.perTenant(r)) {
			key := s.keyFor(r, tenant, k)
			out.Key = &key
		}
	}
	return out, nil
}

// queryValue checks a filter value against the field's type and
// normalizes it.
func queryValue(r *rule, op storage.Op, v any, shown string) (any, error) {
	if v == nil || op == storage.Pr {
		return v, nil
	}
	q := r.f.Query
	if q.DateTime {
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if op == storage.Co || op == storage.Sw || op == storage.Ew {
				return x, nil
			}
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return nil, refuse(shown, "value %q is not an RFC 3339 date-time", x)
			}
			return t, nil
		}
		return nil, refuse(shown, "value of type %T for a date-time attribute", v)
	}
	want := map[JSONType]string{TypeString: "string", TypeNumber: "number", TypeInteger: "number", TypeBoolean: "boolean"}[r.f.Type]
	got := ""
	switch v.(type) {
	case string:
		got = "string"
	case json.Number:
		got = "number"
	case bool:
		got = "boolean"
	case time.Time:
		return nil, refuse(shown, "a date-time value for an attribute that holds no date-times")
	}
	if want != "" && got != want {
		return nil, refuse(shown, "a %s value for a %s attribute", got, want)
	}
	if s, ok := v.(string); ok && (op == storage.Eq || op == storage.Ne) {
		// Compared with values as stored: normalized, and prepared by the
		// field's identifier profile.
		if n, ferr := prepareString(r.f, s); ferr == nil {
			return n, nil
		}
	}
	return v, nil
}

func (s *schema) querySort(srt *storage.Sort) (*storage.Sort, error) {
	if srt == nil {
		return nil, nil
	}
	segs := storage.PointerSegments(srt.Path)
	if srt.Path != "" && srt.Path[0] != '/' {
		return nil, queryError(&storage.QueryError{Field: "sort", Path: srt.Path, Reason: "not a JSON Pointer"})
	}
	r := s.ruleAt(segs)
	if r == nil || r.wildcard || r.f.Query == nil || r.f.Secret != nil || r.f.Mutability == WriteOnly {
		return nil, queryError(&storage.QueryError{Field: "sort", Path: srt.Path, Reason: "no attribute that can be sorted on"})
	}
	return &storage.Sort{Path: srt.Path, Desc: srt.Desc, Fold: !r.f.Query.CaseExact}, nil
}
