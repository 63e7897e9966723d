package update

import (
	"context"
	"sort"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// ReadOption qualifies a read (Get, History).
type ReadOption func(*readOptions)

type readOptions struct {
	client string
	asked  bool
}

// AsClient reads on behalf of a client: the client needs a grant (its own
// or the policy's default), and a grant with a Subject reads only that
// record; otherwise the read is Forbidden. A grant with Tenants reads only
// their records: any other is NotFound, as a missing one. A read without AsClient is the
// calling code's own and checks no grant, so every read a client asked for
// should carry this option.
func AsClient(client string) ReadOption {
	return func(o *readOptions) { o.client, o.asked = client, true }
}

// Get returns the record as a client may see it: no secrets, no write-only
// fields, no code hashes. With AsClient the client's grant is checked
// first. Returns NotFound, Forbidden or Malformed.
func (e *Engine) Get(ctx context.Context, typ string, loc Locator, opts ...ReadOption) (*View, error) {
	s, g, id, err := e.resolve(ctx, typ, loc, opts)
	if err != nil {
		return nil, err
	}
	rec, err := e.store.Get(ctx, typ, id)
	if err != nil {
		return nil, e.storeError(err)
	}
	if err := g.guard(s, rec); err != nil {
		return nil, err
	}
	return s.view(rec), nil
}

// History returns the record's committed events, oldest first, with
// secrets redacted. With AsClient the client's grant is checked first, as
// for Get. Returns NotFound, Forbidden or Malformed.
func (e *Engine) History(ctx context.Context, typ string, loc Locator, opts ...ReadOption) ([]storage.Event, error) {
	s, g, id, err := e.resolve(ctx, typ, loc, opts)
	if err != nil {
		return nil, err
	}
	if err := e.visible(ctx, s, g, id); err != nil {
		return nil, err
	}
	evs, err := e.store.History(ctx, typ, id)
	if err != nil {
		return nil, e.storeError(err)
	}
	return evs, nil
}

// resolve finds the type's schema, the grant that applies (that of a
// client the options name, narrowed to the locator's tenant) and the
// located record's id, checking the grant before and after locating. The
// caller checks the record's tenant where it reads it.
func (e *Engine) resolve(ctx context.Context, typ string, loc Locator, opts []ReadOption) (*schema, Grant, string, error) {
	var o readOptions
	for _, opt := range opts {
		opt(&o)
	}
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, Grant{}, "", err
	}
	g := Grant{}
	if o.asked {
		if g, err = e.policy.grant(o.client); err != nil {
			return nil, Grant{}, "", err
		}
		if err := g.fits(s); err != nil {
			return nil, Grant{}, "", err
		}
	}
	id, g, err := e.locate(ctx, s, g, loc)
	if err != nil {
		return nil, Grant{}, "", err
	}
	if err := g.owns(id); err != nil {
		return nil, Grant{}, "", err
	}
	return s, g, id, nil
}

// view builds what a client may see of a record. The document is a deep
// copy, so callers may change it freely.
func (s *schema) view(rec *storage.Record) *View {
	v := &View{Type: rec.Type, ID: rec.ID, Version: rec.Version, Created: rec.Created, Updated: rec.Updated,
		State: rec.State, Keys: make([]storage.Key, len(rec.Keys))}
	for i, k := range rec.Keys {
		v.Keys[i] = unscopeKey(k)
	}
	var doc map[string]any
	if s.hides {
		doc, _ = shown(s.root, rec.Doc).(map[string]any)
	} else {
		doc, _ = merge.Clone(rec.Doc).(map[string]any)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	v.Doc = doc
	for path := range rec.Secrets {
		v.HasSecret = append(v.HasSecret, path)
	}
	sort.Strings(v.HasSecret)
	for _, ch := range rec.Pending {
		if ch.State == verify.Pending || ch.State == verify.Locked || ch.State == verify.Expired {
			v.Pending = append(v.Pending, pendingInfo(ch, ""))
		}
	}
	return v
}
