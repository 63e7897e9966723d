package zitadel

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Handler serves ZITADEL's user service paths over an engine. It is safe
// for concurrent use.
type Handler struct {
	eng *update.Engine
	cfg Config
	mux *http.ServeMux
}

// New returns a Handler over eng, whose policy should be Policy(cfg) (the
// grants are looked up by the client ids of cfg.Clients). Zero fields of
// cfg take their defaults; an unusable cfg is an error.
func New(eng *update.Engine, cfg Config) (*Handler, error) {
	if eng == nil {
		return nil, errors.New("zitadel: nil engine")
	}
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	h := &Handler{eng: eng, cfg: cfg, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// ServeHTTP serves the adapter's paths; any other path is answered with
// ZITADEL's not-found body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// route is one served call.
type route struct {
	method, path string
	serve        func(h *Handler, w http.ResponseWriter, r *http.Request, c Client)
}

func routes() []route {
	return []route{
		{http.MethodPost, "/v2/users/human", (*Handler).addHumanUser},
		{http.MethodPut, "/v2/users/human/{userId}", (*Handler).updateHumanUser},
		{http.MethodGet, "/v2/users/{userId}", (*Handler).getUser},
		{http.MethodPost, "/v2/users/{userId}/email/verify", verifyCall(verify.Email)},
		{http.MethodPost, "/v2/users/{userId}/email/resend", resendCall(verify.Email)},
		{http.MethodPost, "/v2/users/{userId}/phone/verify", verifyCall(verify.SMS)},
		{http.MethodPost, "/v2/users/{userId}/phone/resend", resendCall(verify.SMS)},
		{http.MethodDelete, "/v2/users/{userId}/phone", (*Handler).removePhone},
	}
}

// Register registers the adapter's patterns on mux: one per call, and one
// catch-all under /v2/users/ that answers a wrong method on a known path
// with ZITADEL's 405 body and an unknown path with its 404 body.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, rt := range routes() {
		serve := rt.serve
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			c, err := h.authenticate(r)
			if err != nil {
				h.writeError(w, r, err, OpRead)
				return
			}
			serve(h, w, r, c)
		})
	}
	mux.HandleFunc("/v2/users/{rest...}", h.fallback)
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
		h.writeError(w, r, errMethodNotAllowed, OpRead)
		return
	}
	h.writeError(w, r, errRouteNotFound, OpRead)
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
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 4096 {
		return Client{}, errUnauthenticated
	}
	var found Client
	matched := 0
	for _, c := range h.cfg.Clients {
		if subtle.ConstantTimeCompare([]byte(c.Token), []byte(token)) == 1 {
			found = c
			matched++
		}
	}
	if matched != 1 {
		return Client{}, errUnauthenticated
	}
	return found, nil
}

// read loads the user named in the path and checks that c may act on it:
// an admin token within its organisation, a user's token on itself.
func (h *Handler) read(ctx context.Context, r *http.Request, c Client) (*update.View, Target, error) {
	id := r.PathValue("userId")
	if id == "" || len(id) > 200 {
		return nil, Target{}, update.Errorf(update.NotFound, "no such user")
	}
	v, err := h.eng.Get(ctx, EntityType, update.ByID(id))
	if err != nil {
		return nil, Target{}, err
	}
	org := str(v.Doc, "orgId")
	if c.admin() && subtle.ConstantTimeCompare([]byte(org), []byte(c.OrgID)) != 1 ||
		!c.admin() && c.UserID != id {
		return nil, Target{}, errForbidden
	}
	return v, h.target(c, id, org), nil
}

func (h *Handler) target(c Client, userID, orgID string) Target {
	actor := c.UserID
	if actor == "" {
		actor = "client:" + c.ID
	}
	return Target{
		UserID: userID, OrgID: orgID, Client: c.ID, Actor: actor,
		DefaultURLTemplate: h.cfg.DefaultURLTemplate,
	}
}

