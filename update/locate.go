package update

import (
	"context"
	"fmt"

	"github.com/idupdate/idupdate/merge"
)

// locate resolves a Locator to a record id.
func (e *Engine) locate(ctx context.Context, s *schema, loc Locator) (string, error) {
	switch {
	case loc.ID != "" && loc.Key == nil:
		if len(loc.ID) > 256 {
			return "", Errorf(Malformed, "record id is too long")
		}
		if err := checkLocatorText(loc); err != nil {
			return "", err
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
	if err := checkLocatorText(loc); err != nil {
		return "", err
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
		var ok bool
		if k.Value, ok = r.lookupKey(k.Value); !ok {
			return "", Errorf(NotFound, "no record with %s", k.Name)
		}
	}
	rec, err := e.store.Find(ctx, s.name, k)
	if err != nil {
		return "", e.storeError(err)
	}
	if r != nil {
		// A held value reserves its key without being established: it does
		// not name the record.
		if v, ok := getPath(rec.Doc, r.segs); !ok || !r.keyEquals(v, k.Value) {
			return "", Errorf(NotFound, "no record with %s", k.Name)
		}
	}
	return rec.ID, nil
}

func (r *rule) keyEquals(v any, s string) bool {
	ks, err := r.uniqueKey(v)
	return err == nil && ks == s
}
