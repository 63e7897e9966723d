package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// health answers /healthz and /readyz.
type health struct {
	store    storage.Store
	draining atomic.Bool
}

// drain makes /readyz answer 503 from now on.
func (h *health) drain() { h.draining.Store(true) }

// readyTimeout bounds one readiness probe of the store.
const readyTimeout = 2 * time.Second

// probeType is a record type no policy declares, read to reach the store.
const probeType = "shimserver.readiness-probe"

// ready reports why the server should not get requests, or nil: it is
// draining, the store does not answer, or its schema is not at the
// version this code expects.
func (h *health) ready(ctx context.Context) error {
	if h.draining.Load() {
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if _, err := h.store.Get(ctx, probeType, "probe"); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("store unreachable: %w", err)
	}
	if s, ok := h.store.(storage.Schema); ok {
		have, want, err := s.SchemaVersion(ctx)
		if err != nil {
			return fmt.Errorf("store schema: %w", err)
		}
		if have != want {
			return fmt.Errorf("store schema at version %d, this server expects %d", have, want)
		}
	}
	return nil
}

// register mounts GET /healthz (the process answers) and GET /readyz (it
// should get requests).
func (h *health) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, "ok", "")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := h.ready(r.Context()); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "unavailable", err.Error())
			return
		}
		writeStatus(w, http.StatusOK, "ready", "")
	})
}

// writeStatus writes {"status": ..., "reason": ...} with the status code.
func writeStatus(w http.ResponseWriter, code int, status, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if reason == "" {
		fmt.Fprintf(w, "{\"status\":%q}\n", status)
		return
	}
	fmt.Fprintf(w, "{\"status\":%q,\"reason\":%q}\n", status, reason)
}
