package update

import "github.com/idupdate/idupdate/merge"

// verifiedRemoved returns a "verified" error for each confirmable field
// with Confirm.KeepVerified whose value old holds verified and doc, the
// document after the change, no longer holds.
func verifiedRemoved(s *schema, old, doc map[string]any) []FieldError {
	var errs []FieldError
	for _, r := range s.confirm {
		c := r.f.Confirm
		if !c.KeepVerified || c.VerifiedPath == "" || !verifiedIn(old, r) {
			continue
		}
		if v, ok := getPath(doc, r.segs); ok && v != nil {
			continue
		}
		errs = append(errs, FieldError{Path: r.path, Rule: RuleVerified, Message: "is verified and cannot be removed, only replaced"})
	}
	return errs
}

// verifiedIn reports whether doc holds a value for r and marks it verified.
func verifiedIn(doc map[string]any, r *rule) bool {
	v, ok := getPath(doc, r.segs)
	if !ok || v == nil || v == "" {
		return false
	}
	segs, err := merge.ParsePointer(r.f.Confirm.VerifiedPath)
	if err != nil {
		return false
	}
	flag, _ := getPath(doc, segs)
	return flag == true
}
