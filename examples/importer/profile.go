package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/adapters/scim"
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
	case "scim":
		return scim.EntityUser
	}
	return ""
}

// vendorFormats are the -format values naming a vendor's create body,
// each read under the -vendor of the same name.
var vendorFormats = []string{"janrain", "zitadel", "scim"}

// profile is what the importer creates records with.
type profile struct {
	eng    *update.Engine
	typ    string
	client string
	// request decodes one line into its create request; the importer adds
	// its own key and the dry-run flag. Its errors are the line's.
	request func(data []byte) (update.CreateRequest, error)
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
		return &profile{eng: eng, typ: f.typ, client: f.client, request: engineShaped(f, f.typ)}, nil
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
		p := &profile{eng: a.Engine, typ: vendorType(f.vendor), client: f.client}
		switch {
		case f.format == "engine":
			p.request = engineShaped(f, p.typ)
		case a.Create == nil:
			return nil, fmt.Errorf("%w: the %s adapter builds no create request from a body", errUsage, f.vendor)
		default:
			// The adapter decodes the body as its create call does.
			create, client := a.Create, f.client
			p.request = func(data []byte) (update.CreateRequest, error) { return create(client, data) }
		}
		return p, nil
	}
	return nil, fmt.Errorf("%w: no adapter %q", errUsage, f.vendor)
}

// engineShaped returns the request builder of -format engine: each line
// is the document a record of type typ stores (for Janrain, as
// entity.create makes it: with a fresh uuid and the next id).
func engineShaped(f flags, typ string) func([]byte) (update.CreateRequest, error) {
	client, vendor, maxLine := f.client, f.vendor, f.maxLine
	return func(data []byte) (update.CreateRequest, error) {
		doc, err := decodeLine(data, maxLine)
		if err != nil {
			return update.CreateRequest{}, err
		}
		if vendor == "janrain" {
			return janrain.CreateRequest(client, doc), nil
		}
		return update.CreateRequest{Type: typ, Client: client, Actor: client, Doc: doc}, nil
	}
}

// checkGrant refuses a client whose grant does not allow creating records
// of the type, or whom the vendor's create call refuses, before any line
// is read: otherwise every line would be reported for the same reason.
func (p *profile) checkGrant(ctx context.Context) error {
	_, err := p.request([]byte("{}"))
	if c := update.ErrorCode(err); c == update.Forbidden {
		return fmt.Errorf("%w: client %q cannot create %s records: %w", errUsage, p.client, p.typ, err)
	}
	req := update.CreateRequest{ID: "grant-check", Type: p.typ, Client: p.client, Actor: p.client, Doc: map[string]any{}, DryRun: true}
	_, err = p.eng.Create(ctx, req)
	if c := update.ErrorCode(err); c == update.Forbidden || c == update.NotFound {
		return fmt.Errorf("%w: client %q cannot create %s records: %w", errUsage, p.client, p.typ, err)
	}
	return nil
}

// quietLogger logs warnings and errors only, as text on w.
func quietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
