package scim

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// MediaType is the SCIM media type (RFC 7644 section 8.1).
const MediaType = "application/scim+json"

// Handler serves the SCIM 2.0 endpoints below Config.Prefix over an
// engine running the SCIM profile. It is safe for concurrent use.
type Handler struct {
	eng       *update.Engine
	cfg       Config
	log       *slog.Logger
	mux       *http.ServeMux
	resources []*resourceType
	clients   *httpx.Credentials[Client]
}

// New returns a Handler over an engine of its own: the profile
// Policy(cfg) over store, with cfg.Now as its clock and opts after the
// profile's own options. It returns an error if cfg is unusable.
func New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	eng, err := update.New(store, Policy(cfg), append(engineOptions(cfg), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	h := &Handler{eng: eng, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), resources: resourceTypes(cfg),
		clients: httpx.NewCredentials(cfg.Clients, func(c Client) string { return c.Token })}
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls SCIM does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

// ServeHTTP serves the request through the handler's own mux.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// endpointFunc serves one endpoint for an authenticated client.
type endpointFunc func(w http.ResponseWriter, r *http.Request, c Client)

// Register registers the handler's patterns on mux, below cfg.Prefix:
// each endpoint with its method, the same paths with the other methods
// (answered 405 in SCIM's error body), and the prefix itself (404). It
// panics, as ServeMux.Handle does, if a pattern collides with one already
// registered.
func (h *Handler) Register(mux *http.ServeMux) {
	type route struct {
		op      Op
		methods map[string]endpointFunc
	}
	routes := map[string]route{}
	add := func(path, method string, op Op, f endpointFunc) {
		rt, ok := routes[path]
		if !ok {
			rt = route{op: op, methods: map[string]endpointFunc{}}
		}
		rt.methods[method] = f
		routes[path] = rt
	}
	for _, rt := range h.resources {
		add(rt.Endpoint, http.MethodGet, OpList, h.list(rt))
		add(rt.Endpoint, http.MethodPost, OpCreate, h.create(rt))
		add(rt.Endpoint+"/.search", http.MethodPost, OpSearch, h.search(rt))
		add(rt.Endpoint+"/{id}", http.MethodGet, OpGet, h.get(rt))
		add(rt.Endpoint+"/{id}", http.MethodPut, OpReplace, h.replace(rt))
		add(rt.Endpoint+"/{id}", http.MethodPatch, OpPatch, h.patch(rt))
		add(rt.Endpoint+"/{id}", http.MethodDelete, OpDelete, h.delete(rt))
	}
	if h.cfg.ConfirmEmail != nil {
		add("/Users/{id}/.confirm", http.MethodPost, OpConfirm, h.confirm(h.resources[0]))
	}
	add("/.search", http.MethodPost, OpSearch, h.rootSearch)
	add("/Me", http.MethodGet, OpMe, h.me)
	add("/Bulk", http.MethodPost, OpBulk, h.bulk)
	add("/ServiceProviderConfig", http.MethodGet, OpDiscovery, h.serviceProviderConfig)
	add("/Schemas", http.MethodGet, OpDiscovery, h.schemas)
	add("/Schemas/{id}", http.MethodGet, OpDiscovery, h.schemas)
	add("/ResourceTypes", http.MethodGet, OpDiscovery, h.resourceTypes)
	add("/ResourceTypes/{id}", http.MethodGet, OpDiscovery, h.resourceTypes)
	for path, rt := range routes {
		var allow []string
		for method, f := range rt.methods {
			allow = append(allow, method)
			mux.HandleFunc(method+" "+h.cfg.Prefix+path, func(w http.ResponseWriter, r *http.Request) {
				h.endpoint(w, r, rt.op, f)
			})
		}
		slices.Sort(allow)
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if _, ok := rt.methods[method]; ok {
				continue
			}
			mux.HandleFunc(method+" "+h.cfg.Prefix+path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", strings.Join(allow, ", "))
				h.fail(w, r, rt.op, errMethod)
			})
		}
	}
	mux.HandleFunc(h.cfg.Prefix+"/", func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, OpGet, errRoute) })
}