// body reads the request body within the configured bound.
func (h *Handler) body(r *http.Request) ([]byte, error) {
	b, err := httpx.ReadBody(r, h.cfg.MaxBodyBytes)
	switch {
	case errors.Is(err, httpx.ErrTooLarge):
		return nil, &update.Error{
			Code:    update.TooLarge,
			Message: fmt.Sprintf("the body is larger than %d bytes", h.cfg.MaxBodyBytes),
			Err:     err,
		}
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return nil, &update.Error{Code: update.Malformed, Message: "invalid request body: the body is not valid UTF-8", Err: err}
	case err != nil:
		return nil, &update.Error{Code: update.Malformed, Message: "invalid request body: it could not be read", Err: err}
	}
	return b, nil
}

func (h *Handler) updateHumanUser(w http.ResponseWriter, r *http.Request, c Client) {
	ctx := r.Context()
	raw, err := h.body(r)
	if err != nil {
		h.writeError(w, r, err, OpUpdate)
		return
	}
	b, err := ParseUpdate(raw, h.cfg.MaxDepth)
	if err != nil {
		h.writeError(w, r, err, OpUpdate)
		return
	}
	v, t, err := h.read(ctx, r, c)
	if err != nil {
		h.writeError(w, r, err, OpUpdate)
		return
	}
	req, err := UpdateRequest(b, t)
	if err != nil {
		h.writeError(w, r, err, OpUpdate)
		return
	}
	res, err := h.eng.Apply(ctx, req)
	if err != nil {
		h.writeError(w, r, err, OpUpdate)
		return
	}
	h.logDispatch(r, res)
	httpx.WriteJSON(w, statusOK, EncodeChange(res, str(v.Doc, "orgId")))
}

func (h *Handler) addHumanUser(w http.ResponseWriter, r *http.Request, c Client) {
	if !c.admin() {
		h.writeError(w, r, errForbidden, OpCreate)
		return
	}
	raw, err := h.body(r)
	if err != nil {
		h.writeError(w, r, err, OpCreate)
		return
	}
	b, err := ParseCreate(raw, h.cfg.MaxDepth)
	if err != nil {
		h.writeError(w, r, err, OpCreate)
		return
	}
	if o := b.Organization; o != nil {
		switch {
		case o.OrgDomain != nil:
			h.writeError(w, r, invalid([]update.FieldError{{
				Path: "/organization/orgDomain", Rule: "unsupported",
				Message: "organization.orgDomain is not supported here; send organization.orgId",
			}}), OpCreate)
			return
		case o.OrgID != nil && *o.OrgID != c.OrgID:
			h.writeError(w, r, errForbidden, OpCreate)
			return
		}
	}
	req, err := CreateRequest(b, h.target(c, "", c.OrgID))
	if err != nil {
		h.writeError(w, r, err, OpCreate)
		return
	}
	if len(req.ID) > 200 {
		h.writeError(w, r, invalid([]update.FieldError{{Path: "/userId", Rule: "max", Param: "200", Message: "userId is longer than 200 characters"}}), OpCreate)
		return
	}
	res, err := h.eng.Create(r.Context(), req)
	if err != nil {
		h.writeError(w, r, err, OpCreate)
		return
	}
	h.logDispatch(r, res)
	httpx.WriteJSON(w, statusCreated, EncodeAdd(res, c.OrgID))
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c Client) {
	v, _, err := h.read(r.Context(), r, c)
	if err != nil {
		h.writeError(w, r, err, OpRead)
		return
	}
	httpx.WriteJSON(w, statusOK, EncodeUser(v))
}

