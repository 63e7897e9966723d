package update

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Apply applies one update and returns its normalized result.
//
// The path of a request: locate the record (by id or unique key); check the
// input against the rules that need no stored state (limits, unknown
// attributes, read-only fields, grants, normalization) and hash secrets;
// then, inside one store transaction: check the preconditions, apply the
// mode to a copy of the document, validate every change, route confirmable
// fields, recompute unique keys, and commit document, keys, challenges and
// the history event together. Codes are dispatched after the commit.
//
// A request that fails changes nothing: no write, no version bump, no
// event. A request that changes nothing returns Unchanged and writes
// nothing.
//
// Returns NotFound (no record, type, path or plural element), Forbidden,
// Immutable, Invalid, TooLarge, Malformed, Conflict, NotUnique or Internal.
func (e *Engine) Apply(ctx context.Context, req Request) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	p, err := e.prepare(s, g, &req)
	if err != nil {
		return nil, err
	}
	id, err := e.locate(ctx, s, req.Locator)
	if err != nil {
		return nil, err
	}
	if err := g.owns(id); err != nil {
		return nil, err
	}
	if p.needsSettling() && len(p.invalid) == 0 {
		cur, err := e.store.Get(ctx, req.Type, id)
		if err != nil {
			return nil, e.storeError(err)
		}
		if err := s.settleSecrets(p, cur.Secrets); err != nil {
			return nil, err
		}
	}
	var out *outcome
	fn := func(rec *storage.Record) (*storage.Event, error) {
		o, err := e.plan(s, g, &req, p, rec)
		out = o
		if err != nil {
			return nil, err
		}
		return o.event, nil
	}
	var rec *storage.Record
	if req.DryRun {
		rec, err = e.dryRun(ctx, req.Type, id, fn)
	} else {
		rec, err = e.store.Update(ctx, req.Type, id, fn)
	}
	if err != nil {
		return nil, e.storeError(err)
	}
	return e.finish(ctx, s, rec, out, &req), nil
}

// authorize returns the type's schema and the client's grant, or
// Forbidden when may says the grant does not allow the call.
func (e *Engine) authorize(typ, client string, may func(Grant) bool) (*schema, Grant, error) {
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, Grant{}, err
	}
	g, err := e.policy.grant(client)
	if err != nil {
		return nil, Grant{}, err
	}
	if !may(g) {
		return nil, Grant{}, Errorf(Forbidden, "client %q may not do this", client)
	}
	return s, g, nil
}

// plan runs inside the store transaction on a private copy of the record.
func (e *Engine) plan(s *schema, g Grant, req *Request, p *prepared, rec *storage.Record) (*outcome, error) {
	if err := checkExpect(req.Expect, rec); err != nil {
		return nil, err
	}
	now := e.now()
	doc, changes, err := e.applyDoc(s, req, p, rec.Doc)
	if err != nil {
		return nil, err
	}
	if err := withInvalid(e.checkChanges(s, g, rec.Doc, doc, changes), p.invalid); err != nil {
		return nil, err
	}
	rt := &routing{e: e, s: s, g: g, p: p, rec: rec, now: now, doc: doc, changes: changes, pending: rec.Pending}
	if err := rt.route(); err != nil {
		return nil, err
	}
	secretChanges, secrets, err := applySecrets(rec, p)
	if err != nil {
		return nil, err
	}
	o := &outcome{issued: rt.issued, touched: rt.touched}
	if len(rt.changes) == 0 && !rt.dirty && len(secretChanges) == 0 {
		return o, nil // nothing to write: the store commits nothing
	}
	keys := rec.Keys
	if rt.dirty || s.touchesUnique(rt.changes) {
		if keys, err = s.computeKeys(rec.Keys, rt.doc, rt.pending); err != nil {
			return nil, err
		}
	}
	rec.Doc, rec.Pending, rec.Keys, rec.Secrets = rt.doc, rt.pending, keys, secrets
	o.changes = s.redact(append(toStorage(rt.changes), secretChanges...))
	o.event = &storage.Event{Time: now, Kind: "update", Actor: req.Actor, Client: req.Client, Changes: o.changes}
	return o, nil
}

