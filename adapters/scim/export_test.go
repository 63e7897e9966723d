package scim

import "github.com/idupdate/idupdate/update"

// DecodeUserPatch is DecodePatch for the User resource of cfg, for the
// benchmarks that apply what a PATCH /Users request decodes to.
func DecodeUserPatch(cfg Config, body []byte) ([]update.Modification, error) {
	return DecodePatch(resourceTypes(cfg.withDefaults())[0], body)
}
