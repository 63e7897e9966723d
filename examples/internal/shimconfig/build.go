package shimconfig

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// Adapter is one vendor's adapter built over a store: its own engine
// (with the vendor's profile as policy), its demo seeding and its routes.
type Adapter struct {
	Name     string
	Engine   *update.Engine
	Seed     func(context.Context, *update.Engine) error
	Register func(*http.ServeMux)
	// Create, when not nil, returns the engine request the vendor's own
	// create call makes for a request body sent by the client with the
	// given id, decoded and checked by the adapter (Janrain's
	// entity.create attributes, ZITADEL's AddHumanUser, SCIM's POST
	// /Users).
	Create func(client string, body []byte) (update.CreateRequest, error)
}

// Build builds every adapter over one store, in the order janrain,
// druid, rubiq, zitadel, scim. Each gets the logger (with a "vendor"
// attribute), the quotas of cfg, and then opts(name). The record types
// are namespaced (janrain.user, druid.user, ...), so the adapters share
// the store without meeting.
func Build(store storage.Store, cfg Vendors, logger *slog.Logger, opts func(vendor string) []update.Option) ([]Adapter, error) {
	jc, dc, rc, zc, sc := cfg.Janrain, cfg.DRUID, cfg.Rubiq, cfg.ZITADEL, cfg.SCIM
	jc.Logger = logger.With("vendor", "janrain")
	dc.Logger = logger.With("vendor", "druid")
	rc.Logger = logger.With("vendor", "rubiq")
	zc.Logger = logger.With("vendor", "zitadel")
	sc.Logger = logger.With("vendor", "scim")
	with := func(name string) []update.Option {
		return append([]update.Option{update.WithQuotas(cfg.Quotas)}, opts(name)...)
	}
	jh, err := janrain.New(jc, store, with("janrain")...)
	if err != nil {
		return nil, fmt.Errorf("janrain adapter: %w", err)
	}
	dh, err := druid.New(dc, store, with("druid")...)
	if err != nil {
		return nil, fmt.Errorf("druid adapter: %w", err)
	}
	rh, err := rubiq.New(rc, store, with("rubiq")...)
	if err != nil {
		return nil, fmt.Errorf("rubiq adapter: %w", err)
	}
	zh, err := zitadel.New(zc, store, with("zitadel")...)
	if err != nil {
		return nil, fmt.Errorf("zitadel adapter: %w", err)
	}
	// SCIM is mounted at its configured prefix (/scim/v2 in the demo).
	sh, err := scim.New(sc, store, with("scim")...)
	if err != nil {
		return nil, fmt.Errorf("scim adapter: %w", err)
	}
	return []Adapter{
		{"janrain", jh.Engine(), janrain.SeedDemo, jh.Register, jh.CreateRequest},
		{"druid", dh.Engine(), druid.SeedDemo, dh.Register, nil},
		{"rubiq", rh.Engine(), rubiq.SeedDemo, rh.Register, nil},
		{"zitadel", zh.Engine(), zitadel.SeedDemo, zh.Register, zh.CreateRequest},
		{"scim", sh.Engine(), scim.SeedDemo, sh.Register, sh.CreateUserRequest},
	}, nil
}
