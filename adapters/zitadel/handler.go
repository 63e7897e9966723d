package zitadel

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Handler serves ZITADEL's user service paths over its own engine. It is
// safe for concurrent use.
type Handler struct {
	eng  *update.Engine
	cfg  Config
	mux  *http.ServeMux
	rpc  http.Handler // the RPC formats, under RPCPath
	fast *grpcFast    // rpc's gRPC fast path
	// rpcRoutes serve each served method by its exact path (RPCPath +
	// method name), as rpc does.
	rpcRoutes map[string]http.Handler
	// clients finds the client of a request's token.
	clients *httpx.Credentials[Client]
	// actors are the engine actors of admin clients by id, built once
	// rather than on every request.
	actors map[string]string
}

// New returns a Handler over an engine of its own: the profile
// Policy(cfg) over store, with cfg.Now as its clock and opts after the
// profile's own options (a dispatcher, a code key, a logger). Zero fields
// of cfg take their defaults; an unusable cfg is an error.
func New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	eng, err := update.New(store, Policy(cfg), append(engineOptions(cfg), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("zitadel: %w", err)
	}
	h := &Handler{eng: eng, cfg: cfg, mux: http.NewServeMux(),
		clients: httpx.NewCredentials(cfg.Clients, func(c Client) string { return c.Token }),
		actors:  make(map[string]string, len(cfg.Clients))}
	for _, c := range cfg.Clients {
		h.actors[c.ID] = "client:" + c.ID
	}
	h.rpc = h.newRPC()
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls the vendor's API does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

// ServeHTTP serves the adapter's paths, REST and RPC (see Register); any
// other path is answered with ZITADEL's not-found body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A served method's exact path, sent as is (nothing escaped, so
	// nothing for the mux to clean or redirect), goes straight to the
	// handler the mux would pick for it, the pattern of that exact path,
	// without the mux's routing; r names the pattern as the mux would.
	if p := r.URL.Path; strings.HasPrefix(p, RPCPath) && r.URL.RawPath == "" {
		if rt, ok := h.rpcRoutes[p]; ok {
			r.Pattern = p
			rt.ServeHTTP(w, r)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// route is one served call.
type route struct {
	method, path string
	serve        func(h *Handler, w http.ResponseWriter, r *http.Request, c Client)
}

func routes() []route {
	return []route{
		{http.MethodPost, "/v2/users", (*Handler).listUsersREST},
		{http.MethodPost, "/v2/users/human", (*Handler).addHumanUser},
		{http.MethodPut, "/v2/users/human/{userId}", (*Handler).updateHumanUser},
		{http.MethodGet, "/v2/users/{userId}", (*Handler).getUser},
		{http.MethodPatch, "/v2/users/{userId}", jsonCall(OpUpdate, DecodeUpdateUser, (*Handler).updateUserV2)},
		{http.MethodPost, "/v2/users/{userId}/email/verify", verifyCall(verify.Email)},
		{http.MethodPost, "/v2/users/{userId}/email/resend", resendCall(verify.Email)},
		{http.MethodPost, "/v2/users/{userId}/phone/verify", verifyCall(verify.SMS)},
		{http.MethodPost, "/v2/users/{userId}/phone/resend", resendCall(verify.SMS)},
		{http.MethodDelete, "/v2/users/{userId}/phone", (*Handler).removePhone},
		{http.MethodPost, "/v2/users/{userId}/password", jsonCall(OpSetPassword, DecodeSetPassword, (*Handler).setPassword)},
		{http.MethodPost, "/v2/users/{userId}/password_reset", jsonCall(OpPasswordReset, DecodePasswordReset, (*Handler).resetPassword)},
	}
}

// Register registers the adapter's patterns on mux: one per REST call,
// one catch-all under /v2/users/ that answers a wrong method on a known
// path with ZITADEL's 405 body and an unknown path with its 404 body, and
// RPCPath (and each served method's path under it) for gRPC, gRPC-web and
// Connect. gRPC needs HTTP/2: serve mux
// with TLS, or in cleartext with an http.Server whose Protocols allow
// unencrypted HTTP/2.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, rt := range routes() {
		serve := rt.serve
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			c, err := h.authenticate(r)
			if err == nil {
				err = DecodeQuery(r.URL.RawQuery)
			}
			if err != nil {
				h.fail(w, r, OpRead, err)
				return
			}
			serve(h, w, r, c)
		})
	}
	mux.HandleFunc("/v2/users/{rest...}", h.fallback)
	mux.Handle(RPCPath, h.rpc)
	// Each served method by its exact path too, straight to its fast
	// path: an exact pattern matches without the allocations of the
	// prefix pattern's wildcard, and the method needs no lookup by path.
	for path, rt := range h.rpcRoutes {
		mux.Handle(path, rt)
	}
}

