package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
)

// banner is what the startup text needs to know.
type banner struct {
	addr, store, storeKind, storeArg, webhook string
	key                                       storeopen.KeySource
	demoConfig, demoData                      bool
	keys                                      storeopen.KeyCheck
	demo                                      demoState
	reset                                     int  // demo records -reset deleted
	resetAsked                                bool // -reset was given
	metricsAddr, otlp                         string
}

// printBanner writes the startup text: where the server listens, what it
// stores in, where codes go, and, for the built-in demo configuration, the
// demo credentials and records with one ready-to-paste curl per vendor.
// The demo credentials are public test values; a -config file's secrets
// are never printed.
func printBanner(w io.Writer, b banner) {
	base := "http://" + b.addr
	var s strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&s, format+"\n", args...) }

	p("idupdate shim server: Janrain, DRUID, Rubiq, ZITADEL and SCIM 2.0 on one port")
	p("  listening  %s   (health: curl -s %s/healthz, readiness: /readyz)", base, base)
	p("  store      %s", b.store)
	printStoreState(p, b)
	if b.metricsAddr != "" {
		p("  metrics    http://%s/metrics", b.metricsAddr)
	}
	if b.otlp != "" {
		p("  traces     OTLP to %s", b.otlp)
	}
	if b.keys.Checked {
		p("  code key   %s (fingerprint %s…, recorded in the store)", b.key.From, storeopen.ShortPrint(storeopen.Fingerprint(b.key.Key)))
	} else {
		p("  code key   %s", b.key.From)
	}
	if b.keys.Mismatch {
		p("")
		p("  !!! CODE KEY CHANGED: the store's codes were hashed with another key, and")
		p("  !!! -code-key-mismatch=warn adopted this one. %s can no longer be", storeopen.PendingCodes(b.keys.Lost))
		p("  !!! confirmed; they answer as wrong codes and must be sent again.")
		p("")
	}
	if b.key.Ephemeral && b.storeKind == "postgres" { // a store without storage.Meta
		p("  WARNING    the code key dies with this process, so pending codes do not survive a restart;")
		p("             set -code-key-file or IDUPDATE_CODE_KEY")
	}
	if b.webhook != "" {
		p("  codes      sent to the webhook %s", b.webhook)
	} else {
		p("")
		p("  !!! DEVELOPMENT MODE: verification codes are written to the log (stderr,")
		p("  !!! lines \"verification code\") in clear text. Anyone who reads the log")
		p("  !!! can confirm any pending change. Use -webhook URL for anything else.")
	}
	p("")
	if !b.demoData {
		p("Demo records were not loaded (-demo=false).")
		p("")
	}
	if !b.demoConfig {
		p("Clients and tokens come from the -config file (not printed).")
		p("")
	} else {
		printDemo(p, base, b.demoData)
	}
	p("Stop with Ctrl-C: requests in flight finish, then the store is closed.")
	_, _ = io.WriteString(w, s.String())
}

// printStoreState says whether the store was new and, when the demo
// records in it have changed since they were loaded, that the README
// sessions will answer differently and how to start fresh.
func printStoreState(p func(string, ...any), b banner) {
	switch {
	case !b.demoData:
	case b.resetAsked:
		p("             demo records reset (-reset): %d deleted and loaded fresh", b.reset)
	case b.demo.found == 0:
		p("             new: demo records loaded")
	case b.demo.changed == 0:
		p("             existing, demo records as loaded")
	default:
		p("             EXISTING STORE: %d of %d demo records changed since they were loaded,", b.demo.changed, len(demoRecords))
		p("             last change %s (%s).", b.demo.last.UTC().Format("2006-01-02 15:04:05 UTC"), b.demo.lastRec)
		p("             The README sessions start from fresh demo data and will answer differently.")
		if b.storeKind == "sqlite" {
			p("             Start fresh: add -reset (reloads the demo records), or stop and rm %s %s-wal %s-shm", b.storeArg, b.storeArg, b.storeArg)
		} else {
			p("             Start fresh: add -reset (reloads the demo records)")
		}
	}
}

// printDemo lists the demo credentials, records and one curl per vendor.
func printDemo(p func(string, ...any), base string, records bool) {
	j := janrain.DemoConfig()
	p("Demo credentials (public test values; never use them for real data)")
	p("  Janrain   Basic owner clients %s:%s", j.Clients[0].ID, j.Clients[0].Secret)
	p("                            and %s:%s", j.Clients[1].ID, j.Clients[1].Secret)
	p("            read-only client %s:%s", j.Clients[2].ID, j.Clients[2].Secret)
	p("  DRUID     client %s / %s, entry point (From header) %s", druid.DemoClientID, druid.DemoSecret, druid.DemoEntryPoint)
	p("            Bearer %s (the demo user's own access token)", druid.DemoUserToken)
	p("  Rubiq     Bearer demo-rubiq-app (may update; contracts default, profile), demo-rubiq-envelope (envelope mode), demo-rubiq-readonly (may only read)")
	p("  ZITADEL   Bearer %s (user.write on org %s), %s (the demo user's own token)", zitadel.DemoAdminToken, zitadel.DemoOrgID, zitadel.DemoSelfToken)
	p("  SCIM      at /scim/v2: Bearer demo-scim-admin (provisions), demo-scim-readonly (reads), demo-scim-bjensen (/Me)")
	p("")
	if records {
		p("Demo records")
		p("  Janrain   user id %s (uuid %s) Matthew Park, status element 5253;", janrain.DemoID, janrain.DemoUUID)
		p("            user id %s, gjack@example.com, \"G Jack\"", janrain.DemoSecondID)
		p("  DRUID     user %s, jane@example.com and +34600111222 confirmed", druid.DemoUserID)
		p("  Rubiq     entity 1001 (ext-key crm-42 of type crm) Ola Nordmann; entity 1002, inactive")
		p("  ZITADEL   user %s (minnie) in org %s", zitadel.DemoUserID, zitadel.DemoOrgID)
		p("  SCIM      users bjensen (%s) and jsmith, group Tour Guides", scim.DemoUserID)
		p("")
	}
	p("Try (adapters/<vendor>/README.md has a full session per vendor):")
	p("  curl -s -u %s:%s --data-urlencode type_name=user --data-urlencode id=%s %s/entity",
		j.Clients[2].ID, j.Clients[2].Secret, janrain.DemoID, base)
	p("  curl -s -d grant_type=urn:druid:oauth2:grant-type:code_challenge -d client_id=%s -d client_secret=%s -d code_challenge=my-verifier-of-at-least-43-characters-0123456 -d code_challenge_method=plain %s%s",
		druid.DemoClientID, druid.DemoSecret, base, druid.PathToken)
	p("  curl -s -X PUT -H 'Authorization: Bearer demo-rubiq-app' -H 'Content-Type: application/json' -d '{\"city\":\"Oslo\"}' %s/userentity/dp-keyid/1001/data", base)
	p("  curl -s -H 'Authorization: Bearer %s' %s/v2/users/%s", zitadel.DemoAdminToken, base, zitadel.DemoUserID)
	p("")
}
