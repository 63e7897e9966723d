package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/examples/internal/shimconfig"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// vendorType returns the record type of a vendor profile the importer
// creates records under, "" for another name.
func vendorType(name string) string {
	switch name {
	case "janrain":
		return janrain.EntityType
	case "druid":
		return druid.EntityType
	case "rubiq":
		return rubiq.EntityType
	case "zitadel":
		return zitadel.EntityType
	}
	return ""
}

// profile is what the importer creates records with.
type profile struct {
	eng *update.Engine
	typ string
	// request returns the create request for one line's document; the
	// importer adds its own key and the dry-run flag.
	request func(doc map[string]any) update.CreateRequest
}

// discard drops verification messages: an import mails nobody.
var discard = verify.DispatcherFunc(func(context.Context, verify.Message) error { return nil })

// newProfile builds the engine over store from -vendor (through the shim
// server's adapters and configuration) or -policy.
func newProfile(f flags, store storage.Store, codeKey []byte, logger *slog.Logger) (*profile, error) {
	opts := []update.Option{update.WithDispatcher(discard), update.WithCodeKey(codeKey), update.WithLogger(logger)}
	if f.policy != "" {
		pol, err := update.LoadPolicy(f.policy)
		if err != nil {
			return nil, err
		}
		eng, err := update.New(store, pol, opts...)
		if err != nil {
			return nil, err
		}
		client := f.client
		return &profile{eng: eng, typ: f.typ, request: func(doc map[string]any) update.CreateRequest {
			return update.CreateRequest{Type: f.typ, Client: client, Actor: client, Doc: doc}
		}}, nil
	}
	cfg, err := shimconfig.Load(f.config)
	if err != nil {
		return nil, err
	}
	adapters, err := shimconfig.Build(store, cfg, logger, func(string) []update.Option { return opts })
	if err != nil {
		return nil, err
	}
	for _, a := range adapters {
		if a.Name != f.vendor {
			continue
		}
		typ, client := vendorType(f.vendor), f.client
		request := func(doc map[string]any) update.CreateRequest {
			return update.CreateRequest{Type: typ, Client: client, Actor: client, Doc: doc}
		}
		if f.vendor == "janrain" {
			request = func(doc map[string]any) update.CreateRequest { return janrain.CreateRequest(client, doc) }
		}
		return &profile{eng: a.Engine, typ: typ, request: request}, nil
	}
	return nil, fmt.Errorf("%w: no adapter %q", errUsage, f.vendor)
}

// checkGrant refuses a client whose grant does not allow creating records
// of the type, before any line is read: otherwise every line would be
// reported for the same reason.
func (p *profile) checkGrant(ctx context.Context) error {
	req := p.request(map[string]any{})
	req.ID, req.DryRun, req.Server = "grant-check", true, nil
	_, err := p.eng.Create(ctx, req)
	if c := update.ErrorCode(err); c == update.Forbidden || c == update.NotFound {
		return fmt.Errorf("%w: client %q cannot create %s records: %w", errUsage, req.Client, p.typ, err)
	}
	return nil
}

// quietLogger logs warnings and errors only, as text on w.
func quietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