// fallback answers requests no call pattern matched.
func (h *Handler) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range routes() {
		if pathMatches(rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.fail(w, r, OpRead, errMethodNotAllowed)
		return
	}
	h.fail(w, r, OpRead, errRouteNotFound)
}

// pathMatches reports whether path fits pattern, whose {name} segments
// match any one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
		} else if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// authenticate finds the client of the request's bearer token. Every
// configured token is compared in constant time.
func (h *Handler) authenticate(r *http.Request) (Client, error) {
	c, ok := h.clients.Bearer(r)
	if !ok {
		return Client{}, errUnauthenticated
	}
	return c, nil
}

func (h *Handler) target(c Client, userID, orgID string) Target {
	actor := c.UserID
	if actor == "" {
		var ok bool
		if actor, ok = h.actors[c.ID]; !ok {
			actor = "client:" + c.ID
		}
	}
	return Target{
		UserID: userID, OrgID: orgID, Client: c.ID, Actor: actor,
		DefaultURLTemplate: h.cfg.DefaultURLTemplate,
	}
}

// body reads the request body within the configured bound.
func (h *Handler) body(r *http.Request) ([]byte, error) {
	return httpx.ReadBody(r, h.cfg.MaxBodyBytes)
}

// The REST calls: each decodes the gateway's JSON into the typed request,
// runs the call shared with the RPC formats (calls.go) and writes the
// answer.

func (h *Handler) updateHumanUser(w http.ResponseWriter, r *http.Request, c Client) {
	raw, err := h.body(r)
	if err != nil {
		h.fail(w, r, OpUpdate, err)
		return
	}
	b, err := DecodeUpdate(raw, h.cfg.MaxDepth)
	if err != nil {
		h.fail(w, r, OpUpdate, err)
		return
	}
	out, err := h.updateUser(w, r, c, r.PathValue("userId"), b)
	if err != nil {
		h.fail(w, r, OpUpdate, err)
		return
	}
	httpx.WriteJSON(w, statusOK, &out)
}

func (h *Handler) addHumanUser(w http.ResponseWriter, r *http.Request, c Client) {
	out, err := h.addUser(w, r, c, func() (*AddHumanUserRequest, error) {
		raw, err := h.body(r)
		if err != nil {
			return nil, err
		}
		return DecodeCreate(raw, h.cfg.MaxDepth)
	})
	if err != nil {
		h.fail(w, r, OpCreate, err)
		return
	}
	httpx.WriteJSON(w, statusCreated, out)
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c Client) {
	out, err := h.readUser(r, c, r.PathValue("userId"))
	if err != nil {
		h.fail(w, r, OpRead, err)
		return
	}
	httpx.WriteJSON(w, statusOK, &out)
}

// verifyCall serves .../email/verify and .../phone/verify.
func verifyCall(channel verify.Channel) func(*Handler, http.ResponseWriter, *http.Request, Client) {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, c Client) {
		raw, err := h.body(r)
		if err != nil {
			h.fail(w, r, OpVerify, err)
			return
		}
		b, err := DecodeVerify(raw, h.cfg.MaxDepth)
		if err != nil {
			h.fail(w, r, OpVerify, err)
			return
		}
		out, err := h.verifyCode(r, c, r.PathValue("userId"), channel, b)
		if err != nil {
			h.fail(w, r, OpVerify, err)
			return
		}
		httpx.WriteJSON(w, statusOK, &out)
	}
}

