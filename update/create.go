package update

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// Create stores a new record. The document is checked like a Merge into an
// empty record (limits, unknown attributes, read-only fields, types,
// rules, required and unique fields). Confirmable values are written at
// once and get a challenge to verify them, unless the request lists them in
// Verified or gives them Delivery AlreadyVerified (either needs
// Grant.AssertVerified) — Hold has nothing to hold back on a new record.
//
// The client needs Grant.Create, every written path (secrets too) inside
// Grant.Paths, the new id inside Grant.Subject, and the record's tenant
// among Grant.Tenants. Server values are the
// calling code's, not the client's: no grant applies to them.
//
// Returns Forbidden, Invalid, Immutable, TooLarge, Malformed, NotUnique,
// Conflict (the id exists) or Internal.
func (e *Engine) Create(ctx context.Context, req CreateRequest) (*Result, error) {
	ctx, span := e.tel.begin(ctx, "create", req.Type)
	res, err := e.create(ctx, req)
	e.tel.end(ctx, span, "create", req.Type, res, err)
	return res, err
}

// create is Create without its telemetry.
func (e *Engine) create(ctx context.Context, req CreateRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Create })
	if err != nil {
		return nil, err
	}
	if err := checkRequestText("actor, client or record id", req.Actor, req.Client, req.ID); err != nil {
		return nil, err
	}
	if err := checkKeysText(req.ExternalKeys); err != nil {
		return nil, err
	}
	if req.State != "" && req.State != storage.Active && req.State != storage.Inactive {
		return nil, Errorf(Malformed, "state %q is not active or inactive", req.State)
	}
	p, err := e.prepareCreate(s, g, &req)
	if err != nil {
		return nil, err
	}
	verified, err := assertedVerified(s, g, append(append([]string(nil), req.Verified...), alreadyVerified(req.Delivery)...))
	if err != nil {
		return nil, err
	}
	ext, err := checkExternalKeys(req.ExternalKeys)
	if err != nil {
		return nil, err
	}
	id := req.ID
	if id == "" {
		if id, err = e.drawID(ctx, &req); err != nil {
			return nil, err
		}
	}
	if err := g.owns(id); err != nil {
		return nil, err
	}
	if len(id) > 256 {
		return nil, Errorf(Malformed, "record id is too long")
	}
	rec, o, err := e.newRecord(s, g, &req, p, verified, ext, id)
	if err != nil {
		return nil, err
	}
	if !req.DryRun {
		// The first record of a new type makes its index terms complete.
		e.termsUsable(ctx, s)
		start := e.tel.storeStart(ctx)
		err := e.store.Create(ctx, rec, *o.event)
		e.tel.storeDone(ctx, "create", start, err)
		if err != nil {
			return nil, g.conceal(e.storeError(err))
		}
	}
	return e.finish(ctx, s, rec, o, &Request{DryRun: req.DryRun, IncludeRecord: req.IncludeRecord}), nil
}

// prepareCreate runs the stateless checks of a create: those of a Merge
// into an empty record.
func (e *Engine) prepareCreate(s *schema, g Grant, req *CreateRequest) (*prepared, error) {
	doc := req.Doc
	if doc == nil {
		doc = map[string]any{}
	}
	ureq := Request{Type: req.Type, Mode: Merge, Doc: doc, Secrets: req.Secrets, Delivery: req.Delivery, Client: req.Client}
	return e.prepare(s, g, &ureq)
}

// assertedVerified checks the paths a create asserts verified: each must
// be confirmable, and the grant must allow the assertion.
func assertedVerified(s *schema, g Grant, paths []string) (map[string]bool, error) {
	verified := map[string]bool{}
	for _, path := range paths {
		r := s.ruleAt(mustSegs(path))
		if r == nil || r.f.Confirm == nil {
			return nil, &Error{Code: Malformed, Message: path + " is not a confirmable field",
				Fields: []FieldError{{Path: path, Rule: RuleUnknown, Message: "is not a confirmable field"}}}
		}
		if !g.AssertVerified {
			return nil, errAssertVerified(path)
		}
		verified[path] = true
	}
	return verified, nil
}

