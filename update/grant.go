package update

import (
	"fmt"

	"github.com/idupdate/idupdate/merge"
)

// authorize returns the type's schema and the client's grant, or
// Forbidden when may says the grant does not allow the call or the grant
// is limited to tenants the type does not have.
func (e *Engine) authorize(typ, client string, may func(Grant) bool) (*schema, Grant, error) {
	return e.authorizeFor(typ, client, "", may)
}

// authorizeFor is authorize for a call made for subject (Request.Subject):
// the grant comes back limited to that record.
func (e *Engine) authorizeFor(typ, client, subject string, may func(Grant) bool) (*schema, Grant, error) {
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, Grant{}, err
	}
	g, err := e.policy.grantFor(client, subject)
	if err != nil {
		return nil, Grant{}, err
	}
	if !may(g) {
		return nil, Grant{}, Errorf(Forbidden, "client %q may not do this", client)
	}
	if err := g.fits(s); err != nil {
		return nil, Grant{}, err
	}
	return s, g, nil
}

func checkGrant(g Grant) error {
	if g.Self && g.Subject != "" {
		return fmt.Errorf("self and subject exclude each other: a self grant takes its subject from each call")
	}
	for _, p := range g.Paths {
		if _, err := merge.ParsePointer(p); err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
	}
	return checkGrantTenants(g)
}

// grant returns the client's grant, or Forbidden. A Self grant is
// Forbidden here: it serves only calls that name their subject.
func (c *compiled) grant(client string) (Grant, error) { return c.grantFor(client, "") }

// grantFor returns the client's grant for a call made for subject ("" for
// none), limited to that record; see Request.Subject.
func (c *compiled) grantFor(client, subject string) (Grant, error) {
	g, ok := c.grants[client]
	switch {
	case ok:
	case c.defaultGrant != nil:
		g = *c.defaultGrant
	default:
		return Grant{}, Errorf(Forbidden, "client %q has no grant", client)
	}
	return g.narrow(subject)
}

// narrow limits g to the record subject names. A Self grant needs a
// subject; a grant with a Subject of its own serves no other.
func (g Grant) narrow(subject string) (Grant, error) {
	switch {
	case subject == "" && g.Self:
		return Grant{}, Errorf(Forbidden, "the client acts only for a user its call names")
	case subject == "":
		return g, nil
	case g.Subject != "" && g.Subject != subject:
		return Grant{}, Errorf(Forbidden, "the client may act only on its own record")
	}
	g.Subject = subject
	return g, nil
}

// owns refuses a record outside the grant's Subject.
func (g Grant) owns(id string) error {
	if g.Subject != "" && g.Subject != id {
		return Errorf(Forbidden, "the client may act only on its own record")
	}
	return nil
}

// allows reports whether the grant lets the client write path.
func (g Grant) allows(path string) bool {
	if len(g.Paths) == 0 {
		return true
	}
	for _, p := range g.Paths {
		if under(path, p) {
			return true
		}
	}
	return false
}

// above reports whether path is a strict ancestor of a granted path, so
// only part of a value written there may be allowed.
func (g Grant) above(path string) bool {
	for _, p := range g.Paths {
		if path == "" || len(p) > len(path) && under(p, path) {
			return true
		}
	}
	return false
}

// grantCovers reports whether every leaf of v at segs lies inside the grant.
func grantCovers(g Grant, segs []string, v any) bool {
	path := pointer(segs)
	if g.allows(path) {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		if !g.above(path) {
			return len(x) == 0
		}
		for k, mv := range x {
			if !grantCovers(g, appendSeg(segs, k), mv) {
				return false
			}
		}
		return true
	case nil:
		return true
	}
	return false
}

// mayWrite refuses a path outside the grant's Paths.
func (g Grant) mayWrite(path string) error {
	if g.allows(path) {
		return nil
	}
	return &Error{Code: Forbidden, Message: "the client may not write these fields",
		Fields: []FieldError{{Path: path, Rule: RuleGrant, Message: "may not be written by this client"}}}
}
