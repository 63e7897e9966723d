package update

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// maxTenantLen bounds a tenant value, in bytes, so a scoped key stays
// within what a store indexes.
const maxTenantLen = 128

// Scoped keys: a unique value held within a tenant is indexed under the
// key name tenantKeyPrefix+path with the value tenant+tenantSep+value.
// The name keeps scoped and global values apart; the separator, a control
// character no tenant may contain, keeps one tenant's values apart from
// another's.
const (
	tenantKeyPrefix = "tenant:"
	tenantSep       = "\x1f"
)

// tenancy is a compiled Tenancy.
type tenancy struct {
	path   string
	segs   []string
	global map[string]bool
}

// compileTenancy checks t against the compiled rules of cs.
func (cs *schema) compileTenancy(t *Tenancy) error {
	segs, err := merge.ParsePointer(t.Path)
	if err != nil || t.Path == "" {
		return fmt.Errorf("tenant: path %q is not a JSON Pointer below the root", t.Path)
	}
	r := cs.ruleAt(segs)
	switch {
	case r == nil || r.path != t.Path:
		return fmt.Errorf("tenant: path %s is not a declared field", t.Path)
	case r.wildcard || r.f.Plural != nil:
		return fmt.Errorf("tenant: path %s is in or is a plural", t.Path)
	case r.f.Type != TypeString || !r.f.Required:
		return fmt.Errorf("tenant: field %s must be a required string", t.Path)
	case r.f.Mutability != SetOnce && r.f.Mutability != ReadOnly:
		return fmt.Errorf("tenant: field %s must be immutable or readOnly", t.Path)
	case r.f.Unique || r.f.Confirm != nil || r.f.Secret != nil:
		return fmt.Errorf("tenant: field %s cannot be unique, confirmable or secret", t.Path)
	}
	ct := &tenancy{path: t.Path, segs: segs, global: make(map[string]bool, len(t.Global))}
	for _, g := range t.Global {
		if err := checkTenantValue(g); err != "" {
			return fmt.Errorf("tenant: global tenant %q %s", g, err)
		}
		ct.global[g] = true
	}
	cs.tenancy = ct
	return nil
}

// checkScopes refuses a UniqueScope the schema cannot honour.
func (cs *schema) checkScopes() error {
	for _, r := range cs.rules {
		switch r.f.UniqueScope {
		case "":
		case ScopeTenant, ScopeGlobal:
			if !r.f.Unique || cs.tenancy == nil {
				return fmt.Errorf("field %s: uniqueScope needs a unique field of a type with a tenant", r.path)
			}
		default:
			return fmt.Errorf("field %s: uniqueScope %q is not tenant or global", r.path, r.f.UniqueScope)
		}
	}
	return nil
}

// checkGrantTenants checks the tenants a grant is limited to.
func checkGrantTenants(g Grant) error {
	for _, t := range g.Tenants {
		if err := checkTenantValue(t); err != "" {
			return fmt.Errorf("tenant %q %s", t, err)
		}
	}
	return nil
}

// checkTenantValue says what makes t unfit to name a tenant, or "".
func checkTenantValue(t string) string {
	if t == "" || len(t) > maxTenantLen || !utf8.ValidString(t) {
		return fmt.Sprintf("must be 1 to %d bytes of UTF-8", maxTenantLen)
	}
	if strings.IndexFunc(t, unicode.IsControl) >= 0 {
		return "must not hold control characters"
	}
	return ""
}

// tenantOf returns the tenant of a record's document, "" for none (a type
// without tenants, or a record stored before it had them).
func (s *schema) tenantOf(doc map[string]any) string {
	if s.tenancy == nil {
		return ""
	}
	v, _ := getPath(doc, s.tenancy.segs)
	t, _ := v.(string)
	return t
}

// checkTenant refuses a document whose tenant value is not fit to scope
// keys by. A document without one (a record from before the type had
// tenants) passes: Required reports a tenant a change removes.
func (s *schema) checkTenant(doc map[string]any) error {
	if s.tenancy == nil {
		return nil
	}
	v, ok := getPath(doc, s.tenancy.segs)
	if !ok || v == nil {
		return nil
	}
	t, _ := v.(string)
	if msg := checkTenantValue(t); msg != "" {
		return &Error{Code: Invalid, Message: "the record's tenant is not valid",
			Fields: []FieldError{{Path: s.tenancy.path, Rule: RuleTenant, Message: msg}}}
	}
	return nil
}

// perTenant reports whether rule r's values are unique per tenant, at
// least for tenants not listed in Tenancy.Global.
func (s *schema) perTenant(r *rule) bool {
	return s.tenancy != nil && r.f.UniqueScope != ScopeGlobal
}

