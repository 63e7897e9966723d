package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/idupdate/idupdate/examples/internal/shimconfig"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/internal/tracelog"
	"github.com/idupdate/idupdate/verify"
)

// flags are the command line settings.
type flags struct {
	addr            string
	store           string
	config          string
	demo            bool
	webhook         string
	webhookKeyFile  string
	eventsWebhook   string
	feedRetention   time.Duration
	codeKeyFile     string
	logFormat       string
	shutdownTimeout time.Duration
	drainDelay      time.Duration
	reset           bool
	rekey           string
	keyMismatch     string
	metricsAddr     string
}

// errUsage marks a command line that cannot be run; the flag package has
// already printed what is wrong.
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flagSet(&f, stderr)
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("%w: %w", errUsage, err)
	}
	return f, f.check(fs)
}

// flagSet defines the command line flags into f.
func flagSet(f *flags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("shimserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&f.store, "store", "sqlite:idupdate.db", "memory | sqlite:PATH | postgres:DSN | postgres (DSN from IDUPDATE_POSTGRES_DSN)")
	fs.StringVar(&f.config, "config", "", "JSON file of clients, tokens, contracts and limits (default: the built-in demo configuration)")
	fs.BoolVar(&f.demo, "demo", true, "load the demo records that are missing")
	fs.StringVar(&f.webhook, "webhook", "", "POST verification messages to this URL (default: write them, codes included, to the log)")
	fs.StringVar(&f.webhookKeyFile, "webhook-key-file", "", "file holding the webhook signing key in hex (default: IDUPDATE_WEBHOOK_KEY)")
	fs.StringVar(&f.eventsWebhook, "events-webhook", "", "POST every committed change to this URL, signed like -webhook, at least once, resuming after restarts")
	fs.DurationVar(&f.feedRetention, "feed-retention", 0, "delete change feed entries older than this once every consumer (such as -events-webhook) has them; 0 keeps them for ever")
	fs.StringVar(&f.codeKeyFile, "code-key-file", "", "file holding the code hashing key in hex (default: IDUPDATE_CODE_KEY, else PATH.key for sqlite:PATH, else the key PostgreSQL holds, else random)")
	fs.StringVar(&f.logFormat, "log", "text", "log format: text or json")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "time in-flight requests get to finish on shutdown")
	fs.DurationVar(&f.drainDelay, "drain-delay", 0, "on shutdown, how long /readyz answers 503 before the server stops accepting requests")
	fs.BoolVar(&f.reset, "reset", false, "delete the demo records and load them fresh, as on a new store (other records stay)")
	fs.StringVar(&f.rekey, "rekey", "", "check | apply: recompute every record's unique keys under the current profiles, print the clashes, and exit instead of serving")
	fs.StringVar(&f.keyMismatch, "code-key-mismatch", "refuse", "when the code key is not the one the store's codes were hashed with: refuse to start, or warn and adopt the new key")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this address (default: no metrics)")
	return fs
}

// check refuses flag values and arguments that cannot be run.
func (f flags) check(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("%w: -log must be text or json, not %q", errUsage, f.logFormat)
	}
	if f.shutdownTimeout <= 0 {
		return fmt.Errorf("%w: -shutdown-timeout must be positive", errUsage)
	}
	if f.feedRetention < 0 {
		return fmt.Errorf("%w: -feed-retention must not be negative", errUsage)
	}
	if f.drainDelay < 0 {
		return fmt.Errorf("%w: -drain-delay must not be negative", errUsage)
	}
	if f.keyMismatch != "refuse" && f.keyMismatch != "warn" {
		return fmt.Errorf("%w: -code-key-mismatch must be refuse or warn, not %q", errUsage, f.keyMismatch)
	}
	if f.rekey != "" && f.rekey != "check" && f.rekey != "apply" {
		return fmt.Errorf("%w: -rekey must be check or apply, not %q", errUsage, f.rekey)
	}
	if f.reset && !f.demo {
		return fmt.Errorf("%w: -reset reloads the demo records and cannot go with -demo=false", errUsage)
	}
	return nil
}

