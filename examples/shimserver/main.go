// Command shimserver serves the Janrain, DRUID, Rubiq and ZITADEL adapters
// on one port over one store, with demo data, so each vendor's documented
// curl commands work against it unchanged.
//
// Usage:
//
//	go run ./examples/shimserver [flags]
//
// Flags:
//
//	-addr ADDR              listen address (default 127.0.0.1:8080)
//	-store SPEC             memory | sqlite:PATH | postgres:DSN | postgres
//	                        (default sqlite:idupdate.db; plain "postgres" reads
//	                        the DSN from IDUPDATE_POSTGRES_DSN)
//	-config FILE            clients, tokens, contracts and limits as JSON (see
//	                        demo-config.json); without it the built-in demo
//	                        configuration
//	-demo                   load the demo records that are missing (default true)
//	-reset                  delete the demo records and load them fresh, as on
//	                        a new store; other records stay
//	-webhook URL            POST verification messages there, signed with the
//	                        key from -webhook-key-file or IDUPDATE_WEBHOOK_KEY
//	                        (hex, at least 32 bytes); without it codes are
//	                        written to the log
//	-webhook-key-file FILE  the webhook signing key (hex)
//	-events-webhook URL     POST every committed change there (see events.go),
//	                        signed like -webhook, at least once, with retries
//	                        and backoff, resuming after a restart
//	-code-key-file FILE     the key verification codes are hashed with (hex,
//	                        at least 32 bytes)
//	-code-key-mismatch M    refuse (default) or warn: what to do when the code
//	                        key is not the one the store's codes were hashed with
//	-metrics-addr ADDR      serve Prometheus /metrics on this address (default:
//	                        none)
//	-rekey check|apply      recompute every record's unique keys under the
//	                        current identifier profiles, print the records
//	                        that clash or hold refused values, and exit
//	                        (check writes nothing; the exit status is 1 when
//	                        any record keeps its old keys)
//	-log text|json          log format on stderr (default text)
//	-shutdown-timeout D     how long in-flight requests may take to finish
//	                        after SIGINT or SIGTERM (default 10s)
//	-drain-delay D          on SIGINT or SIGTERM, how long /readyz answers 503
//	                        before the listener closes (default 0)
//
// The -config file is JSON with one optional section per vendor; a
// section left out keeps that vendor's demo configuration, a member left
// out keeps its demo value, and a client list replaces the demo clients
// (DRUID's also the demo user's access token, unless userTokens is given).
// Unknown members are refused. demo-config.json beside this file is the
// built-in demo written out:
//
//	{"janrain": {"clients": [{"id", "secret", "class"}], "maxBody", "maxDepth", "rateLimit"},
//	 "druid":   {"clients": [{"id", "secret", "challengeFlow", "assertConfirmed",
//	             "entryPoints", "scopes"}], "userTokens": [{"token", "client", "user"}],
//	             "tokenTTL", "codeTTL", "resendCooldown",
//	             "region", "maxBodyBytes", "tokenQuota"},
//	 "rubiq":   {"apps": [{"id", "token", "update", "contracts", "defaultContract",
//	             "format"}],
//	             "region", "cooldown", "maxSends", "window", "codeLength", "codeTTL",
//	             "maxAttempts", "releasePending"},
//	 "zitadel": {"clients": [{"id", "token", "orgId", "userId"}], "region",
//	             "urlTemplate", "maxAttempts", "resendCooldown", "maxSends", "sendWindow",
//	             "globalUsernameOrgs"},
//	 "quotas":  {"confirmPerClient", "confirmPerSubject", "resendPerClient",
//	             "resendPerSubject"}}
//
// A quota is {"limit": N, "window": "1m"}: at most N calls in any sliding
// window of that length, counted in the store, so across every server
// process on it. DRUID's tokenQuota bounds the tokens one client is issued
// (default 6000 a minute); the quotas section bounds confirmation attempts
// and resends of every vendor per client (default 600 a minute each) and
// per user (30 confirmations in 10 minutes, 20 resends an hour). A client
// past a quota is answered "too many requests" in its vendor's terms while
// other clients are served.
//
// Janrain's rateLimit is each client's token bucket, {"rate": 100,
// "burst": 6000} by default: burst calls at once, refilled at rate calls a
// second, kept in the store like the quotas. A client whose bucket is
// empty is answered 510 api_limit_error with a Retry-After header.
//
// A Rubiq app's format is "plain" (the default) or "envelope", which wraps
// each of its answers as {"status":{"statusCode":200,"statusText":"OK"},
// "data":...}.
//
// Durations are strings such as "90s" or "24h". The DRUID and ZITADEL demo
// records are created as the demo clients, so a config without those
// clients needs -demo=false.
//
// The code key decides whether pending codes survive a restart. It is taken
// from -code-key-file, else from IDUPDATE_CODE_KEY (hex), else: with
// sqlite:PATH from the file PATH.key, created with a random key (mode 0600)
// when missing; with postgres the key the store holds, created once per
// store by the first process to start, so every replica on the database
// shares it; with memory a random key that dies with the process.
//
// SQLite and PostgreSQL stores keep a fingerprint of the code key (an HMAC
// of a fixed label under the key, never the key itself). When a start
// brings another key, pending codes hashed with the old one can no longer
// be confirmed: the server refuses to start and says how many codes that
// would strand, or with -code-key-mismatch=warn adopts the new key and
// says the same loudly in the banner and the log.
//
// At startup the banner says whether the store is new, and when the demo
// records in an existing store have changed since they were loaded (how
// many, and when last), since the README sessions then answer
// differently; -reset reloads them. A -store that names a file other than
// an idupdate SQLite database is refused before anything is created.
//
// Without -webhook every verification code is logged in clear text. That
// is meant for trying the server out on one machine, and the server says so
// at startup; never run it that way with real users.
//
// Each request is logged with method, path (no query string), status,
// duration, request id (X-Request-Id, kept when the client sends a plain
// one of up to 64 characters) and trace id (from the request's W3C
// traceparent, or the server's own span when traces are exported). Bodies, headers, credentials and codes are
// never logged, apart from the codes of the development dispatcher above.
//
// With -metrics-addr, GET /metrics there serves Prometheus metrics:
// idupdate_http_requests_total and idupdate_http_request_duration_seconds
// by vendor, route (the mux pattern) and status; the engines'
// OpenTelemetry metrics (idupdate_engine_operations_total by op, type,
// outcome and error code, idupdate_engine_codes_dispatched_total,
// idupdate_engine_codes_throttled_total, idupdate_engine_confirm_locked_total,
// idupdate_engine_store_duration_seconds by op and result, which counts
// store errors too); and the Go runtime's and the process's. When
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is
// set, spans (one per request, one per engine call) are exported over
// OTLP/HTTP; the other OTEL_EXPORTER_OTLP_* variables apply as usual.
//
// GET /healthz answers 200 while the process runs; GET /readyz answers 200
// when the store answers and its schema is at the version this server
// expects, else 503 with the reason.
//
// On SIGINT or SIGTERM /readyz turns 503 first; after -drain-delay the
// server stops accepting connections, lets the requests in flight finish
// (up to -shutdown-timeout) and closes the store. A second signal ends it
// at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/idupdate/idupdate/examples/internal/storeopen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// From here on a second signal takes the default action.
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage), errors.Is(err, storeopen.ErrSpec):
		fmt.Fprintln(os.Stderr, "shimserver:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "shimserver:", err)
		os.Exit(1)
	}
}
