package update

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/go-playground/validator/v10"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// Engine applies updates to records in a Store under a Policy.
// An Engine is safe for concurrent use.
type Engine struct {
	store    storage.Store
	policy   *compiled
	now      func() time.Time
	log      *slog.Logger
	dispatch verify.Dispatcher
	newID    func() string
	codes    *verify.Hasher
	observe  func(context.Context, *storage.Record, storage.Event)
	validate *validator.Validate
	tel      *telemetry // nil: report nothing
	// quotas and the store that counts them (nil when none is set).
	quotas     Quotas
	quotaStore storage.Ephemeral
	// idCounters number new records per type (WithIDCounter).
	idCounters map[string]IDCounter
	counters   storage.Counters
	// terms says, per type, whether the store's index terms are complete.
	terms termsState
}

// Option configures an Engine.
type Option func(*options)

type options struct {
	now        func() time.Time
	log        *slog.Logger
	dispatch   verify.Dispatcher
	newID      func() string
	codeKey    []byte
	observe    func(context.Context, *storage.Record, storage.Event)
	validators map[string]validator.Func
	quotas     Quotas
	idCounters map[string]IDCounter

	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	noTelemetry    bool // for the benchmark baseline only
}

// WithClock sets the engine's clock. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger. Default slog.Default(). The engine never logs
// secrets, codes or code hashes.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithDispatcher sets where verification codes are sent. Default: a
// dispatcher that refuses every message, so a Send delivery reports a
// dispatch error and the challenge stays resendable.
func WithDispatcher(d verify.Dispatcher) Option { return func(o *options) { o.dispatch = d } }

// WithIDGenerator sets the generator of record and challenge ids. Default:
// 16 random bytes, hex-encoded.
func WithIDGenerator(f func() string) Option { return func(o *options) { o.newID = f } }

// WithCodeKey sets the key that verification code hashes are keyed with
// (at least 32 bytes). Default: a random key made by New, which means codes
// pending in a durable store cannot be confirmed after a restart; set a
// stable key wherever records outlive the process.
func WithCodeKey(key []byte) Option { return func(o *options) { o.codeKey = key } }

// WithObserver registers a function called after each commit with the
// committed record and event (for webhooks, caches, search indexes). It runs
// after the transaction and cannot fail it. The record carries no secrets.
func WithObserver(f func(ctx context.Context, rec *storage.Record, ev storage.Event)) Option {
	return func(o *options) { o.observe = f }
}

// WithValidator registers a custom validator under a tag name that field
// Rules can then use ("alphaunicode", "janrain_printable", ...).
func WithValidator(tag string, fn validator.Func) Option {
	return func(o *options) {
		if o.validators == nil {
			o.validators = map[string]validator.Func{}
		}
		o.validators[tag] = fn
	}
}

// New returns an Engine over store under policy. It checks the policy
// (every rule tag known, every path a valid pointer, every knob in range)
// and returns a descriptive error if it is not usable.
func New(store storage.Store, policy *Policy, opts ...Option) (*Engine, error) {
	o := options{now: time.Now, log: slog.Default(), dispatch: refuseDispatch{}, newID: randomID}
	for _, opt := range opts {
		opt(&o)
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	for tag, fn := range o.validators {
		if err := v.RegisterValidation(tag, fn); err != nil {
			return nil, err
		}
	}
	for tag, fn := range builtinValidators {
		if _, taken := o.validators[tag]; !taken {
			if err := v.RegisterValidation(tag, fn); err != nil {
				return nil, err
			}
		}
	}
	cp, err := compilePolicy(policy, v)
	if err != nil {
		return nil, err
	}
	for _, s := range cp.types {
		for _, r := range s.rules {
			r.bound = compileBound(r.f.Rules, o.validators)
		}
	}
	key := o.codeKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	h, err := verify.NewHasher(key)
	if err != nil {
		return nil, err
	}
	qs, err := checkQuotas(o.quotas, store)
	if err != nil {
		return nil, err
	}
	counters, err := checkIDCounters(o.idCounters, store, cp)
	if err != nil {
		return nil, err
	}
	var tel *telemetry
	if !o.noTelemetry {
		if tel, err = newTelemetry(o.tracerProvider, o.meterProvider); err != nil {
			return nil, err
		}
	}
	return &Engine{
		store: store, policy: cp, now: o.now, log: o.log, dispatch: o.dispatch,
		newID: o.newID, codes: h, observe: o.observe, validate: v, tel: tel,
		quotas: o.quotas, quotaStore: qs, idCounters: o.idCounters, counters: counters,
	}, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errNoDispatcher is what a Send reports when no dispatcher is configured.
var errNoDispatcher = errors.New("update: no dispatcher configured")

type refuseDispatch struct{}

func (refuseDispatch) Dispatch(context.Context, verify.Message) error {
	return errNoDispatcher
}