// verifyCall serves .../email/verify and .../phone/verify.
func verifyCall(channel verify.Channel) func(*Handler, http.ResponseWriter, *http.Request, Client) {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, c Client) {
		raw, err := h.body(r)
		if err != nil {
			h.writeError(w, r, err, OpVerify)
			return
		}
		code, err := ParseVerify(raw, h.cfg.MaxDepth)
		if err != nil {
			h.writeError(w, r, err, OpVerify)
			return
		}
		v, t, err := h.read(r.Context(), r, c)
		if err != nil {
			h.writeError(w, r, err, OpVerify)
			return
		}
		res, err := h.eng.Confirm(r.Context(), update.ConfirmRequest{
			Type: EntityType, Locator: update.ByID(t.UserID), Path: channelPath(channel),
			Code: code, Client: t.Client, Actor: t.Actor,
		})
		if err != nil {
			h.writeError(w, r, err, OpVerify)
			return
		}
		httpx.WriteJSON(w, statusOK, ChangeResponse{Details: EncodeChange(res, str(v.Doc, "orgId")).Details})
	}
}

// resendCall serves .../email/resend and .../phone/resend.
func resendCall(channel verify.Channel) func(*Handler, http.ResponseWriter, *http.Request, Client) {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, c Client) {
		raw, err := h.body(r)
		if err != nil {
			h.writeError(w, r, err, OpResend)
			return
		}
		v, t, err := h.read(r.Context(), r, c)
		if err != nil {
			h.writeError(w, r, err, OpResend)
			return
		}
		var d update.Delivery
		if channel == verify.SMS {
			d, err = ParseResendPhone(raw, h.cfg.MaxDepth, t)
		} else {
			d, err = ParseResendEmail(raw, h.cfg.MaxDepth, t)
		}
		if err != nil {
			h.writeError(w, r, err, OpResend)
			return
		}
		res, err := h.eng.Resend(r.Context(), update.ResendRequest{
			Type: EntityType, Locator: update.ByID(t.UserID), Path: channelPath(channel),
			Client: t.Client, Actor: t.Actor, Delivery: d,
		})
		if err != nil {
			h.writeError(w, r, err, OpResend)
			return
		}
		h.logDispatch(r, res)
		out := EncodeChange(res, str(v.Doc, "orgId"))
		out.VerificationCode = out.EmailCode + out.PhoneCode
		out.EmailCode, out.PhoneCode = "", ""
		httpx.WriteJSON(w, statusOK, out)
	}
}

func (h *Handler) removePhone(w http.ResponseWriter, r *http.Request, c Client) {
	v, t, err := h.read(r.Context(), r, c)
	if err != nil {
		h.writeError(w, r, err, OpRemovePhone)
		return
	}
	if str(obj(v.Doc, "phone"), "phone") == "" {
		h.writeError(w, r, errPhoneNotFound, OpRemovePhone)
		return
	}
	res, err := h.eng.Apply(r.Context(), update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge, Doc: map[string]any{"phone": nil}, IncludeRecord: true,
	})
	if err != nil {
		h.writeError(w, r, err, OpRemovePhone)
		return
	}
	httpx.WriteJSON(w, statusOK, ChangeResponse{Details: EncodeChange(res, t.OrgID).Details})
}

// logDispatch logs codes that could not be sent. The change stands, as
// in ZITADEL, and the code can be resent; the log says so to an operator.
func (h *Handler) logDispatch(r *http.Request, res *update.Result) {
	for _, p := range res.Pending {
		if p.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "zitadel: verification code not sent",
				"request_id", httpx.RequestID(r), "user", res.ID, "path", p.Path, "reason", p.DispatchError)
		}
	}
}

// writeError writes err as ZITADEL's error body. Internal errors are
// logged with the request id; their details never reach the client.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, op Op) {
	status, body := EncodeError(err, op)
	id := httpx.RequestID(r)
	w.Header().Set("X-Request-Id", id)
	if body.Code == grpcInternal {
		h.cfg.Logger.ErrorContext(r.Context(), "zitadel: internal error",
			"request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
	}
	httpx.WriteJSON(w, status, body)
}