// endpoint authenticates the client and serves f.
func (h *Handler) endpoint(w http.ResponseWriter, r *http.Request, op Op, f endpointFunc) {
	c, ok := h.client(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		h.fail(w, r, op, errUnauthenticated)
		return
	}
	f(w, r, c)
}

// client returns the client whose token the request bears, comparing
// every token in constant time.
func (h *Handler) client(r *http.Request) (Client, bool) {
	return h.clients.Bearer(r)
}

// base returns the absolute URL of the service root.
func (h *Handler) base(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.cfg.Prefix
}

func (h *Handler) list(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		q, err := DecodeParams(r.URL.RawQuery, paramsList...)
		if err != nil {
			h.fail(w, r, OpList, err)
			return
		}
		lq, err := DecodeList(rt, q, h.cfg)
		if err != nil {
			h.fail(w, r, OpList, err)
			return
		}
		h.query(w, r, OpList, rt, c, lq)
	}
}

// message reads the body of an endpoint that takes no query parameters.
// On a failure it answers the error itself and reports false.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, op Op) ([]byte, bool) {
	if _, err := DecodeParams(r.URL.RawQuery); err != nil {
		h.fail(w, r, op, err)
		return nil, false
	}
	body, err := httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
	if err != nil {
		h.fail(w, r, op, err)
		return nil, false
	}
	return body, true
}

func (h *Handler) search(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		body, ok := h.message(w, r, OpSearch)
		if !ok {
			return
		}
		lq, err := DecodeSearch(rt, body, h.cfg)
		if err != nil {
			h.fail(w, r, OpSearch, err)
			return
		}
		h.query(w, r, OpSearch, rt, c, lq)
	}
}

// query runs a decoded query through the engine.
func (h *Handler) query(w http.ResponseWriter, r *http.Request, op Op, rt *resourceType, c Client, lq *ListQuery) {
	req := update.ListRequest{Type: rt.Entity, Client: c.ID, Filter: lq.Filter, Sort: lq.Sort,
		Limit: lq.Count, Offset: lq.Offset, Total: true}
	if lq.CountOnly {
		req.Limit, req.Offset = 1, 0
	}
	res, err := h.eng.List(r.Context(), req)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	if lq.CountOnly {
		res.Views = nil
	}
	h.write(w, r, http.StatusOK, EncodeList(rt, res, lq, h.base(r)))
}

func (h *Handler) get(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		h.read(w, r, OpGet, rt, c, r.PathValue("id"))
	}
}

// me serves /Me: the User the token names (RFC 7644 section 3.11).
func (h *Handler) me(w http.ResponseWriter, r *http.Request, c Client) {
	if c.User == "" {
		h.fail(w, r, OpMe, update.Errorf(codeNotImplemented, "this token names no user"))
		return
	}
	h.read(w, r, OpMe, h.resources[0], c, c.User)
}

// read answers one resource, or 304 when If-None-Match names its
// version.
func (h *Handler) read(w http.ResponseWriter, r *http.Request, op Op, rt *resourceType, c Client, id string) {
	q, err := DecodeParams(r.URL.RawQuery, paramsRead...)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	proj, err := DecodeProjection(rt, q)
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	v, err := h.eng.Get(r.Context(), rt.Entity, update.ByID(id), update.AsClient(c.ID))
	if err != nil {
		h.fail(w, r, op, err)
		return
	}
	tag := ETag(v.Version)
	setETag(w, tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		h.write(w, r, http.StatusNotModified, nil)
		return
	}
	h.write(w, r, http.StatusOK, encodeAnswer(rt, v, h.base(r), proj))
}

// noneMatch reports whether an If-None-Match header names tag (weak
// comparison, RFC 9110 section 13.1.2) or is "*".
func noneMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}

func (h *Handler) create(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		q, err := DecodeParams(r.URL.RawQuery, paramsRead...)
		if err != nil {
			h.fail(w, r, OpCreate, err)
			return
		}
		proj, err := DecodeProjection(rt, q)
		if err != nil {
			h.fail(w, r, OpCreate, err)
			return
		}
		doc, err := h.resource(r, rt)
		if err != nil {
			h.fail(w, r, OpCreate, err)
			return
		}
		req := createRequest(rt, c.ID, doc)
		req.IncludeRecord = true
		res, err := h.eng.Create(r.Context(), req)
		if err != nil {
			h.fail(w, r, OpCreate, err)
			return
		}
		body := EncodeResource(rt, res.Record, h.base(r), proj)
		w.Header().Set("Location", body["meta"].(Meta).Location)
		setETag(w, ETag(res.Version))
		h.write(w, r, http.StatusCreated, body)
	}
}

