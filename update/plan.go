package update

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

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
}

// issued is a challenge that got a code in this run.
type issued struct {
	ch       verify.Challenge
	code     string
	delivery prepDelivery
	decision verify.Decision
	to       string
}

// applyDoc computes the new document and its change list.
func (e *Engine) applyDoc(s *schema, req *Request, p *prepared, doc map[string]any) (map[string]any, []merge.Change, error) {
	var (
		out     any
		changes []merge.Change
		err     error
	)
	switch req.Mode {
	case Merge, "":
		out, changes, err = merge.MergeAt(doc, req.Path, p.doc, merge.Options{Array: s.arrayRule(doc)})
	case Replace:
		value := p.doc
		if s.src.Omitted == OmitNull {
			value = s.fillOmitted(p.at, value)
		}
		value = s.freshKeys(p.at, doc, value)
		out, changes, err = merge.Replace(doc, req.Path, value, s.keepUnder(req.Path))
	case Patch:
		out, changes, err = merge.Patch(doc, p.ops)
	}
	if err != nil {
		return nil, nil, mergeError(err)
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, nil, &Error{Code: Invalid, Message: "the document must stay an object",
			Fields: []FieldError{{Path: "", Rule: RuleType, Param: "object", Message: "must be an object"}}}
	}
	return m, changes, nil
}

