package janrain

import (
	"encoding/json"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// NeedsRead reports whether Plan needs the record as it is: for a path
// (element ids to resolve, missing parents to create) or for created and
// lastUpdated preconditions. A write of the whole record needs none.
func NeedsRead(c *Call) bool {
	return len(c.Path) > 0 || c.Created != nil || c.LastUpdated != nil || c.Op == OpDelete
}

// Plan turns a write Call into the engine request for the record v as it
// was read: preconditions are checked against v at Capture's precision,
// plural element ids are resolved to indices in v, and the request
// expects v's version, so a concurrent write in between makes the engine
// answer Conflict instead of writing to the wrong element. v may be nil
// when NeedsRead(c) is false: the request then locates the record by the
// call's own locator and expects nothing.
//
// A nil request with a nil error means there is nothing to do (deleting an
// attribute that is already absent). Plan does not handle the deletion of
// a whole record.
func Plan(c *Call, v *update.View, s *Schema, client string) (*update.Request, error) {
	if v == nil {
		if NeedsRead(c) {
			return nil, newArgError(update.Internal, "", "", "the record must be read first")
		}
		v = &update.View{}
	}
	if c.Created != nil && !sameTime(*c.Created, v.Created) {
		return nil, newArgError(update.Conflict, "", "created", "created does not match the record's "+FormatTime(v.Created))
	}
	if c.LastUpdated != nil && !sameTime(*c.LastUpdated, v.Updated) {
		return nil, newArgError(update.Conflict, "", "lastUpdated", "lastUpdated does not match the record's "+FormatTime(v.Updated))
	}
	req := &update.Request{
		Type: c.Type, Locator: c.Locator, Client: client, Actor: client, IncludeRecord: c.IncludeRecord,
	}
	if v.ID != "" {
		version := v.Version
		req.Locator, req.Expect.Version = update.ByID(v.ID), &version
	}
	ptr, _, exists, err := c.Path.Resolve(v.Doc)
	if err != nil {
		return nil, pathError(err)
	}
	switch c.Op {
	case OpUpdate:
		req.Mode = update.Merge
		req.Path, req.Doc, err = lift(update.Merge, c.Path, c.Value, v.Doc)
	case OpReplace:
		req.Mode = update.Replace
		req.Path, req.Doc, err = lift(update.Replace, c.Path, withElementID(c.Path, c.Value), v.Doc)
	case OpDelete:
		switch {
		case c.Path.Element():
			req.Mode = update.Patch
			req.Ops = []merge.Operation{{Op: "remove", Path: ptr}}
		case !exists:
			return nil, nil
		default:
			req.Mode, req.Path, req.Doc = update.Replace, ptr, emptyValue(s.field(c.Path.Schema()))
		}
	default:
		return nil, newArgError(update.Internal, "", "", "operation "+c.Op.String()+" is not a write")
	}
	if err != nil {
		return nil, err
	}
	return req, nil
}

// lift places value at p for the engine, which does not create missing
// parents and applies a plural's own rule (append, replace by id) only to
// an array sent inside its parent object. With d the deepest prefix of p
// that is an existing object in doc:
//   - Merge sends value wrapped in the rest of p to that object: a value
//     for "/primaryAddress/city" on a record without primaryAddress merges
//     {"primaryAddress":{"city":value}} into the root;
//   - Replace replaces the member of that object on the way to p, with
//     value wrapped in the rest: {"city":value} at "/primaryAddress".
func lift(mode update.Mode, p Path, value any, doc map[string]any) (string, any, error) {
	d := 0
	for k := len(p); k > 0; k-- {
		_, cur, exists, err := p[:k].Resolve(doc)
		if err != nil {
			return "", nil, pathError(err)
		}
		if _, isObj := cur.(map[string]any); exists && isObj {
			d = k
			break
		}
	}
	at := d
	if mode == update.Replace && d < len(p) {
		at = d + 1
	}
	ptr, _, _, err := p[:at].Resolve(doc)
	if err != nil {
		return "", nil, pathError(err)
	}
	for i := len(p) - 1; i >= at; i-- {
		value = map[string]any{p[i].Name: value}
	}
	return ptr, value, nil
}

// withElementID returns value with the element id of p set, so that
// replacing one plural element keeps its id. value was checked to be an
// object for element paths.
func withElementID(p Path, value any) any {
	obj, ok := value.(map[string]any)
	if !p.Element() || !ok {
		return value
	}
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	out["id"] = json.Number(p[len(p)-1].Element)
	return out
}

// emptyValue is what a deleted attribute becomes: [] for a plural, null
// otherwise.
func emptyValue(f *update.Field) any {
	if f != nil && f.Plural != nil {
		return []any{}
	}
	return nil
}
