package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// metrics is what the server reports on -metrics-addr: requests by
// vendor, route and status, the engines' OpenTelemetry metrics (outcomes,
// codes dispatched and throttled, locked confirmations, store latency and
// errors) through the Prometheus exporter, and the Go runtime's.
type metrics struct {
	reg      *prometheus.Registry
	provider *sdkmetric.MeterProvider
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	vendorOf *routeVendors
}

// newMetrics builds the registry and the meter provider the engines
// report to. Set vendorOf before serving.
func newMetrics() (*metrics, error) {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idupdate_http_requests_total",
			Help: "HTTP requests answered, by vendor, route (the mux pattern) and status.",
		}, []string{"vendor", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idupdate_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by vendor, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"vendor", "route", "status"}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	m.provider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	return m, nil
}

// meterProvider is where the engines' metrics go; nil metrics report to
// no one (the OpenTelemetry default).
func (m *metrics) meterProvider() metric.MeterProvider {
	if m == nil {
		return nil
	}
	return m.provider
}

// observe records one answered request. r.Pattern is the pattern the mux
// matched ("" for none), which keeps the route label's values few.
func (m *metrics) observe(r *http.Request, status int, took time.Duration) {
	if m == nil {
		return
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	labels := prometheus.Labels{"vendor": m.vendorOf.vendor(r), "route": route, "status": strconv.Itoa(status)}
	m.requests.With(labels).Inc()
	m.duration.With(labels).Observe(took.Seconds())
}

// serve serves /metrics on addr until ctx is done.
func (m *metrics) serve(ctx context.Context, addr string, logger *slog.Logger) (string, func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("-metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server", "err", err)
		}
	}()
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(srv.Shutdown(sctx), m.provider.Shutdown(sctx))
	}
	return ln.Addr().String(), stop, nil
}

// routeVendors tells which vendor a matched pattern belongs to, by asking
// each vendor's own mux (holding only that vendor's routes) which pattern
// it would match for the request. Answers are cached per pattern.
type routeVendors struct {
	muxes map[string]*http.ServeMux
	cache sync.Map // pattern → vendor
}

func newRouteVendors(vs []vendor) *routeVendors {
	rv := &routeVendors{muxes: map[string]*http.ServeMux{}}
	for _, v := range vs {
		mux := http.NewServeMux()
		v.register(mux)
		rv.muxes[v.name] = mux
	}
	return rv
}

// vendor returns the vendor whose routes matched r, "server" for the
// server's own (/healthz, /readyz) and "" for none.
func (rv *routeVendors) vendor(r *http.Request) string {
	if r.Pattern == "" {
		return ""
	}
	if v, ok := rv.cache.Load(r.Pattern); ok {
		return v.(string)
	}
	found := "server"
	for name, mux := range rv.muxes {
		if _, pattern := mux.Handler(r); pattern == r.Pattern {
			found = name
			break
		}
	}
	rv.cache.Store(r.Pattern, found)
	return found
}
