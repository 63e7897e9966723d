package update

import (
	"context"
	"fmt"

	"github.com/idupdate/idupdate/merge"
)

// locate resolves a Locator to a record id, and returns g narrowed to the
// locator's tenant. A key is looked up within that tenant (or the one
// tenant g is limited to), and a record found by key outside g's tenants
// is NotFound. A record located by id is not read here: the caller checks
// its tenant where it reads it (Grant.guard, Engine.visible).
func (e *Engine) locate(ctx context.Context, s *schema, g Grant, loc Locator) (string, Grant, error) {
	g, err := g.inTenant(s, loc.Tenant)
	if err != nil {
		return "", g, err
	}
	id, err := e.locateIn(ctx, s, g, loc)
	return id, g, err
}

func (e *Engine) locateIn(ctx context.Context, s *schema, g Grant, loc Locator) (string, error) {
	switch {
	case loc.ID != "" && loc.Key == nil:
		if len(loc.ID) > 256 {
			return "", Errorf(Malformed, "record id is too long")
		}
		if err := checkLocatorText(loc); err != nil {
			return "", err
		}
		return loc.ID, nil
	case loc.ID == "" && loc.Key != nil:
	default:
		return "", Errorf(Malformed, "name a record by id or by key, not both or neither")
	}
	k := *loc.Key
	if len(k.Name) > 256 || len(k.Value) > 1024 || k.Name == "" {
		return "", Errorf(Malformed, "key is empty or too long")
	}
	if err := checkLocatorText(loc); err != nil {
		return "", err
	}
	var r *rule
	if k.Name[0] == '/' {
		segs, err := merge.ParsePointer(k.Name)
		if err != nil {
			return "", Errorf(Malformed, "key name %q is not a JSON Pointer", k.Name)
		}
		if r = s.ruleAt(segs); r == nil || !r.f.Unique {
			return "", &Error{Code: Malformed, Message: fmt.Sprintf("%s is not a unique field", k.Name),
				Fields: []FieldError{{Path: k.Name, Rule: RuleUnique, Message: "is not a unique field"}}}
		}
		ks, ok := r.lookupKey(k.Value)
		if !ok {
			return "", Errorf(NotFound, "no record with %s", k.Name)
		}
		tenant := g.tenant()
		if s.perTenant(r) && tenant == "" {
			return "", &Error{Code: Malformed, Message: fmt.Sprintf("%s is unique per tenant: name the tenant to look it up", k.Name),
				Fields: []FieldError{{Path: k.Name, Rule: RuleTenant, Message: "is unique per tenant: name the tenant"}}}
		}
		k = s.keyFor(r, tenant, ks)
	}
	rec, err := e.store.Find(ctx, s.name, k)
	if err != nil {
		return "", e.storeError(err)
	}
	if !g.reaches(s, rec) {
		return "", errNoRecord() // as if Find had found nothing
	}
	if r != nil {
		// A held value reserves its key without being established: it does
		// not name the record.
		if v, ok := getPath(rec.Doc, r.segs); !ok || !r.keyEquals(v, unscopeKey(k).Value) {
			return "", Errorf(NotFound, "no record with %s", k.Name)
		}
	}
	return rec.ID, nil
}

func (r *rule) keyEquals(v any, s string) bool {
	ks, err := r.uniqueKey(v)
	return err == nil && ks == s
}