// replace serves PUT: the resource sent takes the place of the stored
// one (RFC 7644 section 3.5.1), under If-Match when given.
func (h *Handler) replace(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		q, err := DecodeParams(r.URL.RawQuery, paramsRead...)
		if err != nil {
			h.fail(w, r, OpReplace, err)
			return
		}
		proj, err := DecodeProjection(rt, q)
		if err != nil {
			h.fail(w, r, OpReplace, err)
			return
		}
		expect, err := DecodeIfMatch(r.Header.Get("If-Match"))
		if err != nil {
			h.fail(w, r, OpReplace, err)
			return
		}
		doc, err := h.resource(r, rt)
		if err != nil {
			h.fail(w, r, OpReplace, err)
			return
		}
		res, err := h.eng.Apply(r.Context(), update.Request{Type: rt.Entity, Locator: update.ByID(r.PathValue("id")),
			Client: c.ID, Actor: c.ID, Mode: update.Replace, Doc: doc, Expect: expect, IncludeRecord: true})
		if err != nil {
			h.fail(w, r, OpReplace, err)
			return
		}
		setETag(w, ETag(res.Version))
		h.write(w, r, http.StatusOK, encodeAnswer(rt, res.Record, h.base(r), proj))
	}
}

// patch serves PATCH: every operation of the body in one engine
// Modify request, under If-Match when given. A PATCH that changes nothing
// answers the resource at its unchanged version.
func (h *Handler) patch(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		q, err := DecodeParams(r.URL.RawQuery, paramsRead...)
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		proj, err := DecodeProjection(rt, q)
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		expect, err := DecodeIfMatch(r.Header.Get("If-Match"))
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		body, err := httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		mods, err := DecodePatch(rt, body)
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		res, err := h.eng.Apply(r.Context(), update.Request{Type: rt.Entity, Locator: update.ByID(r.PathValue("id")),
			Client: c.ID, Actor: c.ID, Mode: update.Modify, Mods: mods, Expect: expect, IncludeRecord: true})
		if err != nil {
			h.fail(w, r, OpPatch, err)
			return
		}
		setETag(w, ETag(res.Version))
		h.write(w, r, http.StatusOK, encodeAnswer(rt, res.Record, h.base(r), proj))
	}
}

func (h *Handler) delete(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		if _, err := DecodeParams(r.URL.RawQuery); err != nil {
			h.fail(w, r, OpDelete, err)
			return
		}
		expect, err := DecodeIfMatch(r.Header.Get("If-Match"))
		if err != nil {
			h.fail(w, r, OpDelete, err)
			return
		}
		err = h.eng.Delete(r.Context(), update.DeleteRequest{Type: rt.Entity, Locator: update.ByID(r.PathValue("id")),
			Client: c.ID, Actor: c.ID, Expect: expect})
		if err != nil {
			h.fail(w, r, OpDelete, err)
			return
		}
		h.write(w, r, http.StatusNoContent, nil)
	}
}

// createRequest returns the engine request POST makes for the decoded
// resource doc: a fresh id, which the document holds as a server value.
func createRequest(rt *resourceType, client string, doc map[string]any) update.CreateRequest {
	id := newID()
	return update.CreateRequest{Type: rt.Entity, ID: id, Client: client, Actor: client,
		Doc: doc, Server: map[string]any{"id": id}}
}

