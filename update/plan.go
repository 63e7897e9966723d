package update

import (
	"slices"
	"strings"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// outcome is what one run of an updater decided. The last run's outcome is
// the committed one.
type outcome struct {
	event   *storage.Event
	changes []storage.Change
	issued  []issued
	touched []PendingInfo // challenges the request touched without a new code
	err     error         // an error to report after committing (e.g. a wrong code)
	ev      storage.Event // where event may point, saving it an allocation
}

// issued is a challenge that got a code in this run.
type issued struct {
	ch       verify.Challenge
	code     string
	delivery prepDelivery
	decision verify.Decision
	to       string
}

// applyDoc computes the new document and its change list, and the plural
// elements a Modify edited in place.
func (e *Engine) applyDoc(s *schema, req *Request, p *prepared, doc map[string]any) (map[string]any, []merge.Change, []elementEdit, error) {
	var (
		out     any
		changes []merge.Change
		edits   []elementEdit
		err     error
	)
	var at selected // the target of a Merge or Replace
	if req.Mode != Patch && req.Mode != Modify {
		if at, err = resolvePath(doc, p.at); err != nil {
			return nil, nil, nil, err
		}
	}
	switch req.Mode {
	case Merge, "":
		out, changes, err = merge.MergeAt(doc, at.path, p.doc, merge.Options{Array: s.arrays})
	case Replace:
		value := at.withSelectedKey(p.doc)
		if s.src.Omitted == OmitNull {
			value = s.fillOmitted(at.segs, value)
		}
		value = s.freshKeys(at.segs, doc, value)
		out, changes, err = merge.Replace(doc, at.path, value, s.keepUnder(at.path))
	case Patch:
		out, changes, err = merge.PatchKeyed(doc, p.ops)
	case Modify:
		opts := merge.ModifyOptions{Primary: s.primaryMember}
		if len(s.elementRules) > 0 {
			opts.Edited = func(path string, before, after any) {
				edits = append(edits, elementEdit{path: path, old: before, new: after})
			}
		}
		out, changes, err = merge.Modify(doc, p.mods, opts)
	}
	if err != nil {
		return nil, nil, nil, mergeError(err)
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, nil, nil, &Error{Code: Invalid, Message: "the document must stay an object",
			Fields: []FieldError{{Path: "", Rule: RuleType, Param: "object", Message: "must be an object"}}}
	}
	if req.Mode != Patch && req.Mode != Modify {
		if err := at.keysKept(m); err != nil {
			return nil, nil, nil, err
		}
	}
	return m, changes, edits, nil
}

// arrayRule returns the Merge hook for the schema's plurals. It reads
// only the compiled rules, so one hook serves every merge (schema.arrays).
func (s *schema) arrayRule() func(string) merge.ArrayRule {
	return func(path string) merge.ArrayRule {
		segs, err := merge.ParsePointer(path)
		if err != nil {
			return merge.ArrayRule{}
		}
		r := s.ruleAt(segs)
		if r == nil || r.f.Plural == nil {
			return merge.ArrayRule{}
		}
		pl := r.f.Plural
		ar := merge.ArrayRule{Key: pl.Key, MergeElements: pl.MergeElements, NewKey: keyGen(pl.KeyGen)}
		switch pl.Mode {
		case PluralAppend:
			ar.Mode = merge.ArrayAppend
		case PluralUpsert:
			ar.Mode = merge.ArrayUpsert
		}
		return ar
	}
}

// fillOmitted sets declared fields a Replace left out to null (plurals to
// an empty array), for schemas with Omitted = OmitNull. Kept, read-only,
// secret and verified fields are left to their own rules.
func (s *schema) fillOmitted(at []string, value any) any {
	for _, r := range s.rules {
		if r.wildcard || len(r.segs) <= len(at) || !strings.HasPrefix(r.path, pointer(at)) || !under(r.path, pointer(at)) {
			continue
		}
		if r.f.Keep || r.f.Mutability == ReadOnly || r.f.Mutability == SetOnce || r.f.Secret != nil || s.verified[r.path] != nil {
			continue
		}
		rel := r.segs[len(at):]
		parent, ok := getPath(value, rel[:len(rel)-1])
		if _, isObj := parent.(map[string]any); !ok || !isObj {
			continue
		}
		if _, present := getPath(value, rel); present {
			continue
		}
		var fill any
		if r.f.Plural != nil || r.f.Type == TypeArray {
			fill = []any{}
		}
		value, _ = setPath(value, rel, fill)
	}
	return value
}

// keepUnder returns the kept paths inside the replaced subtree.
func (s *schema) keepUnder(at string) []string {
	var out []string
	for _, k := range s.keep {
		if under(k, at) {
			out = append(out, k)
		}
	}
	for vp := range s.verified {
		if under(vp, at) {
			out = append(out, vp)
		}
	}
	return out
}

// plan runs inside the store transaction on a private copy of the record.
// It writes what it decides into into, overwriting what an earlier run
// left there, and returns into unless it returns another outcome or an
// error.
func (e *Engine) plan(s *schema, g Grant, req *Request, p *prepared, rec *storage.Record, into *outcome) (*outcome, error) {
	if err := checkExpect(req.Expect, rec); err != nil {
		return nil, err
	}
	now := e.now()
	pending, resetUsed, fail := e.useResetCodes(s, p, rec, now, req.Actor, req.Client)
	if fail != nil {
		return fail, nil // commits the counted attempt only; apply reports fail.err
	}
	doc, changes, edits, err := e.applyDoc(s, req, p, rec.Doc)
	if err != nil {
		return nil, err
	}
	if err := withInvalid(e.checkChanges(s, g, rec.Doc, doc, changes, edits...), p.invalid); err != nil {
		return nil, err
	}
	rt := &confirmRouter{engine: e, schema: s, grant: g, input: p, rec: rec, now: now, doc: doc, changes: changes, pending: pending, copied: resetUsed, dirty: resetUsed}
	if err := rt.route(); err != nil {
		return nil, err
	}
	state, err := s.nextState(g, rec.State, rec.Doc, rt.doc)
	if err != nil {
		return nil, err
	}
	secretChanges, secrets, err := applySecrets(rec, p)
	if err != nil {
		return nil, err
	}
	o := into
	*o = outcome{issued: rt.issued, touched: rt.touched}
	if len(rt.changes) == 0 && !rt.dirty && len(secretChanges) == 0 {
		return o, nil // nothing to write: the store commits nothing
	}
	keys := rec.Keys
	if rt.dirty || s.touchesUnique(rt.changes) {
		if keys, err = s.computeKeys(rec.Keys, rt.doc, rt.pending); err != nil {
			return nil, err
		}
		if slices.Equal(keys, rec.Keys) {
			keys = rec.Keys // the held slice, as setTerms keeps the terms'
		}
	}
	kind := stateEvent(rec.State, state)
	rec.Doc, rec.Pending, rec.Keys, rec.Secrets, rec.State = rt.doc, rt.pending, keys, secrets, state
	o.changes = s.redact(append(toStorage(rt.changes), secretChanges...))
	o.ev = storage.Event{Time: now, Kind: kind, Actor: req.Actor, Client: req.Client, Changes: o.changes}
	o.event = &o.ev
	return o, nil
}