// applySecrets checks current values and installs new hashes.
func applySecrets(rec *storage.Record, p *prepared) ([]storage.Change, map[string]string, error) {
	if len(p.secrets) == 0 {
		return nil, rec.Secrets, nil
	}
	changed := false
	for _, ps := range p.secrets {
		changed = changed || !ps.same
	}
	if !changed {
		return nil, rec.Secrets, nil
	}
	out := make(map[string]string, len(rec.Secrets)+len(p.secrets))
	for k, v := range rec.Secrets {
		out[k] = v
	}
	var changes []storage.Change
	for path, ps := range p.secrets {
		old, had := rec.Secrets[path]
		if ps.current != "" && (!had || !secretMatches(old, ps.current)) {
			return nil, nil, &Error{Code: CodeMismatch, Message: "the current value does not match",
				Fields: []FieldError{{Path: path, Rule: RuleCurrent, Message: "does not match the current value"}}}
		}
		if ps.same {
			if old != ps.seen {
				return nil, nil, &Error{Code: Conflict, Message: "the secret changed concurrently; try again", Reason: ReasonConcurrent}
			}
			continue
		}
		out[path] = ps.hash
		c := storage.Change{Path: path, Op: merge.OpAdd, New: Redacted}
		if had {
			c = storage.Change{Path: path, Op: merge.OpReplace, Old: Redacted, New: Redacted}
		}
		changes = append(changes, c)
	}
	return changes, out, nil
}

