package rubiq

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
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
	op     Op
	method string
	paths  []string
	serve  func(h *Handler, w http.ResponseWriter, r *http.Request, op Op, app App, t Target)
	target func(r *http.Request) (Target, error)
}

func routes() []route {
	byID := func(r *http.Request) (Target, error) { return ByID(r.PathValue("id")) }
	byExt := func(r *http.Request) (Target, error) { return ByExt(r.PathValue("key"), r.PathValue("type")) }
	return []route{
		{OpUpdate, http.MethodPut, []string{"/userentity/dp-keyid/{id}/data", "/userentity/dp-keyid/{id}/data/{contract}"}, (*Handler).update, byID},
		{OpUpdateByExtKey, http.MethodPut, []string{"/userentity/ext-key/{key}/{type}/data", "/userentity/ext-key/{key}/{type}/data/{contract}"}, (*Handler).update, byExt},
		{OpVerify, http.MethodPost, []string{"/entity/id/{id}/verify"}, (*Handler).verify, byID},
		{OpVerifyByExtKey, http.MethodPost, []string{"/entity/ext-key/{key}/{type}/verify"}, (*Handler).verify, byExt},
	}
}

// prefixes are the subtrees the adapter owns; an unknown path below them
// gets Rubiq's body rather than the mux's plain-text 404.
var prefixes = []string{"/userentity/", "/entity/id/", "/entity/ext-key/"}

// New returns a Handler over an engine of its own: the profile
// Policy(cfg) over store, with cfg.Now as its clock and opts after the
// profile's own options (a dispatcher, a code key, a logger). It returns
// an error if cfg is unusable.
func New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	eng, err := update.New(store, Policy(cfg), append(engineOptions(cfg), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("rubiq: %w", err)
	}
	h := &Handler{eng: eng, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls the vendor's API does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

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
				h.fail(w, r, rt.op, errMethod)
			})
		}
	}
	for _, p := range prefixes {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, OpUpdate, errRoute) })
	}
}

// endpoint authenticates the app and resolves the target, then serves rt.
func (h *Handler) endpoint(w http.ResponseWriter, r *http.Request, rt route) {
	app, ok := h.app(r)
	if !ok {
		h.fail(w, r, rt.op, errUnauthenticated)
		return
	}
	if err := DecodeQuery(r.URL.RawQuery); err != nil {
		h.fail(w, r, rt.op, err)
		return
	}
	t, err := rt.target(r)
	if err != nil {
		h.fail(w, r, rt.op, err)
		return
	}
	rt.serve(h, w, r, rt.op, app, t)
}

// update serves endpoint 1003.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, op Op, app App, t Target) {
	contract, err := Contract(app, r.PathValue("contract"))
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	body, err := h.body(r)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	req, err := DecodeUpdate(app, t, contract, body, h.cfg)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	res, err := h.eng.Apply(r.Context(), req)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	s, b := EncodeUpdate(res)
	h.write(w, r, s.HTTP, b)
}

// verify serves endpoint 2004.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request, op Op, app App, t Target) {
	body, err := h.body(r)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	req, err := DecodeVerify(app, t, body, h.cfg)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	res, err := h.eng.Confirm(r.Context(), req)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	s, b := EncodeVerify(res)
	h.write(w, r, s.HTTP, b)
}

// body reads the bounded body.
func (h *Handler) body(r *http.Request) ([]byte, error) {
	return httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
}

// app returns the app whose token the request bears. Every token is
// compared in constant time so the answer's timing says nothing about
// how close a guess was.
func (h *Handler) app(r *http.Request) (App, bool) {
	tok, ok := httpx.Bearer(r)
	if !ok {
		return App{}, false
	}
	tokens := make([]string, len(h.cfg.Apps))
	for i, a := range h.cfg.Apps {
		tokens[i] = a.Token
	}
	i := httpx.Match(tok, tokens)
	if i < 0 {
		return App{}, false
	}
	return h.cfg.Apps[i], true
}

// fail writes err, returned while serving op, as Rubiq's answer. Internal
// errors are logged with the request id; their details never reach the
// client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, err error) {
	s, b := EncodeError(err, op)
	if update.ErrorCode(err) == update.Internal {
		h.log.ErrorContext(r.Context(), "rubiq: request failed", "request_id", httpx.RequestID(w, r), "pattern", r.Pattern, "err", err)
	}
	h.write(w, r, s, b)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, b *Body) {
	id := httpx.RequestID(w, r)
	code := ""
	if b != nil {
		code = b.Status.Code
	}
	h.log.InfoContext(r.Context(), "rubiq", "request_id", id,
		"method", r.Method, "pattern", r.Pattern, "status", status, "code", code)
	if b == nil {
		w.WriteHeader(status)
		return
	}
	httpx.WriteJSON(w, status, b)
}