// CreateUserRequest returns the engine request POST /Users makes for body
// when sent by the configured client with id clientID: the body is
// bounded and decoded as the call does it (DecodeResource) and refused
// with the same errors, and the user gets a fresh id. Code that creates
// users without a request, such as an importer, builds them with it so
// they are the users POST /Users would have made. A password in body
// stays in the request's document, where the engine takes it as a
// secret.
func (h *Handler) CreateUserRequest(clientID string, body []byte) (update.CreateRequest, error) {
	if !slices.ContainsFunc(h.cfg.Clients, func(c Client) bool { return c.ID == clientID }) {
		return update.CreateRequest{}, update.Errorf(update.Forbidden, "no client %q is configured", clientID)
	}
	if err := httpx.CheckBody(body, int64(h.cfg.MaxBodyBytes)); err != nil {
		return update.CreateRequest{}, err
	}
	rt := h.resources[0]
	doc, err := DecodeResource(rt, body)
	if err != nil {
		return update.CreateRequest{}, err
	}
	return createRequest(rt, clientID, doc), nil
}

// resource reads and decodes a resource body.
func (h *Handler) resource(r *http.Request, rt *resourceType) (map[string]any, error) {
	body, err := httpx.ReadBody(r, int64(h.cfg.MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	return DecodeResource(rt, body)
}

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ Client) {
	if _, err := DecodeParams(r.URL.RawQuery); err != nil {
		h.fail(w, r, OpDiscovery, err)
		return
	}
	h.write(w, r, http.StatusOK, EncodeServiceProviderConfig(h.cfg, h.base(r)))
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request, _ Client) {
	if _, err := DecodeParams(r.URL.RawQuery); err != nil {
		h.fail(w, r, OpDiscovery, err)
		return
	}
	var items []map[string]any
	seen := map[string]bool{}
	for _, rt := range h.resources {
		for _, s := range append([]SchemaDef{rt.Schema}, rt.Extensions...) {
			if !seen[s.ID] {
				seen[s.ID] = true
				items = append(items, EncodeSchema(s, h.base(r)))
			}
		}
	}
	h.discovery(w, r, items)
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request, _ Client) {
	if _, err := DecodeParams(r.URL.RawQuery); err != nil {
		h.fail(w, r, OpDiscovery, err)
		return
	}
	var items []map[string]any
	for _, rt := range h.resources {
		items = append(items, EncodeResourceType(rt, h.base(r)))
	}
	h.discovery(w, r, items)
}

// discovery answers the list of items, or the one named by the path's id.
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	id := r.PathValue("id")
	if id == "" {
		h.write(w, r, http.StatusOK, encodeDiscoveryList(items))
		return
	}
	for _, it := range items {
		if it["id"] == id {
			h.write(w, r, http.StatusOK, it)
			return
		}
	}
	h.fail(w, r, OpDiscovery, update.Errorf(update.NotFound, "no such schema or resource type"))
}

// fail writes err, returned while serving op, as SCIM's error. Internal
// errors are logged with the request id; their details never reach the
// client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, err error) {
	status, body := EncodeError(err, op)
	if update.ErrorCode(err) == update.Internal {
		h.log.ErrorContext(r.Context(), "scim: request failed", "request_id", httpx.RequestID(w, r), "pattern", r.Pattern, "err", err)
	}
	h.write(w, r, status, body)
}

// write writes v as an application/scim+json body (none for nil).
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	id := httpx.RequestID(w, r)
	if h.log.Enabled(r.Context(), slog.LevelInfo) {
		h.log.InfoContext(r.Context(), "scim", "request_id", id, "method", r.Method, "pattern", r.Pattern, "status", status)
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	// json.Marshal's bytes, appended without reflection into a buffer
	// kept between answers: Write copies what it is given.
	buf := httpx.Buffer()
	b, err := httpx.AppendJSON(*buf, v)
	if err != nil {
		status, b = http.StatusInternalServerError, append(b[:0], `{"schemas":["`+MessageError+`"],"status":"500"}`...)
	}
	b = append(b, '\n')
	httpx.WriteTyped(w, status, scimContentType, b)
	*buf = b
	httpx.PutBuffer(buf)
}

// setETag sets the ETag header under its canonical key ("Etag", as
// Header.Set files it), without canonicalizing the key on every answer.
func setETag(w http.ResponseWriter, tag string) { w.Header()["Etag"] = []string{tag} }

// The content type of every answer with a body, shared by all of them:
// nothing writes into a header value in place.
var scimContentType = []string{MediaType}
