package update

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Create stores a new record. The document is checked like a Merge into an
// empty record (limits, unknown attributes, read-only fields, types,
// rules, required and unique fields). Confirmable values are written at
// once and get a challenge to verify them, unless the request lists them in
// Verified (which needs Grant.AssertVerified) — Hold has nothing to hold
// back on a new record.
//
// Returns Forbidden, Invalid, Immutable, TooLarge, Malformed, NotUnique,
// Conflict (the id exists) or Internal.
func (e *Engine) Create(ctx context.Context, req CreateRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Create })
	if err != nil {
		return nil, err
	}
	if req.State == "" {
		req.State = storage.Active
	}
	if req.State != storage.Active && req.State != storage.Inactive {
		return nil, Errorf(Malformed, "state %q is not active or inactive", req.State)
	}
	doc := req.Doc
	if doc == nil {
		doc = map[string]any{}
	}
	ureq := Request{Type: req.Type, Mode: Merge, Doc: doc, Secrets: req.Secrets, Delivery: req.Delivery, Client: req.Client}
	p, err := e.prepare(s, g, &ureq)
	if err != nil {
		return nil, err
	}
	verified := map[string]bool{}
	for _, path := range req.Verified {
		r := s.ruleAt(mustSegs(path))
		if r == nil || r.f.Confirm == nil {
			return nil, &Error{Code: Malformed, Message: path + " is not a confirmable field",
				Fields: []FieldError{{Path: path, Rule: RuleUnknown, Message: "is not a confirmable field"}}}
		}
		if !g.AssertVerified {
			return nil, &Error{Code: Forbidden, Message: "the client may not assert that a value is verified",
				Fields: []FieldError{{Path: path, Rule: RuleGrant, Message: "may not be set as verified by this client"}}}
		}
		verified[path] = true
	}
	ext, err := checkExternalKeys(req.ExternalKeys)
	if err != nil {
		return nil, err
	}
	id := req.ID
	if id == "" {
		id = e.newID()
	}
	if err := g.owns(id); err != nil {
		return nil, err
	}
	if len(id) > 256 {
		return nil, Errorf(Malformed, "record id is too long")
	}
	now := e.now()
	newDoc, _ := p.doc.(map[string]any)
	if newDoc == nil {
		newDoc = map[string]any{}
	}
	newDoc = s.missingKeys(newDoc)
	changes := make([]merge.Change, 0, len(newDoc))
	for k, v := range newDoc {
		changes = append(changes, merge.Change{Path: pointer([]string{k}), Op: merge.OpAdd, New: v})
	}
	if err := withInvalid(e.checkChanges(s, g, map[string]any{}, newDoc, changes), p.invalid); err != nil {
		return nil, err
	}
	if len(changes) == 0 { // checkChanges looks at required fields only when something changed
		for _, r := range s.require {
			if errs := requiredMissing(r, nil, newDoc); len(errs) > 0 {
				return nil, &Error{Code: Invalid, Message: "the record has invalid fields", Fields: errs}
			}
		}
	}
	if newDoc, err = e.serverValues(s, newDoc, req.Server); err != nil {
		return nil, err
	}
	rec := &storage.Record{Type: req.Type, ID: id, Created: now, Updated: now, State: req.State, Doc: newDoc}
	rt := &routing{e: e, s: s, g: g, p: p, rec: rec, now: now, doc: newDoc}
	for _, r := range s.confirm {
		v, ok := getPath(newDoc, r.segs)
		if !ok || v == nil {
			continue
		}
		if verified[r.path] {
			rt.setVerified(r, true)
			continue
		}
		rt.setVerified(r, false)
		if err := rt.open(r, v, false, -1, rt.deliveryFor(r.path)); err != nil {
			return nil, err
		}
	}
	if err := s.settleSecrets(p, nil); err != nil {
		return nil, err
	}
	_, secrets, err := applySecrets(&storage.Record{}, p)
	if err != nil {
		return nil, err
	}
	rec.Doc, rec.Pending, rec.Secrets = rt.doc, rt.pending, secrets
	if rec.Keys, err = s.computeKeys(ext, rec.Doc, rec.Pending); err != nil {
		return nil, err
	}
	ev := storage.Event{Time: now, Kind: "create", Actor: req.Actor, Client: req.Client,
		Changes: s.redact(createChanges(rec))}
	o := &outcome{event: &ev, changes: ev.Changes, issued: rt.issued}
	rec.Version = 1
	if !req.DryRun {
		if err := e.store.Create(ctx, rec, ev); err != nil {
			return nil, e.storeError(err)
		}
	}
	return e.finish(ctx, s, rec, o, &Request{DryRun: req.DryRun, IncludeRecord: req.IncludeRecord}), nil
}