// dryRun runs fn on a copy of the stored record and commits nothing. Keys
// the change would add are checked against the store, so a dry run
// reports NotUnique like the real thing.
func (e *Engine) dryRun(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	cur, err := e.store.Get(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	cp := *cur
	ev, err := fn(&cp)
	if err != nil || ev == nil {
		return cur, err
	}
	for _, k := range cp.Keys {
		holder, err := e.store.Find(ctx, typ, k)
		if err == nil && holder.ID != id {
			return nil, &storage.NotUniqueError{Key: k, HolderID: holder.ID, HolderState: holder.State}
		}
	}
	cp.Version++
	cp.Updated = ev.Time
	return &cp, nil
}

// locate resolves a Locator to a record id.
func (e *Engine) locate(ctx context.Context, s *schema, loc Locator) (string, error) {
	switch {
	case loc.ID != "" && loc.Key == nil:
		if len(loc.ID) > 256 {
			return "", Errorf(Malformed, "record id is too long")
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
		if nv, fe := normalize(r.f, k.Value); fe == nil {
			k.Value = nv.(string)
		}
	}
	rec, err := e.store.Find(ctx, s.name, k)
	if err != nil {
		return "", e.storeError(err)
	}
	if r != nil {
		// A held value reserves its key without being established: it does
		// not name the record.
		if v, ok := getPath(rec.Doc, r.segs); !ok || !keyEquals(v, k.Value) {
			return "", Errorf(NotFound, "no record with %s", k.Name)
		}
	}
	return rec.ID, nil
}

func keyEquals(v any, s string) bool {
	ks, ok := keyString(v)
	return ok && ks == s
}

// storeError maps a store error to the engine's.
func (e *Engine) storeError(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	var nu *storage.NotUniqueError
	switch {
	case errors.As(err, &nu):
		return &Error{Code: NotUnique, Message: fmt.Sprintf("%s is already in use", nu.Key.Name), Holder: nu, Err: err,
			Fields: []FieldError{{Path: nu.Key.Name, Rule: RuleUnique, Param: string(nu.HolderState), Message: "is already in use"}}}
	case errors.Is(err, storage.ErrNotUnique):
		return &Error{Code: NotUnique, Message: "a unique value is already in use", Err: err}
	case errors.Is(err, storage.ErrNotFound):
		return &Error{Code: NotFound, Message: "record not found", Err: err, Reason: ReasonRecord}
	case errors.Is(err, storage.ErrExists):
		return &Error{Code: Conflict, Message: "a record with that id exists", Err: err, Reason: ReasonExists}
	case errors.Is(err, storage.ErrConflict):
		return &Error{Code: Conflict, Message: "the record changed concurrently; try again", Err: err, Reason: ReasonConcurrent}
	}
	e.log.Error("store failed", "err", err)
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// finish builds the result, dispatches codes and notifies the observer.
func (e *Engine) finish(ctx context.Context, s *schema, rec *storage.Record, o *outcome, req *Request) *Result {
	res := &Result{ID: rec.ID, Version: rec.Version, Created: rec.Created, Updated: rec.Updated, DryRun: req.DryRun}
	if o == nil {
		o = &outcome{}
	}
	res.Modified = o.event != nil
	res.Unchanged = !res.Modified
	res.Changes = o.changes
	res.Pending = append(res.Pending, o.touched...)
	for _, is := range o.issued {
		info := pendingInfo(is.ch, string(is.decision))
		if req.DryRun {
			res.Pending = append(res.Pending, info)
			continue
		}
		info = e.deliver(ctx, rec, is, info)
		if info.Dispatched {
			res.VerificationDispatched = true
		}
		res.Pending = append(res.Pending, info)
	}
	if req.IncludeRecord {
		res.Record = s.view(rec)
	}
	if o.event != nil && !req.DryRun && e.observe != nil {
		ev := *o.event
		ev.Version = rec.Version
		e.observe(ctx, stripped(rec), ev)
	}
	return res
}

// deliver hands an issued code to its destination: the dispatcher, or
// the caller (ReturnCode). Throttled codes go nowhere.
func (e *Engine) deliver(ctx context.Context, rec *storage.Record, is issued, info PendingInfo) PendingInfo {
	if is.decision != verify.Allowed {
		return info
	}
	switch is.delivery.kind {
	case ReturnCode:
		info.Code = is.code
		return info
	case AlreadyVerified:
		return info
	}
	msg := verify.Message{ChallengeID: is.ch.ID, RecordType: rec.Type, RecordID: rec.ID, Path: is.ch.Path,
		Channel: is.ch.Channel, To: is.to, Code: is.code, Expires: is.ch.Expires}
	if is.delivery.link != nil {
		link, err := verify.RenderLink(is.delivery.link, verify.LinkData{UserID: rec.ID, Code: is.code,
			OrgID: is.delivery.orgID, Path: is.ch.Path, Channel: string(is.ch.Channel)})
		if err != nil {
			info.DispatchError = "link template failed"
			return info
		}
		msg.Link = link
	}
	if err := e.dispatch.Dispatch(ctx, msg); err != nil {
		e.log.Warn("verification dispatch failed", "type", rec.Type, "id", rec.ID, "path", is.ch.Path,
			"channel", string(is.ch.Channel), "err", err.Error())
		info.DispatchError = "dispatch failed"
		return info
	}
	info.Dispatched = true
	return info
}

func toStorage(cs []merge.Change) []storage.Change {
	out := make([]storage.Change, len(cs))
	for i, c := range cs {
		out[i] = storage.Change(c)
	}
	return out
}

// redact hides secret and write-only values in a change list, at the
// change's own path or anywhere inside the values it carries.
func (s *schema) redact(cs []storage.Change) []storage.Change {
	if !s.hides {
		return cs
	}
	for i, c := range cs {
		segs, err := merge.ParsePointer(c.Path)
		if err != nil {
			continue
		}
		cs[i].Old, _ = s.hide(segs, c.Old, false)
		cs[i].New, _ = s.hide(segs, c.New, false)
	}
	return cs
}

// hidden reports whether the value at segs is write-only or a secret.
func (s *schema) hidden(segs []string) bool {
	r := s.governing(segs)
	return r != nil && (r.f.Mutability == WriteOnly || r.f.Secret != nil)
}

// hide returns v with every value under a write-only or secret rule
// replaced by Redacted — or, with drop, object members left out — copying
// only the containers it changes.
func (s *schema) hide(segs []string, v any, drop bool) (any, bool) {
	if v == nil {
		return nil, false
	}
	if s.hidden(segs) {
		return Redacted, true
	}
	if !s.lookup(segs).inner {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, mv := range x {
			child := appendSeg(segs, k)
			gone := drop && s.hidden(child)
			hv, changed := mv, gone
			if !gone {
				hv, changed = s.hide(child, mv, drop)
			}
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(x))
				for k2, v2 := range x {
					out[k2] = v2
				}
			}
			if gone {
				delete(out, k)
			} else {
				out[k] = hv
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, ev := range x {
			hv, changed := s.hide(appendSeg(segs, strconv.Itoa(i)), ev, drop)
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = hv
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}
