package rubiq

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// Handler serves Rubiq's endpoints 1003 (update account) and 2004 (verify
// account) on Rubiq's own paths over an engine running the Rubiq profile.
// It is safe for concurrent use.
type Handler struct {
	eng *update.Engine
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// route is one endpoint: its method, its paths and what serves it.
type route struct {
	method string
	paths  []string
	serve  func(h *Handler, w http.ResponseWriter, r *http.Request, app App, t Target)
	target func(r *http.Request) (Target, error)
}

func routes() []route {
	byID := func(r *http.Request) (Target, error) { return ByID(r.PathValue("id")) }
	byExt := func(r *http.Request) (Target, error) { return ByExt(r.PathValue("key"), r.PathValue("type")) }
	return []route{
		{http.MethodPut, []string{"/userentity/dp-keyid/{id}/data", "/userentity/dp-keyid/{id}/data/{contract}"}, (*Handler).update, byID},
		{http.MethodPut, []string{"/userentity/ext-key/{key}/{type}/data", "/userentity/ext-key/{key}/{type}/data/{contract}"}, (*Handler).update, byExt},
		{http.MethodPost, []string{"/entity/id/{id}/verify"}, (*Handler).verify, byID},
		{http.MethodPost, []string{"/entity/ext-key/{key}/{type}/verify"}, (*Handler).verify, byExt},
	}
}

// prefixes are the subtrees the adapter owns; an unknown path below them
// gets Rubiq's body rather than the mux's plain-text 404.
var prefixes = []string{"/userentity/", "/entity/id/", "/entity/ext-key/"}

// New returns a Handler over eng, which must run a policy built by Policy
// from the same cfg. It returns an error if cfg is unusable.
func New(eng *update.Engine, cfg Config) (*Handler, error) {
	if eng == nil {
		return nil, errors.New("rubiq: nil engine")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h := &Handler{eng: eng, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// ServeHTTP serves the request through the handler's own mux.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Register registers the handler's patterns on mux: each endpoint with its
// method, the same paths without a method (answered 405 in Rubiq's body),
// and Rubiq's path prefixes (answered 404). It panics, as ServeMux.Handle
// does, if a pattern collides with one already registered.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, rt := range routes() {
		for _, p := range rt.paths {
			mux.HandleFunc(rt.method+" "+p, func(w http.ResponseWriter, r *http.Request) {
				h.endpoint(w, r, rt)
			})
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", rt.method)
				h.fail(w, r, fmt.Errorf("%s %s: %w", r.Method, r.Pattern, errMethod), Target{})
			})
		}
	}
	for _, p := range prefixes {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errRoute, Target{}) })
	}
}

// endpoint authenticates the app and resolves the target, then serves rt.
func (h *Handler) endpoint(w http.ResponseWriter, r *http.Request, rt route) {
	app, ok := h.app(r)
	if !ok {
		h.fail(w, r, errUnauthenticated, Target{})
		return
	}
	t, err := rt.target(r)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	rt.serve(h, w, r, app, t)
}

// update serves endpoint 1003.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, app App, t Target) {
	contract, err := Contract(app, r.PathValue("contract"))
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	body, err := h.body(r)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	req, err := DecodeUpdate(app, t, contract, body, h.cfg)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	res, err := h.eng.Apply(r.Context(), req)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	s, b := EncodeUpdate(res)
	h.write(w, r, s, b)
}

// verify serves endpoint 2004.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request, app App, t Target) {
	body, err := h.body(r)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	req, err := DecodeVerify(app, t, body, h.cfg)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	res, err := h.eng.Confirm(r.Context(), req)
	if err != nil {
		h.fail(w, r, err, t)
		return
	}
	s, b := EncodeVerify(res)
	h.write(w, r, s, b)
}

// body reads the bounded body, translating httpx's errors to engine codes.
func (h *Handler) body(r *http.Request) ([]byte, error) {
	b, err := httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, httpx.ErrTooLarge):
		return nil, &update.Error{Code: update.TooLarge, Message: "the body is too large", Err: err}
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return nil, &update.Error{Code: update.Malformed, Message: "the body is not valid UTF-8", Err: err}
	default:
		return nil, &update.Error{Code: update.Malformed, Message: "the body could not be read", Err: err}
	}
}

// app returns the app whose token the request bears. Every token is
// compared in constant time so the answer's timing says nothing about
// how close a guess was.
func (h *Handler) app(r *http.Request) (App, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return App{}, false
	}
	var found App
	for _, a := range h.cfg.Apps {
		if subtle.ConstantTimeCompare([]byte(a.Token), []byte(tok)) == 1 {
			found = a
		}
	}
	return found, found.ID != ""
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, t Target) {
	s, b := EncodeError(err, t)
	if update.ErrorCode(err) == update.Internal && !errors.Is(err, errUnauthenticated) &&
		!errors.Is(err, errMethod) && !errors.Is(err, errRoute) {
		h.log.ErrorContext(r.Context(), "rubiq: request failed", "request_id", w.Header().Get("X-Request-Id"), "pattern", r.Pattern, "err", err)
	}
	h.write(w, r, s, b)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, s Status, b *Body) {
	if w.Header().Get("X-Request-Id") == "" {
		w.Header().Set("X-Request-Id", httpx.RequestID(w, r))
	}
	h.log.InfoContext(r.Context(), "rubiq", "request_id", w.Header().Get("X-Request-Id"),
		"method", r.Method, "pattern", r.Pattern, "status", s.Code)
	if b == nil {
		w.WriteHeader(s.HTTP)
		return
	}
	httpx.WriteJSON(w, s.HTTP, b)
}