// serverValues writes the server-owned values of a create into doc. Only
// read-only fields may be set this way; their types and rules still apply.
func (e *Engine) serverValues(s *schema, doc map[string]any, vals map[string]any) (map[string]any, error) {
	var invalid, limit []FieldError
	for k, v := range vals {
		segs := []string{k}
		r := s.ruleAt(segs)
		if r == nil || r.f.Mutability != ReadOnly {
			invalid = append(invalid, FieldError{Path: pointer(segs), Rule: RuleReadOnly, Message: "is not a read-only field"})
			continue
		}
		invalid = e.checkValue(s, segs, v, invalid, &limit)
		doc = mustObject(setPath(doc, segs, v, false))
	}
	if len(limit) > 0 {
		return nil, &Error{Code: TooLarge, Message: "a server value exceeds a limit", Fields: sortFields(limit)}
	}
	if len(invalid) > 0 {
		return nil, &Error{Code: Invalid, Message: "invalid server values", Fields: sortFields(invalid)}
	}
	return doc, nil
}

// missingKeys gives plural elements sent without a key a fresh one.
func (s *schema) missingKeys(doc map[string]any) map[string]any {
	for _, r := range s.rules {
		pl := r.f.Plural
		if pl == nil || pl.KeyGen == KeyGenNone || r.wildcard {
			continue
		}
		arr, _ := getPath(doc, r.segs)
		elems, ok := arr.([]any)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		collectKeys(elems, pl.Key, seen)
		if out := assignKeys(elems, pl, seen, false); out != nil {
			doc = mustObject(setPath(doc, r.segs, out, false))
		}
	}
	return doc
}

// collectKeys adds the string forms of the elements' keys to seen.
func collectKeys(elems []any, key string, seen map[string]bool) {
	for _, el := range elems {
		if m, ok := el.(map[string]any); ok {
			if k, ok := keyString(m[key]); ok {
				seen[k] = true
			}
		}
	}
}

// assignKeys returns a copy of elems in which object elements get a fresh
// key (all of them, or only those without one), or nil when nothing
// changed. Elements are copied, never modified.
func assignKeys(elems []any, pl *Plural, seen map[string]bool, all bool) []any {
	gen := keyGen(pl.KeyGen)
	var out []any
	for i, el := range elems {
		m, ok := el.(map[string]any)
		if !ok || (!all && m[pl.Key] != nil) {
			continue
		}
		if out == nil {
			out = append([]any(nil), elems...)
		}
		nm := make(map[string]any, len(m)+1)
		for k, v := range m {
			nm[k] = v
		}
		key := gen(seen)
		ks, _ := keyString(key)
		seen[ks] = true
		nm[pl.Key] = key
		out[i] = nm
	}
	return out
}

// createChanges lists a new record as one "add" per top-level member, so
// redaction works per field.
func createChanges(rec *storage.Record) []storage.Change {
	names := make([]string, 0, len(rec.Doc))
	for k := range rec.Doc {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]storage.Change, 0, len(names)+len(rec.Secrets))
	for _, k := range names {
		out = append(out, storage.Change{Path: pointer([]string{k}), Op: merge.OpAdd, New: rec.Doc[k]})
	}
	for path := range rec.Secrets {
		out = append(out, storage.Change{Path: path, Op: merge.OpAdd, New: Redacted})
	}
	return out
}

func checkExternalKeys(keys []storage.Key) ([]storage.Key, error) {
	out := make([]storage.Key, 0, len(keys))
	for _, k := range keys {
		if !strings.HasPrefix(k.Name, "ext:") || len(k.Name) < 5 || len(k.Name) > 128 || k.Value == "" || len(k.Value) > 512 {
			return nil, &Error{Code: Malformed, Message: fmt.Sprintf("external key %q must be named ext:<kind> and have a value", k.Name)}
		}
		out = append(out, k)
	}
	return out, nil
}

// Get returns the record as a client may see it: no secrets, no write-only
// fields, no code hashes. Returns NotFound or Malformed.
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
// secrets redacted. Returns NotFound or Malformed.
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

// Delete removes a record, its keys and its history. The client needs
// Grant.Delete. Returns Forbidden, NotFound or Malformed.
func (e *Engine) Delete(ctx context.Context, req DeleteRequest) error {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Delete })
	if err != nil {
		return err
	}
	id, err := e.locate(ctx, s, req.Locator)
	if err != nil {
		return err
	}
	if err := g.owns(id); err != nil {
		return err
	}
	if req.Expect != (Expect{}) {
		// The store has no conditional delete: the preconditions are checked
		// by an Update that writes nothing, just before the delete. A write
		// that lands between the two is not detected.
		if _, err := e.store.Update(ctx, req.Type, id, func(rec *storage.Record) (*storage.Event, error) {
			return nil, checkExpect(req.Expect, rec)
		}); err != nil {
			return e.storeError(err)
		}
	}
	if err := e.store.Delete(ctx, req.Type, id); err != nil {
		return e.storeError(err)
	}
	return nil
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
		shown, _ := s.hide(nil, doc, true)
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

// stripped returns a copy of rec without secrets and code hashes, for
// observers.
func stripped(rec *storage.Record) *storage.Record {
	cp := *rec
	cp.Secrets = nil
	cp.Pending = make([]verify.Challenge, len(rec.Pending))
	for i, ch := range rec.Pending {
		ch = ch.Clone()
		ch.CodeHash = nil
		cp.Pending[i] = ch
	}
	return &cp
}
