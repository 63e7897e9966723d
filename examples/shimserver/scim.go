package main

import (
	"fmt"

	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/update"
)

// newSCIM builds the SCIM 2.0 adapter, mounted at its configured prefix
// (/scim/v2 in the demo configuration), over the shared store.
func newSCIM(d deps, cfg vendorConfigs, opts ...update.Option) (*scim.Handler, error) {
	sc := cfg.SCIM
	sc.Logger = d.logger.With("vendor", "scim")
	h, err := scim.New(sc, d.store, d.engineOptions("scim", opts...)...)
	if err != nil {
		return nil, fmt.Errorf("scim adapter: %w", err)
	}
	return h, nil
}
