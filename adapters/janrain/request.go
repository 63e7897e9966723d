package janrain

import (
	"encoding/json"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// Request turns a write Call (entity.update, entity.replace, or
// entity.delete with attribute_name) into the one engine request that
// performs it. It reads no record: plural elements are named by key
// selectors and the created and lastUpdated preconditions travel as
// Expect, so the engine resolves and checks both inside the transaction
// that writes, and a concurrent write can neither slip in between nor
// turn into a refusal.
//
// With the deepest plural element on attribute_name as the anchor (the
// root when there is none), and the attribute names below it as the rest:
//   - entity.update merges value, wrapped in the rest, into the anchor, so
//     missing objects on the way are created and a plural met on the way
//     keeps its own rule (append, replace by id);
//   - entity.replace replaces the attribute: at its own path when its
//     parent is the anchor or when it is an object or a plural (whose
//     parent must then exist); a plain value further down is merged in
//     wrapped like an update, which creates missing parents and is the
//     same change;
//   - entity.delete removes one plural element, or sets an attribute to
//     null ([] for a plural).
func (c *Call) Request(s *Schema, client string) (update.Request, error) {
	req := update.Request{
		Type: c.Type, Locator: c.Locator, Client: client, Actor: client,
		IncludeRecord: c.IncludeRecord, Expect: c.expect(),
	}
	anchor, rest := c.Path.split()
	switch c.Op {
	case OpUpdate:
		req.Mode, req.Path, req.Doc = update.Merge, anchor, wrap(rest, c.Value)
	case OpReplace:
		value := withElementID(c.Path, c.Value)
		f := s.field(c.Path.Schema())
		if len(rest) <= 1 || f == nil || f.Type == update.TypeObject || f.Plural != nil {
			req.Mode, req.Path, req.Doc = update.Replace, c.Path.Pointer(), value
		} else {
			req.Mode, req.Path, req.Doc = update.Merge, anchor, wrap(rest, value)
		}
	case OpDelete:
		if c.Path.Element() {
			req.Mode, req.Ops = update.Patch, []merge.Operation{{Op: "remove", Path: c.Path.Pointer()}}
		} else {
			req.Mode, req.Path, req.Doc = update.Replace, c.Path.Pointer(), emptyValue(s.field(c.Path.Schema()))
		}
	default:
		return update.Request{}, newArgError(update.Internal, "", "", "operation "+c.Op.String()+" is not a write")
	}
	return req, nil
}

// DeleteRequest returns the engine request of entity.delete without
// attribute_name: the record goes, if the preconditions sent hold.
func (c *Call) DeleteRequest(client string) update.DeleteRequest {
	return update.DeleteRequest{Type: c.Type, Locator: c.Locator, Client: client, Actor: client, Expect: c.expect()}
}

// expect returns the preconditions sent, which the engine compares at
// the microsecond precision Capture's timestamps carry.
func (c *Call) expect() update.Expect {
	return update.Expect{Created: c.Created, Updated: c.LastUpdated}
}

// wrap returns value inside the objects the attribute names lead through:
// wrap(["primaryAddress", "city"], v) is {"primaryAddress": {"city": v}}.
func wrap(names []string, value any) any {
	for i := len(names) - 1; i >= 0; i-- {
		value = map[string]any{names[i]: value}
	}
	return value
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