// run is the whole server: it parses args, opens the store, builds the
// adapters, loads the demo data, listens, prints the banner to stdout and
// serves until ctx is done, then shuts down gracefully and closes the
// store. Logs go to stderr. ready, when not nil, is called with the
// listening address once requests are accepted.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	metricsAddr := ""
	logger := newLogger(f.logFormat, stderr)

	spec, err := storeopen.ParseSpec(f.store, getenv("IDUPDATE_POSTGRES_DSN"))
	if err != nil {
		return err
	}
	cfg, err := shimconfig.Load(f.config)
	if err != nil {
		return err
	}
	key, explicit, err := storeopen.ExplicitKey(f.codeKeyFile, getenv("IDUPDATE_CODE_KEY"))
	if err != nil {
		return err
	}
	dispatcher, err := newDispatcher(f, getenv, logger)
	if err != nil {
		return err
	}

	// The store opens before anything is created beside it, so a -store
	// that names a foreign file leaves no key file behind.
	store, err := spec.Open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			logger.Error("closing the store", "err", cerr)
		}
	}()
	if !explicit {
		if key, err = storeopen.DefaultKey(ctx, spec, store); err != nil {
			return err
		}
	}
	keys, err := storeopen.CheckCodeKey(ctx, store, key, f.keyMismatch, time.Now())
	if err != nil {
		if key.CreatedFile != "" {
			// Refusing leaves things as they were: no new key file in
			// the place where the lost one belongs.
			_ = os.Remove(key.CreatedFile)
		}
		return err
	}

	tr, err := newTracing(ctx, getenv)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tr.shutdown(sctx); err != nil {
			logger.Warn("flushing traces", "err", err)
		}
	}()
	var met *metrics
	if f.metricsAddr != "" {
		if met, err = newMetrics(); err != nil {
			return err
		}
	}
	vendors, err := buildVendors(deps{store: store, dispatcher: dispatcher, codeKey: key.Key, logger: logger,
		tracer: tr.tracerProvider(), meter: met.meterProvider()}, cfg)
	if err != nil {
		return err
	}
	if f.rekey != "" {
		return rekey(ctx, vendors, f.rekey, stdout)
	}
	if met != nil {
		met.vendorOf = newRouteVendors(vendors)
		maddr, stop, err := met.serve(ctx, f.metricsAddr, logger)
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				logger.Warn("stopping the metrics server", "err", err)
			}
		}()
		logger.Info("metrics", "addr", maddr)
		metricsAddr = maddr
	}
	var demo demoState
	reset := 0
	if f.demo {
		if f.reset {
			if reset, err = resetDemo(ctx, store); err != nil {
				return err
			}
		}
		before, err := readDemoState(ctx, store)
		if err != nil {
			return err
		}
		if err := seedDemo(ctx, vendors); err != nil {
			return err
		}
		if demo, err = readDemoState(ctx, store); err != nil {
			return err
		}
		demo.found = before.found
	}

	stopEvents, err := startEvents(ctx, f, getenv, store, logger)
	if err != nil {
		return err
	}
	defer stopEvents()
	stopTrim, err := startTrim(ctx, f.feedRetention, store, logger)
	if err != nil {
		return err
	}
	defer stopTrim()

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	health := &health{store: store}
	srv := &http.Server{
		Handler:           logRequests(logger, tr, met, newMux(vendors, health)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Cleartext HTTP/2 beside HTTP/1.1: gRPC clients (ZITADEL's among
		// them) speak HTTP/2 with prior knowledge to http:// addresses.
		Protocols: new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	addr := ln.Addr().String()
	printBanner(stdout, banner{
		addr: addr, store: spec.String(), key: key, storeKind: spec.Kind, storeArg: spec.Arg,
		webhook: f.webhook, demoConfig: f.config == "", demoData: f.demo,
		keys: keys, demo: demo, reset: reset, resetAsked: f.reset,
		metricsAddr: metricsAddr, otlp: tr.endpoint,
	})
	logger.Info("listening", "addr", addr, "store", spec.String())
	if f.webhook == "" {
		logger.Warn("verification codes are written to this log (development only; use -webhook for anything else)")
	}
	if keys.Mismatch {
		logger.Warn("the code key changed: pending codes hashed with the old key can no longer be confirmed and must be sent again",
			"pending_codes", keys.Lost, "key_from", key.From)
	}
	if demo.changed > 0 {
		logger.Info("existing store: demo records changed since they were loaded", "changed", demo.changed, "last_change", demo.last)
	}
	if key.Ephemeral && spec.Kind == "postgres" {
		logger.Warn("the code key is random and dies with this process: pending codes will not survive a restart; set -code-key-file or IDUPDATE_CODE_KEY")
	}
	if ready != nil {
		ready(addr)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Readiness goes first, so a load balancer stops sending requests
	// before the listener closes.
	health.drain()
	logger.Info("draining", "delay", f.drainDelay)
	if f.drainDelay > 0 {
		select {
		case <-time.After(f.drainDelay):
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		}
	}
	logger.Info("shutting down", "timeout", f.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the timeout are cut off before the
		// store closes under them.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return tracelog.Logger(slog.New(slog.NewJSONHandler(w, nil)))
	}
	return tracelog.Logger(slog.New(slog.NewTextHandler(w, nil)))
}

// newDispatcher returns the webhook dispatcher when -webhook is set, else
// the development dispatcher that logs codes.
func newDispatcher(f flags, getenv func(string) string, logger *slog.Logger) (verify.Dispatcher, error) {
	if f.webhook == "" {
		return verify.LogDispatcher{Logger: logger.With("dispatcher", "log")}, nil
	}
	key, err := webhookKey(f, getenv, "-webhook")
	if err != nil {
		return nil, err
	}
	wh, err := verify.NewWebhook(f.webhook, key)
	if err != nil {
		return nil, fmt.Errorf("-webhook: %w", err)
	}
	return wh, nil
}

// webhookKey reads the signing key of the webhooks from -webhook-key-file
// or IDUPDATE_WEBHOOK_KEY; option names the flag that needs it.
func webhookKey(f flags, getenv func(string) string, option string) ([]byte, error) {
	var key []byte
	var err error
	switch {
	case f.webhookKeyFile != "":
		key, err = storeopen.ReadKeyFile(f.webhookKeyFile)
	case getenv("IDUPDATE_WEBHOOK_KEY") != "":
		key, err = storeopen.DecodeKey(getenv("IDUPDATE_WEBHOOK_KEY"))
	default:
		return nil, fmt.Errorf("%w: %s needs a signing key: -webhook-key-file FILE or IDUPDATE_WEBHOOK_KEY (hex, at least %d bytes)", errUsage, option, verify.MinKeyLen)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook key: %w", err)
	}
	return key, nil
}