// alreadyVerified lists the paths whose Delivery is AlreadyVerified: on a
// create that asserts the value verified, as Verified does.
func alreadyVerified(ds map[string]Delivery) []string {
	var out []string
	for path, d := range ds {
		if d.Kind == AlreadyVerified {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// errAssertVerified refuses an assertion that the value at path is
// verified from a client whose grant does not allow it.
func errAssertVerified(path string) *Error {
	return &Error{Code: Forbidden, Message: "the client may not assert that a value is verified",
		Fields: []FieldError{{Path: path, Rule: RuleGrant, Message: "may not be set as verified by this client"}}}
}

// newRecord builds the record a create stores, and its outcome: the
// checked document with server values, challenges for confirmable values
// not asserted verified, hashed secrets and unique keys.
func (e *Engine) newRecord(s *schema, g Grant, req *CreateRequest, p *prepared, verified map[string]bool, ext []storage.Key, id string) (*storage.Record, *outcome, error) {
	now := e.now()
	doc, err := e.checkNewDoc(s, g, p)
	if err != nil {
		return nil, nil, err
	}
	if doc, err = e.serverValues(s, doc, req.Server); err != nil {
		return nil, nil, err
	}
	state, err := s.createState(req.State, doc)
	if err != nil {
		return nil, nil, err
	}
	if state == "" {
		state = storage.Active
	}
	rec := &storage.Record{Type: req.Type, ID: id, Created: now, Updated: now, State: state, Doc: doc}
	if !g.reaches(s, rec) {
		return nil, nil, &Error{Code: Forbidden, Message: "the client may not create records in this tenant",
			Fields: []FieldError{{Path: s.tenancy.path, Rule: RuleGrant, Message: "names a tenant the client may not create records in"}}}
	}
	rt := &confirmRouter{engine: e, schema: s, grant: g, input: p, rec: rec, now: now, doc: doc}
	if err := rt.openCreated(verified); err != nil {
		return nil, nil, err
	}
	if err := refuseResetCodes(p); err != nil {
		return nil, nil, err
	}
	if err := s.settleSecrets(p, nil); err != nil {
		return nil, nil, err
	}
	_, secrets, err := applySecrets(&storage.Record{}, p)
	if err != nil {
		return nil, nil, err
	}
	rec.Doc, rec.Pending, rec.Secrets = rt.doc, rt.pending, secrets
	s.stampCreated(rec)
	if rec.Keys, err = s.computeKeys(ext, rec.Doc, rec.Pending); err != nil {
		return nil, nil, err
	}
	rec.Terms = s.computeTerms(rec.Doc)
	ev := storage.Event{Time: now, Kind: "create", Actor: req.Actor, Client: req.Client,
		Changes: s.redact(createChanges(rec))}
	rec.Version = 1
	return rec, &outcome{event: &ev, changes: ev.Changes, issued: rt.issued}, nil
}

// checkNewDoc returns the prepared document of a create with keys for
// plural elements sent without one, checked as changes to an empty record.
func (e *Engine) checkNewDoc(s *schema, g Grant, p *prepared) (map[string]any, error) {
	doc, _ := p.doc.(map[string]any)
	if doc == nil {
		doc = map[string]any{}
	}
	doc = s.missingKeys(doc)
	changes := make([]merge.Change, 0, len(doc))
	for k, v := range doc {
		changes = append(changes, merge.Change{Path: pointer([]string{k}), Op: merge.OpAdd, New: v})
	}
	if err := withInvalid(e.checkChanges(s, g, map[string]any{}, doc, changes), p.invalid); err != nil {
		return nil, err
	}
	if len(changes) == 0 { // checkChanges looks at required fields only when something changed
		for _, r := range s.require {
			if errs := requiredMissing(r, nil, doc); len(errs) > 0 {
				return nil, &Error{Code: Invalid, Message: "the record has invalid fields", Fields: errs}
			}
		}
	}
	return doc, nil
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
		doc = mustObject(setPath(doc, segs, v))
	}
	if len(limit) > 0 {
		return nil, &Error{Code: TooLarge, Message: "a server value exceeds a limit", Fields: sortFields(limit)}
	}
	if len(invalid) > 0 {
		return nil, &Error{Code: Invalid, Message: "invalid server values", Fields: sortFields(invalid)}
	}
	return doc, nil
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