// scoped reports whether rule r's values are unique per tenant on a
// record of tenant.
func (s *schema) scoped(r *rule, tenant string) bool {
	return tenant != "" && s.perTenant(r) && !s.tenancy.global[tenant]
}

// keyFor is the key under which a record of tenant holds the unique
// value ks of rule r.
func (s *schema) keyFor(r *rule, tenant, ks string) storage.Key {
	if s.scoped(r, tenant) {
		return storage.Key{Name: tenantKeyPrefix + r.path, Value: tenant + tenantSep + ks}
	}
	return storage.Key{Name: r.path, Value: ks}
}

// unscopeKey returns k as clients name it: the field's path and value,
// without the tenant a scoped key carries.
func unscopeKey(k storage.Key) storage.Key {
	name, ok := strings.CutPrefix(k.Name, tenantKeyPrefix)
	if !ok {
		return k
	}
	_, v, _ := strings.Cut(k.Value, tenantSep)
	return storage.Key{Name: name, Value: v}
}

// isFieldKey reports whether k is the key of a unique field (scoped or
// not), which the engine recomputes, rather than an external key.
func isFieldKey(k storage.Key) bool {
	return strings.HasPrefix(k.Name, "/") || strings.HasPrefix(k.Name, tenantKeyPrefix)
}

// fits refuses a grant limited to tenants on a type without them.
func (g Grant) fits(s *schema) error {
	if len(g.Tenants) > 0 && s.tenancy == nil {
		return Errorf(Forbidden, "the client is limited to tenants and type %q has none", s.name)
	}
	return nil
}

// inTenant limits g to tenant as well, when one is named: a tenant outside
// the grant holds nothing the client can reach (NotFound).
func (g Grant) inTenant(s *schema, tenant string) (Grant, error) {
	if tenant == "" {
		return g, nil
	}
	if s.tenancy == nil {
		return g, Errorf(Malformed, "type %q has no tenants", s.name)
	}
	if len(tenant) > maxTenantLen || len(g.Tenants) > 0 && !slices.Contains(g.Tenants, tenant) {
		return g, errNoRecord()
	}
	g.Tenants = []string{tenant}
	return g, nil
}

// tenant is the one tenant g is limited to, or "".
func (g Grant) tenant() string {
	if len(g.Tenants) == 1 {
		return g.Tenants[0]
	}
	return ""
}

// reaches reports whether rec lies inside the grant's tenants.
func (g Grant) reaches(s *schema, rec *storage.Record) bool {
	return len(g.Tenants) == 0 || slices.Contains(g.Tenants, s.tenantOf(rec.Doc))
}

// errNoRecord is what a client meets for a record outside its tenants:
// the very error of a record that does not exist.
func errNoRecord() error {
	return &Error{Code: NotFound, Message: "record not found", Err: storage.ErrNotFound, Reason: ReasonRecord}
}

// guard returns the error of a record outside the grant's tenants, for
// use inside a store transaction.
func (g Grant) guard(s *schema, rec *storage.Record) error {
	if !g.reaches(s, rec) {
		return errNoRecord()
	}
	return nil
}

// visible refuses record id when it lies outside the grant's tenants,
// reading it only when the grant is limited to tenants.
func (e *Engine) visible(ctx context.Context, s *schema, g Grant, id string) error {
	if len(g.Tenants) == 0 {
		return nil
	}
	rec, err := e.store.Get(ctx, s.name, id)
	if err != nil {
		return e.storeError(err)
	}
	return g.guard(s, rec)
}

// tenantFilter limits f to the grant's tenants.
func (s *schema) tenantFilter(g Grant, f *storage.Filter) *storage.Filter {
	if len(g.Tenants) == 0 {
		return f
	}
	in := storage.Filter{Op: storage.Eq, Path: s.tenancy.path, Value: g.Tenants[0]}
	if len(g.Tenants) > 1 {
		in = storage.Filter{Op: storage.Or}
		for _, t := range g.Tenants {
			in.Args = append(in.Args, storage.Filter{Op: storage.Eq, Path: s.tenancy.path, Value: t})
		}
	}
	if f == nil {
		return &in
	}
	if f.Op == storage.And {
		out := *f
		out.Args = append(append([]storage.Filter(nil), f.Args...), in)
		return &out
	}
	return &storage.Filter{Op: storage.And, Args: []storage.Filter{*f, in}}
}

// conceal keeps a client limited to tenants from learning which record
// holds a value it clashed with: the holder may lie in another tenant.
func (g Grant) conceal(err error) error {
	var ee *Error
	if len(g.Tenants) == 0 || !errors.As(err, &ee) || ee.Holder == nil || ee.Holder.HolderID == "" {
		return err
	}
	cp := *ee
	h := *ee.Holder
	h.HolderID = ""
	cp.Holder = &h
	return &cp
}
