package update

import (
	"fmt"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// Timestamps names where the engine writes a record's times into its
// document (Schema.Timestamps), so that clients can filter and sort on
// them like on any other field. Each is a JSON Pointer; empty leaves that
// time out of the document.
type Timestamps struct {
	// Created receives Record.Created, written once, at create.
	Created string `json:"created,omitempty"`
	// Updated receives Record.Updated, written with every change the
	// engine commits.
	Updated string `json:"updated,omitempty"`
}

// TimestampLayout is the form of the times Schema.Timestamps writes: RFC
// 3339 in UTC with all nine fraction digits, the precision the stores
// keep, so that a written time parses back to the record's instant
// exactly and, all being of one width, ordering the strings orders the
// instants.
const TimestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTimestamp returns t as Schema.Timestamps writes it
// (TimestampLayout).
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// compileTimestamps checks Schema.Timestamps: each path a declared,
// read-only string field at a concrete path whose value nothing but the
// engine sets or checks, below read-only objects only, so that no client
// write can replace or remove it.
func (cs *schema) compileTimestamps() error {
	ts := cs.src.Timestamps
	if ts == nil {
		return nil
	}
	var err error
	if cs.createdAt, err = cs.timestampRule("created", ts.Created); err != nil {
		return err
	}
	if cs.updatedAt, err = cs.timestampRule("updated", ts.Updated); err != nil {
		return err
	}
	if a, b := cs.createdAt, cs.updatedAt; a != nil && b != nil && (under(a.path, b.path) || under(b.path, a.path)) {
		return fmt.Errorf("timestamps: created %q and updated %q overlap", a.path, b.path)
	}
	return nil
}

// timestampRule returns the rule of one Timestamps path, or nil for an
// empty one.
func (cs *schema) timestampRule(name, p string) (*rule, error) {
	if p == "" {
		return nil, nil
	}
	segs, err := merge.ParsePointer(p)
	if err != nil {
		return nil, fmt.Errorf("timestamps: %s %q is not a JSON Pointer", name, p)
	}
	r := cs.ruleAt(segs)
	f := (*Field)(nil)
	if r != nil {
		f = r.f
	}
	switch {
	case r == nil || r.wildcard || merge.HasSelector(segs):
		return nil, fmt.Errorf("timestamps: %s %q is not a declared field at a concrete path", name, p)
	case f.Type != TypeString || f.Mutability != ReadOnly:
		return nil, fmt.Errorf("timestamps: %s %q must be a read-only string field", name, p)
	case f.Required || f.Unique || f.Rules != "" || f.Normalize != NormalizeNone || f.Identifier != nil ||
		f.Plural != nil || f.Confirm != nil || f.Secret != nil:
		return nil, fmt.Errorf("timestamps: %s %q cannot be required, unique, normalized, confirmable or secret, nor have rules: the engine writes it", name, p)
	case f.Query != nil && !f.Query.DateTime:
		return nil, fmt.Errorf("timestamps: %s %q is queryable, so it must be queried as a date-time (query.dateTime)", name, p)
	}
	for i := 1; i < len(segs); i++ {
		a := cs.ruleAt(segs[:i])
		if a == nil || a.f.Type != TypeObject || a.f.Mutability != ReadOnly {
			return nil, fmt.Errorf("timestamps: %s %q lies below %q, which must be a declared read-only object", name, p, pointer(segs[:i]))
		}
	}
	return r, nil
}

// stampCreated writes the times of a new record into its document.
func (s *schema) stampCreated(rec *storage.Record) {
	if s.createdAt != nil {
		s.setStamp(rec, s.createdAt, rec.Created, nil)
	}
	if s.updatedAt != nil {
		s.setStamp(rec, s.updatedAt, rec.Updated, nil)
	}
}

// stamp writes the time of o's event, the record's next Updated, into
// the document of rec, which o is about to commit, and lists the change
// in o; a record stored before its schema had Timestamps gets its created
// time too. An outcome that commits nothing is left alone, so a request
// that changes nothing stays unchanged.
func (s *schema) stamp(rec *storage.Record, o *outcome) {
	if o == nil || o.event == nil {
		return
	}
	var added []storage.Change
	if s.createdAt != nil {
		if _, ok := getPath(rec.Doc, s.createdAt.segs); !ok {
			added = s.setStamp(rec, s.createdAt, rec.Created, added)
		}
	}
	if s.updatedAt != nil {
		added = s.setStamp(rec, s.updatedAt, o.event.Time, added)
	}
	if len(added) == 0 {
		return
	}
	// Both lists may share one array; each gets its own.
	o.changes = append(o.changes[:len(o.changes):len(o.changes)], added...)
	o.event.Changes = append(o.event.Changes[:len(o.event.Changes):len(o.event.Changes)], added...)
}

// setStamp writes t at r's path in rec's document and appends the change
// to changes.
func (s *schema) setStamp(rec *storage.Record, r *rule, t time.Time, changes []storage.Change) []storage.Change {
	v := FormatTimestamp(t)
	old, had := getPath(rec.Doc, r.segs)
	if had && old == v {
		return changes
	}
	doc, ok := setPath(rec.Doc, r.segs, v)
	if !ok {
		return changes // a value other than an object in the way, stored before the policy had Timestamps
	}
	rec.Doc = mustObject(doc, true)
	ch := storage.Change{Path: r.path, Op: merge.OpAdd, New: v}
	if had {
		ch.Op, ch.Old = merge.OpReplace, old
	}
	return append(changes, ch)
}
