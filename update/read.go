package update

import (
	"context"
	"sort"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Get returns the record as a client may see it: no secrets, no write-only
// fields, no code hashes. Get takes no client and checks no grant: it is
// the calling code's read, and deciding which client may see which record
// is the caller's. Returns NotFound or Malformed.
func (e *Engine) Get(ctx context.Context, typ string, loc Locator) (*View, error) {
	s, id, err := e.resolve(ctx, typ, loc)
	if err != nil {
		return nil, err
	}
	rec, err := e.store.Get(ctx, typ, id)
	if err != nil {
		return nil, e.storeError(err)
	}
	return s.view(rec), nil
}

// History returns the record's committed events, oldest first, with
// secrets redacted. Like Get it takes no client and checks no grant.
// Returns NotFound or Malformed.
func (e *Engine) History(ctx context.Context, typ string, loc Locator) ([]storage.Event, error) {
	_, id, err := e.resolve(ctx, typ, loc)
	if err != nil {
		return nil, err
	}
	evs, err := e.store.History(ctx, typ, id)
	if err != nil {
		return nil, e.storeError(err)
	}
	return evs, nil
}

// resolve finds the type's schema and the located record's id.
func (e *Engine) resolve(ctx context.Context, typ string, loc Locator) (*schema, string, error) {
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, "", err
	}
	id, err := e.locate(ctx, s, loc)
	return s, id, err
}

// view builds what a client may see of a record. The document is a deep
// copy, so callers may change it freely.
func (s *schema) view(rec *storage.Record) *View {
	v := &View{Type: rec.Type, ID: rec.ID, Version: rec.Version, Created: rec.Created, Updated: rec.Updated,
		State: rec.State, Keys: append([]storage.Key(nil), rec.Keys...)}
	doc, _ := merge.Clone(rec.Doc).(map[string]any)
	if doc == nil {
		doc = map[string]any{}
	}
	if s.hides {
		shown, _ := s.hide(nil, doc, dropHidden)
		doc = shown.(map[string]any)
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