// resendCall serves .../email/resend and .../phone/resend.
func resendCall(channel verify.Channel) func(*Handler, http.ResponseWriter, *http.Request, Client) {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, c Client) {
		raw, err := h.body(r)
		if err != nil {
			h.fail(w, r, OpResend, err)
			return
		}
		var resend func(Target) update.ResendRequest
		if channel == verify.SMS {
			b, derr := DecodeResendPhone(raw, h.cfg.MaxDepth)
			resend, err = b.Request, derr
		} else {
			b, derr := DecodeResendEmail(raw, h.cfg.MaxDepth)
			resend, err = b.Request, derr
		}
		if err != nil {
			h.fail(w, r, OpResend, err)
			return
		}
		out, err := h.resendCode(w, r, c, r.PathValue("userId"), resend)
		if err != nil {
			h.fail(w, r, OpResend, err)
			return
		}
		httpx.WriteJSON(w, statusOK, &out)
	}
}

func (h *Handler) listUsersREST(w http.ResponseWriter, r *http.Request, c Client) {
	raw, err := h.body(r)
	if err != nil {
		h.fail(w, r, OpList, err)
		return
	}
	m, err := DecodeList(raw, h.cfg.MaxDepth)
	if err != nil {
		h.fail(w, r, OpList, err)
		return
	}
	out, err := h.listUsers(r, c, m)
	if err != nil {
		h.fail(w, r, OpList, err)
		return
	}
	httpx.WriteJSON(w, statusOK, &out)
}

// jsonCall serves a call on one user with a JSON body: decode reads the
// body into its typed request, call runs it (calls.go).
func jsonCall[B, R any](op Op, decode func([]byte, int) (B, error),
	call func(*Handler, http.ResponseWriter, *http.Request, Client, string, B) (R, error),
) func(*Handler, http.ResponseWriter, *http.Request, Client) {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, c Client) {
		raw, err := h.body(r)
		if err != nil {
			h.fail(w, r, op, err)
			return
		}
		b, err := decode(raw, h.cfg.MaxDepth)
		if err != nil {
			h.fail(w, r, op, err)
			return
		}
		out, err := call(h, w, r, c, r.PathValue("userId"), b)
		if err != nil {
			h.fail(w, r, op, err)
			return
		}
		httpx.WriteJSON(w, statusOK, &out)
	}
}

func (h *Handler) removePhone(w http.ResponseWriter, r *http.Request, c Client) {
	raw, err := h.body(r)
	if err == nil {
		err = DecodeEmpty(raw, h.cfg.MaxDepth)
	}
	if err != nil {
		h.fail(w, r, OpRemovePhone, err)
		return
	}
	out, err := h.removeUserPhone(r, c, r.PathValue("userId"))
	if err != nil {
		h.fail(w, r, OpRemovePhone, err)
		return
	}
	httpx.WriteJSON(w, statusOK, &out)
}

// logDispatch logs codes that could not be sent. The change stands, as
// in ZITADEL, and the code can be resent; the log says so to an operator.
func (h *Handler) logDispatch(w http.ResponseWriter, r *http.Request, res *update.Result) {
	for _, p := range res.Pending {
		if p.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "zitadel: verification code not sent",
				"request_id", httpx.RequestID(w, r), "user", res.ID, "path", p.Path, "reason", p.DispatchError)
		}
	}
}

// fail writes err, returned while serving op, as ZITADEL's error body.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, err error) {
	status, body := h.encodeError(w, r, op, err)
	httpx.WriteJSON(w, status, body)
}

// encodeError maps err, returned while serving op, through EncodeError.
// Internal errors are logged with the request id; their details never
// reach the client.
func (h *Handler) encodeError(w http.ResponseWriter, r *http.Request, op Op, err error) (int, ErrorBody) {
	status, body := EncodeError(err, op)
	if body.Code == grpcInternal {
		h.cfg.Logger.ErrorContext(r.Context(), "zitadel: internal error",
			"request_id", httpx.RequestID(w, r), "method", r.Method, "path", r.URL.Path, "error", err)
	}
	return status, body
}
