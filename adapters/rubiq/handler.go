package rubiq

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// Handler serves Rubiq's endpoints 1003 (update account), 1002 (read
// account) and 2004 (verify account) on Rubiq's own paths over an engine
// running the Rubiq profile.
// It is safe for concurrent use.
type Handler struct {
	eng *update.Engine
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	// apps finds the app of a request's token.
	apps *httpx.Credentials[App]
	// lim bounds a request body's JSON (cfg's limits).
	lim merge.DecodeLimits
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
	dataByID := []string{"/userentity/dp-keyid/{id}/data", "/userentity/dp-keyid/{id}/data/{contract}"}
	dataByExt := []string{"/userentity/ext-key/{key}/{type}/data", "/userentity/ext-key/{key}/{type}/data/{contract}"}
	return []route{
		{OpUpdate, http.MethodPut, dataByID, (*Handler).update, byID},
		{OpUpdateByExtKey, http.MethodPut, dataByExt, (*Handler).update, byExt},
		{OpRead, http.MethodGet, dataByID, (*Handler).read, byID},
		{OpReadByExtKey, http.MethodGet, dataByExt, (*Handler).read, byExt},
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
	h := &Handler{eng: eng, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(),
		apps: httpx.NewCredentials(cfg.Apps, func(a App) string { return a.Token }), lim: cfg.decodeLimits()}
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls the vendor's API does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

// ServeHTTP serves the request through the handler's own mux.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Register registers the handler's patterns on mux: each endpoint with its
// method, the same paths without a method (answered 405 in Rubiq's body,
// with every method the path serves in Allow), and Rubiq's path prefixes
// (answered 404). It panics, as ServeMux.Handle does, if a pattern
// collides with one already registered.
func (h *Handler) Register(mux *http.ServeMux) {
	type served struct {
		op      Op
		methods []string
	}
	byPath := map[string]*served{}
	var paths []string
	for _, rt := range routes() {
		for _, p := range rt.paths {
			mux.HandleFunc(rt.method+" "+p, func(w http.ResponseWriter, r *http.Request) {
				h.endpoint(w, r, rt)
			})
			if byPath[p] == nil {
				byPath[p] = &served{op: rt.op}
				paths = append(paths, p)
			}
			byPath[p].methods = append(byPath[p].methods, rt.method)
		}
	}
	for _, p := range paths {
		s := byPath[p]
		allow := strings.Join(s.methods, ", ")
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			h.fail(w, r, s.op, errMethod)
		})
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
	req, err := decodeUpdate(app, t, contract, body, h.lim)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	res, err := h.eng.Apply(r.Context(), req)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	a := &updateAnswers[updateRank(res)]
	h.logAnswer(w, r, a.status)
	writePre(w, app.Format, a.status, &a.encoded)
}

// read serves endpoint 1002: the entity as the app's grant lets it see
// it, cut to the contract's fields.
func (h *Handler) read(w http.ResponseWriter, r *http.Request, op Op, app App, t Target) {
	contract, err := Contract(app, r.PathValue("contract"))
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	body, err := h.body(r)
	if err == nil {
		err = DecodeRead(body)
	}
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	v, err := h.eng.Get(r.Context(), EntityType, t.Locator(), update.AsClient(app.ID))
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	s, account := EncodeAccount(v, contract)
	h.write(w, r, app.Format, s, nil, account)
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
	h.write(w, r, app.Format, s, b, nil)
}

// body reads the bounded body.
func (h *Handler) body(r *http.Request) ([]byte, error) {
	return httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
}

// app returns the app whose token the request bears. Every token is
// compared in constant time so the answer's timing says nothing about
// how close a guess was.
func (h *Handler) app(r *http.Request) (App, bool) {
	return h.apps.Bearer(r)
}

// fail writes err, returned while serving op, as Rubiq's answer, in the
// format of the app whose token the request bears (plain when it bears
// none that is known). Internal errors are logged with the request id;
// their details never reach the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, err error) {
	status, b := EncodeError(err, op)
	if update.ErrorCode(err) == update.Internal {
		h.log.ErrorContext(r.Context(), "rubiq: request failed", "request_id", httpx.RequestID(w, r), "pattern", r.Pattern, "err", err)
	}
	app, _ := h.app(r)
	h.write(w, r, app.Format, Status{HTTP: status, Code: b.Status.Code, Text: b.Status.Text}, b, nil)
}

// write writes the answer s in format f: in plain form the account of a
// read, else the body b (none for 204); in an envelope all of them
// wrapped.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, f Format, s Status, b *Body, account Account) {
	h.logAnswer(w, r, s)
	// An answer without account or failing fields is one of the table's,
	// encoded once.
	if account == nil && (b == nil || len(b.Errors) == 0 && b.Status == BodyStatus{s.Code, s.Text}) && writeEncoded(w, f, s, b != nil) {
		return
	}
	writeAnswer(w, f, s, b, account)
}

// logAnswer sets the request id on the answer and logs the answer s.
func (h *Handler) logAnswer(w http.ResponseWriter, r *http.Request, s Status) {
	id := httpx.RequestID(w, r)
	if h.log.Enabled(r.Context(), slog.LevelInfo) {
		h.log.InfoContext(r.Context(), "rubiq", "request_id", id,
			"method", r.Method, "pattern", r.Pattern, "status", s.HTTP, "code", s.Code)
	}
}

// writeEncoded writes the answer s from encodedStatus in format f, with
// the plain body when body is set, and reports whether it did: false when
// s is not encoded ahead of time or is a plain answer without body.
func writeEncoded(w http.ResponseWriter, f Format, s Status, body bool) bool {
	pre, ok := encodedStatus[s]
	if !ok || !body && !f.envelope() {
		return false
	}
	writePre(w, f, s, &pre)
	return true
}

// writePre writes the answer s in format f from pre, its plain and its
// enveloped encoding as encodedStatus holds them.
func writePre(w http.ResponseWriter, f Format, s Status, pre *[2][]byte) {
	if f.envelope() {
		httpx.WriteBody(w, s.enveloped(), pre[1])
	} else {
		httpx.WriteBody(w, s.HTTP, pre[0])
	}
}

// writeAnswer encodes and writes the answer s in format f, as write
// describes.
func writeAnswer(w http.ResponseWriter, f Format, s Status, b *Body, account Account) {
	switch {
	case f.envelope():
		status, env := EncodeEnvelope(s, b, account)
		httpx.WriteJSON(w, status, env)
	case account != nil:
		httpx.WriteJSON(w, s.HTTP, account)
	case b != nil:
		httpx.WriteJSON(w, s.HTTP, b)
	default:
		w.WriteHeader(s.HTTP)
	}
}