func mergeError(err error) error {
	var me *merge.Error
	path := ""
	if errors.As(err, &me) {
		path = me.Path
	}
	switch {
	case errors.Is(err, merge.ErrKeyNotFound):
		return &Error{Code: NotFound, Message: fmt.Sprintf("no element with that key in %s", path), Err: err,
			Fields: []FieldError{{Path: path, Rule: RuleElement, Param: fmt.Sprint(me.Key), Message: "has no element with key " + fmt.Sprint(me.Key)}}}
	case errors.Is(err, merge.ErrPathNotFound):
		return &Error{Code: NotFound, Message: fmt.Sprintf("path %s does not exist", path), Err: err,
			Fields: []FieldError{{Path: path, Rule: RuleElement, Message: "does not exist"}}}
	case errors.Is(err, merge.ErrTestFailed):
		return &Error{Code: Conflict, Message: fmt.Sprintf("test operation failed at %s", path), Err: err}
	case errors.Is(err, merge.ErrInvalid):
		return &Error{Code: Malformed, Message: err.Error(), Err: err}
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// arrayRule returns the Merge hook for the schema's plurals.
func (s *schema) arrayRule(doc map[string]any) func(string) merge.ArrayRule {
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

// keyGen returns a generator of fresh element keys. Integer keys are one
// more than the largest integer key present, so they read like the
// sequential ids vendors show; a key freed by a removal can come back. The
// largest key is found once per merge and then counted up, so appending m
// elements to a plural of n costs O(n+m), not O(n·m).
func keyGen(kg KeyGen) func(map[string]bool) any {
	switch kg {
	case KeyGenInt:
		var next int64
		return func(existing map[string]bool) any {
			if next == 0 {
				for k := range existing {
					if n, err := strconv.ParseInt(k, 10, 64); err == nil && n > next {
						next = n
					}
				}
			}
			for {
				next++
				if !existing[strconv.FormatInt(next, 10)] {
					return jsonInt(next)
				}
			}
		}
	case KeyGenUUID:
		return func(map[string]bool) any { return uuid.NewString() }
	}
	return nil
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
		value, _ = setPath(value, rel, fill, false)
	}
	return value
}

// freshKeys gives every element of the plurals inside a replaced value a
// new key, numbered past the keys stored, so no old key is reused.
func (s *schema) freshKeys(at []string, doc map[string]any, value any) any {
	for _, r := range s.rules {
		pl := r.f.Plural
		if pl == nil || pl.KeyGen == KeyGenNone || r.wildcard || !under(r.path, pointer(at)) {
			continue
		}
		rel := r.segs[len(at):]
		arr, ok := getPath(value, rel)
		elems, isArr := arr.([]any)
		if !ok || !isArr || len(elems) == 0 {
			continue
		}
		seen := map[string]bool{}
		if old, ok := getPath(doc, r.segs); ok {
			if olds, ok := old.([]any); ok {
				collectKeys(olds, pl.Key, seen)
			}
		}
		out := assignKeys(elems, pl, seen, true)
		value, _ = setPath(value, rel, out, false)
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

// checkChanges validates what a change list did to the document: grants,
// mutability, types, rules, limits, required fields and locally unique
// plural members. It returns every failing field.
func (e *Engine) checkChanges(s *schema, g Grant, old, doc map[string]any, changes []merge.Change) error {
	var forbid, fixed, invalid, limit []FieldError
	plurals := map[string]*rule{}
	for _, c := range changes {
		segs, err := merge.ParsePointer(c.Path)
		if err != nil {
			return &Error{Code: Internal, Message: "internal error", Err: err}
		}
		if !g.allows(c.Path) {
			if !g.above(c.Path) || !grantCovers(g, segs, c.Old) || !grantCovers(g, segs, c.New) {
				forbid = append(forbid, FieldError{Path: c.Path, Rule: RuleGrant, Message: "may not be written by this client"})
				continue
			}
		}
		cv := s.lookup(segs)
		gov := cv.rule
		if gov == nil {
			gov = cv.ancestor
		}
		if gov != nil {
			switch gov.f.Mutability {
			case ReadOnly:
				fixed = append(fixed, FieldError{Path: c.Path, Rule: RuleReadOnly, Message: "is read-only"})
				continue
			case SetOnce:
				if c.Op != merge.OpAdd {
					fixed = append(fixed, FieldError{Path: c.Path, Rule: RuleImmutable, Message: "cannot be changed once set"})
					continue
				}
			}
		}
		for i := len(segs); i >= 0; i-- {
			if r := s.ruleAt(segs[:i]); r != nil && r.f.Plural != nil {
				plurals[r.path] = r
			}
		}
		if c.Op != merge.OpRemove {
			invalid = e.checkValue(s, segs, c.New, invalid, &limit)
		}
	}
	for path, r := range plurals {
		arr, _ := getPath(doc, r.segs)
		elems, _ := arr.([]any)
		if len(elems) > s.limits.MaxPlural {
			limit = append(limit, FieldError{Path: path, Rule: RuleLimit, Param: "plural", Message: fmt.Sprintf("has more than %d elements", s.limits.MaxPlural)})
		}
		invalid = append(invalid, locallyUnique(path, r.f.Plural, elems)...)
	}
	if len(changes) > 0 {
		for _, r := range s.require {
			invalid = append(invalid, requiredMissing(r, nil, doc)...)
		}
	}
	switch {
	case len(forbid) > 0:
		return &Error{Code: Forbidden, Message: "the client may not write these fields", Fields: sortFields(forbid)}
	case len(limit) > 0:
		return &Error{Code: TooLarge, Message: "the change exceeds a limit", Fields: sortFields(limit)}
	case len(fixed) > 0:
		return &Error{Code: Immutable, Message: "read-only fields cannot be changed", Fields: sortFields(append(fixed, invalid...))}
	case len(invalid) > 0:
		return &Error{Code: Invalid, Message: "the change has invalid fields", Fields: sortFields(invalid)}
	}
	return nil
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

// checkValue checks a written value against the rules at its path and
// below it.
func (e *Engine) checkValue(s *schema, segs []string, v any, errs []FieldError, limit *[]FieldError) []FieldError {
	path := pointer(segs)
	if len(segs) > s.limits.MaxDepth {
		*limit = append(*limit, FieldError{Path: path, Rule: RuleLimit, Param: "depth", Message: fmt.Sprintf("is nested deeper than %d", s.limits.MaxDepth)})
		return errs
	}
	cv := s.lookup(segs)
	if r := cv.rule; r != nil && v != nil {
		if !typeOK(r.f.Type, v) {
			return append(errs, FieldError{Path: path, Rule: RuleType, Param: string(r.f.Type), Message: "must be of type " + string(r.f.Type)})
		}
		errs = append(errs, e.runRules(path, r.f.Rules, v)...)
	}
	if !cv.inner {
		return errs
	}
	switch x := v.(type) {
	case map[string]any:
		for k, mv := range x {
			errs = e.checkValue(s, appendSeg(segs, k), mv, errs, limit)
		}
	case []any:
		for i, ev := range x {
			errs = e.checkValue(s, appendSeg(segs, strconv.Itoa(i)), ev, errs, limit)
		}
	}
	return errs
}

// requiredMissing reports a required rule's missing values in doc. A rule
// below an absent or non-object parent does not apply.
func requiredMissing(r *rule, prefix []string, cur any) []FieldError {
	depth := len(prefix)
	if depth == len(r.segs)-1 {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if v, present := m[r.segs[depth]]; !present || v == nil {
			return []FieldError{{Path: pointer(appendSeg(prefix, r.segs[depth])), Rule: RuleRequired, Message: "is required"}}
		}
		return nil
	}
	seg := r.segs[depth]
	if seg == "*" {
		arr, _ := cur.([]any)
		var out []FieldError
		for i, el := range arr {
			out = append(out, requiredMissing(r, appendSeg(prefix, strconv.Itoa(i)), el)...)
		}
		return out
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[seg]
	if !ok {
		return nil
	}
	return requiredMissing(r, appendSeg(prefix, seg), next)
}

func locallyUnique(path string, pl *Plural, elems []any) []FieldError {
	var out []FieldError
	for _, member := range pl.LocallyUnique {
		seen := make(map[string]int, len(elems))
		for i, el := range elems {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			k, ok := keyString(m[member])
			if !ok {
				continue
			}
			if j, dup := seen[k]; dup {
				out = append(out, FieldError{Path: fmt.Sprintf("%s/%d/%s", path, i, member), Rule: RuleLocal,
					Message: fmt.Sprintf("repeats the value of element %d", j)})
				continue
			}
			seen[k] = i
		}
	}
	return out
}

// computeKeys returns the record's unique keys for doc and its pending
// challenges: external keys carried over, unique fields, and held values
// that reserve their uniqueness.
func (s *schema) computeKeys(old []storage.Key, doc map[string]any, pending []verify.Challenge) ([]storage.Key, error) {
	keys := make([]storage.Key, 0, len(old)+len(s.unique))
	for _, k := range old {
		if !strings.HasPrefix(k.Name, "/") {
			keys = append(keys, k)
		}
	}
	seen := map[storage.Key]bool{}
	for _, r := range s.unique {
		v, ok := getPath(doc, r.segs)
		if !ok || v == nil {
			continue
		}
		ks, ok := keyString(v)
		if !ok {
			return nil, &Error{Code: Invalid, Message: "a unique field must be a string, number or boolean",
				Fields: []FieldError{{Path: r.path, Rule: RuleType, Message: "must be a string, number or boolean to be unique"}}}
		}
		k := storage.Key{Name: r.path, Value: ks}
		seen[k] = true
		keys = append(keys, k)
	}
	for _, ch := range pending {
		if ch.State != verify.Pending || !ch.Held {
			continue
		}
		r := s.ruleAt(mustSegs(ch.Path))
		if r == nil || !r.f.Unique || r.f.Confirm == nil || !r.f.Confirm.ReservePending {
			continue
		}
		v, err := decodeValue(ch.Value)
		if err != nil {
			return nil, err
		}
		if ks, ok := keyString(v); ok && !seen[storage.Key{Name: ch.Path, Value: ks}] {
			k := storage.Key{Name: ch.Path, Value: ks}
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Name != keys[j].Name {
			return keys[i].Name < keys[j].Name
		}
		return keys[i].Value < keys[j].Value
	})
	return keys, nil
}

// touchesUnique reports whether a change lies on the path of a unique
// field (at it, above it or below it), so the record's keys may differ.
func (s *schema) touchesUnique(changes []merge.Change) bool {
	for _, c := range changes {
		for _, r := range s.unique {
			if under(r.path, c.Path) || under(c.Path, r.path) {
				return true
			}
		}
	}
	return false
}

func sortFields(fs []FieldError) []FieldError {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs
}

// checkExpect compares the request's preconditions with the record.
func checkExpect(x Expect, rec *storage.Record) error {
	if x.Version != nil && *x.Version != rec.Version {
		return &Error{Code: Conflict, Message: fmt.Sprintf("version is %d, not %d", rec.Version, *x.Version), Reason: ReasonVersion}
	}
	if x.Created != nil && !sameInstant(*x.Created, rec.Created) {
		return &Error{Code: Conflict, Message: "created does not match the record", Reason: ReasonCreated}
	}
	if x.Updated != nil && !sameInstant(*x.Updated, rec.Updated) {
		return &Error{Code: Conflict, Message: "updated does not match the record", Reason: ReasonUpdated}
	}
	return nil
}

// sameInstant compares to the microsecond, the finest precision vendors
// (and PostgreSQL) carry.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
