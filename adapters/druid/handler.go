package druid

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// The paths the adapter serves.
const (
	PathToken   = "/oauth2/token"
	PathUpdate  = "/activityid/v1/user/update"
	PathConfirm = "/activityid/v1/user/confirm"
	PathResend  = "/activityid/v1/notification/request"
	// PathBulk takes a JSONL upload of partial updates (ours: DRUID's
	// path for it is not public).
	PathBulk = "/activityid/v1/user/bulk"
)

// maxFormBytes bounds the token request, a handful of short form fields.
const maxFormBytes = 4 << 10

// Handler serves DRUID's registration API over an engine. It is safe for
// concurrent use. Its tokens, used code verifiers and token quotas live
// in the store (Config.Tokens), so any number of handlers on one store
// act as one.
type Handler struct {
	eng    *update.Engine
	cfg    Config
	tokens *tokens
	mux    *http.ServeMux
	// userTokens finds the configured user token a request bears.
	userTokens *httpx.Credentials[UserToken]
	// spendInUpdate says the tokens live in the records' store and it
	// can spend a token in the transaction of an update.
	spendInUpdate bool
	// tokenNames maps each configured client's name as tokens carry it
	// (tokenClient) to the client.
	tokenNames map[string]string
}

// New returns a Handler over an engine of its own: the profile
// Policy(cfg) over store, with cfg.Now as its clock and opts after the
// profile's own options (a dispatcher, a code key, a logger). It fails
// when cfg names a client twice or without id or secret.
func New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	eng, err := update.New(store, Policy(cfg), append(engineOptions(cfg), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("druid: %w", err)
	}
	eph := cfg.Tokens
	if eph == nil {
		var ok bool
		if eph, ok = store.(storage.Ephemeral); !ok {
			return nil, errors.New("druid: the store does not keep tokens (storage.Ephemeral); set Config.Tokens")
		}
	}
	_, spender := store.(storage.Spender)
	h := &Handler{eng: eng, cfg: cfg, tokens: newTokens(eph, cfg.TokenTTL, cfg.TokenQuota), mux: http.NewServeMux(),
		userTokens:    httpx.NewCredentials(cfg.UserTokens, func(ut UserToken) string { return ut.Token }),
		spendInUpdate: cfg.Tokens == nil && spender, tokenNames: make(map[string]string, len(cfg.Clients))}
	for _, cl := range cfg.Clients {
		h.tokenNames[base64.RawURLEncoding.EncodeToString([]byte(cl.ID))] = cl.ID
	}
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls the vendor's API does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

// Register adds the handler's patterns to mux: POST on each DRUID path,
// and the same paths for any other method, answered 405 in DRUID's body.
func (h *Handler) Register(mux *http.ServeMux) {
	routes := []struct {
		method, path string
		op           Op
		serve        func(w http.ResponseWriter, r *http.Request)
	}{
		{http.MethodPost, PathToken, OpToken, h.serveToken},
		{http.MethodPost, PathUpdate, OpUpdate, h.serveUpdate},
		{http.MethodPatch, PathUpdate, OpUpdate, h.servePatch},
		{http.MethodPost, PathConfirm, OpConfirm, h.serveConfirm},
		{http.MethodPost, PathResend, OpResend, h.serveResend},
		{http.MethodPost, PathBulk, OpBulk, h.serveBulk},
	}
	allow := map[string][]string{}
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, rt.serve)
		allow[rt.path] = append(allow[rt.path], rt.method)
	}
	for _, rt := range routes {
		methods := strings.Join(allow[rt.path], ", ")
		if methods == "" {
			continue // registered already
		}
		allow[rt.path] = nil
		mux.HandleFunc(rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			h.fail(w, r, rt.op, failure(codeMethod, "method not allowed, use "+strings.ReplaceAll(methods, ", ", " or ")))
		})
	}
}

// ServeHTTP serves the DRUID paths; any other path is 404 in DRUID's body.
// The mux is asked once: its handler is called directly, with the
// request's Pattern set as the mux's own ServeHTTP sets it. DRUID's
// patterns have no wildcards, so there are no path values to set.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve, pattern := h.mux.Handler(r)
	if pattern == "" {
		h.fail(w, r, OpUpdate, failure(codeRoute, "no such endpoint"))
		return
	}
	r.Pattern = pattern
	serve.ServeHTTP(w, r)
}

func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { h.fail(w, r, OpToken, err) }
	form, err := readForm(r)
	if err == nil {
		err = DecodeQuery(r.URL.RawQuery)
	}
	if err != nil {
		fail(err)
		return
	}
	if form.Get("grant_type") != grantChallenge {
		fail(failure(update.Malformed, "grant_type must be "+grantChallenge))
		return
	}
	cl, err := h.authenticate(form.Get("client_id"), form.Get("client_secret"))
	if err != nil {
		fail(err)
		return
	}
	method, challenge := form.Get("code_challenge_method"), form.Get("code_challenge")
	if method == "" {
		method = methodPlain // RFC 7636 4.3: plain when the method is absent
	}
	if method != methodPlain && method != methodS256 {
		fail(failure(update.Malformed, "code_challenge_method must be plain or S256"))
		return
	}
	if !validChallenge(method, challenge) {
		fail(failure(update.Malformed, challengeProblem(method, challenge)))
		return
	}
	scopes, err := grantedScopes(cl, form.Get("scope"))
	if err != nil {
		fail(err)
		return
	}
	tok, err := h.tokens.issue(r.Context(), h.cfg.Now(), cl.ID, scopes, method, challenge)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, statusOK, TokenResponse{
		AccessToken: tok, TokenType: "bearer",
		ExpiresIn: int(h.cfg.TokenTTL.Seconds()), Scope: strings.Join(scopes, " "),
	})
}

// readForm reads a bounded form-encoded body; each field once at most.
func readForm(r *http.Request) (url.Values, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, failure(update.Malformed, "Content-Type must be application/x-www-form-urlencoded")
	}
	b, err := httpx.ReadBody(r, maxFormBytes)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, failureWrap(update.Malformed, "the form cannot be parsed", err)
	}
	if name, ok := httpx.Unknown(form, tokenFields...); ok {
		return nil, unknownParameter("form field", name)
	}
	for k, vs := range form {
		if len(vs) > 1 {
			return nil, failure(update.Malformed, "form field "+clip(k)+" sent more than once")
		}
	}
	return form, nil
}

// authenticate checks a client's credentials and that it may use the
// challenge-code flow.
func (h *Handler) authenticate(id, secret string) (Client, error) {
	cl, ok := h.cfg.client(id)
	// Compare even for an unknown client so timing does not tell which
	// client ids exist.
	match := httpx.SecretEqual(secret, cl.Secret)
	if !ok || !match || secret == "" {
		return Client{}, failure(codeUnauthorized, "invalid client credentials")
	}
	if !cl.ChallengeFlow {
		return Client{}, failure(update.Forbidden, "the application may not use the challenge-code flow")
	}
	return cl, nil
}

// grantedScopes returns the scopes a token gets: those asked for (all the
// client's when none), each of which the client must hold.
func grantedScopes(cl Client, asked string) ([]string, error) {
	if asked == "" {
		return cl.scopes(), nil
	}
	var out []string
	for _, s := range strings.Fields(asked) {
		if !slices.Contains(cl.scopes(), s) {
			return nil, failure(codeNoScope, "scope "+clip(s)+" not allowed for this application")
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (h *Handler) serveUpdate(w http.ResponseWriter, r *http.Request) {
	by, body, err := h.updateRequest(r)
	fail := func(err error) { h.fail(w, r, OpUpdate, h.unspent(r, by, err)) }
	if err != nil {
		fail(err)
		return
	}
	self := by.Subject != ""
	u, ok := decodeUpdateBody(body, int(h.cfg.MaxBodyBytes), h.cfg.MaxDepth, self)
	if !ok {
		// The checked path, which says what is wrong.
		var v any
		if v, err = h.decodeJSON(body, int(h.cfg.MaxBodyBytes)); err == nil {
			u, err = decodeUpdate(v, self)
		}
	}
	if err == nil {
		err = by.checkActor(u.Actor)
	}
	if err != nil {
		fail(err)
		return
	}
	h.answerUpdate(w, r, OpUpdate, u.Request(by))
}

// servePatch serves the partial update: PATCH on the update path, with
// either kind of token.
func (h *Handler) servePatch(w http.ResponseWriter, r *http.Request) {
	by, body, err := h.updateRequest(r)
	fail := func(err error) { h.fail(w, r, OpUpdate, h.unspent(r, by, err)) }
	if err != nil {
		fail(err)
		return
	}
	v, err := h.decodeJSON(body, int(h.cfg.MaxBodyBytes))
	if err != nil {
		fail(err)
		return
	}
	p, err := DecodePatch(v, by.Subject != "")
	if err == nil {
		err = by.checkActor(p.Actor)
	}
	if err != nil {
		fail(err)
		return
	}
	h.answerUpdate(w, r, OpUpdate, p.Request(by))
}

// answerUpdate applies req and writes DRUID's answer.
func (h *Handler) answerUpdate(w http.ResponseWriter, r *http.Request, op Op, req update.Request) {
	res, err := h.eng.Apply(r.Context(), req)
	if err != nil {
		h.fail(w, r, op, tokenError(err))
		return
	}
	h.logDispatch(w, r, res)
	status, out := EncodeResult(res)
	if out == nil {
		w.WriteHeader(status)
		return
	}
	httpx.WriteJSON(w, status, out)
}

// logDispatch logs the codes of res that could not be sent.
func (h *Handler) logDispatch(w http.ResponseWriter, r *http.Request, res *update.Result) {
	for _, p := range res.Pending {
		if p.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "druid: confirmation code not sent",
				"request_id", httpx.RequestID(w, r), "user", res.ID, "path", p.Path, "error", p.DispatchError)
		}
	}
}

// updateRequest authenticates an update (POST or PATCH) and reads its
// JSON body, still to be decoded. A caller whose token is still to be
// spent comes back with the error too: see unspent.
func (h *Handler) updateRequest(r *http.Request) (Caller, []byte, error) {
	by, err := h.authorize(r)
	if err != nil {
		return by, nil, err
	}
	body, err := h.readBody(r)
	return by, body, err
}

// unspent answers an update refused before the engine saw it: when its
// token is still to be spent, it is spent now, and a token that cannot
// be spent (or a verifier that does not match) answers instead of err,
// as it would had the token been spent first.
func (h *Handler) unspent(r *http.Request, by Caller, err error) error {
	if by.spend == nil {
		return err
	}
	if serr := storage.SpendAlone(r.Context(), h.tokens.store, *by.spend); serr != nil {
		return tokenError(serr)
	}
	return err
}

// authorize checks the credentials of an update: a challenge-code token
// with the code_verifier of its challenge (administrative), or, with no
// code_verifier, a user's own access token (the non-administrative
// update, which names the user). Either way the From header must name an
// entry point of the token's client.
func (h *Handler) authorize(r *http.Request) (Caller, error) {
	verifier, err := DecodeUpdateQuery(r.URL.RawQuery)
	if err != nil {
		return Caller{}, err
	}
	var by Caller
	ut, isUser, err := h.userToken(r, verifier)
	switch {
	case err != nil:
		return Caller{}, err
	case isUser:
		by = Caller{Client: ut.Client, Subject: ut.UserID}
	default:
		if by, err = h.challengeCaller(r, verifier); err != nil {
			return Caller{}, err
		}
	}
	if by.Actor, err = h.entryPoint(r, by.Client); err != nil {
		return by, err
	}
	return by, nil
}

// challengeCaller is the caller of a challenge-code token. A token that
// names its client, on a store that spends tokens in updates, is spent
// with the update (Caller.spend); any other is spent now.
func (h *Handler) challengeCaller(r *http.Request, verifier string) (Caller, error) {
	tok, ok := httpx.Bearer(r)
	if !ok {
		return Caller{}, failure(codeUnauthorized, "Authorization: Bearer token required")
	}
	if h.spendInUpdate {
		if client, named := h.tokenClient(tok); named {
			s := h.tokens.spend(h.cfg.Now(), tok, scopeUpdate, verifier, client)
			return Caller{Client: client, spend: &s.sp}, nil
		}
	}
	client, err := h.redeem(r, verifier)
	return Caller{Client: client}, err
}

// tokenClient is the package's tokenClient, answered without decoding for
// the names of configured clients.
func (h *Handler) tokenClient(tok string) (string, bool) {
	if name, _, ok := strings.Cut(tok, "."); ok {
		if client, known := h.tokenNames[name]; known {
			return client, true
		}
	}
	return tokenClient(tok)
}

// userToken reports whether r carries a user's own access token: a
// bearer token, without code_verifier, that Config.UserTokens lists or
// Config.LookupUserToken knows.
func (h *Handler) userToken(r *http.Request, verifier string) (UserToken, bool, error) {
	tok, ok := httpx.Bearer(r)
	if !ok || verifier != "" {
		return UserToken{}, false, nil
	}
	if ut, ok := h.userTokens.Match(tok); ok {
		return ut, true, nil
	}
	if h.cfg.LookupUserToken == nil {
		return UserToken{}, false, nil
	}
	ut, found, err := h.cfg.LookupUserToken(r.Context(), tok)
	switch {
	case err != nil:
		return UserToken{}, false, failureWrap(update.Internal, "cannot check the token now", err)
	case !found:
		return UserToken{}, false, nil
	case ut.UserID == "" || len(ut.UserID) > maxNameLen:
		return UserToken{}, false, failure(update.Internal, "cannot check the token now")
	}
	if _, known := h.cfg.client(ut.Client); !known {
		return UserToken{}, false, failure(codeUnauthorized, "the token's application is not configured")
	}
	return ut, true, nil
}

// checkActor refuses an actor.id other than the token's client.
func (by Caller) checkActor(actor string) error {
	if actor != by.Client {
		return failure(update.Forbidden, "actor.id does not name the application the token was issued to")
	}
	return nil
}

// redeem checks the bearer token of r and the code verifier, spending the
// token, and returns the client it was issued to.
func (h *Handler) redeem(r *http.Request, verifier string) (string, error) {
	tok, ok := httpx.Bearer(r)
	if !ok {
		return "", failure(codeUnauthorized, "Authorization: Bearer token required")
	}
	return h.tokens.redeem(r.Context(), h.cfg.Now(), tok, scopeUpdate, verifier)
}

// entryPoint checks the From header names one of client's entry points
// and returns it.
func (h *Handler) entryPoint(r *http.Request, client string) (string, error) {
	from := r.Header.Values("From")
	if len(from) != 1 || from[0] == "" {
		return "", failure(update.Malformed, "the From header must name the entry point, once")
	}
	cl, _ := h.cfg.client(client)
	if !slices.Contains(cl.EntryPoints, from[0]) {
		return "", failure(update.Forbidden, "the entry point does not belong to the application")
	}
	return from[0], nil
}

// readJSON reads a bounded JSON body with bounded nesting.
func (h *Handler) readJSON(r *http.Request) (any, error) {
	b, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	return h.decodeJSON(b, int(h.cfg.MaxBodyBytes))
}

// readBody reads a bounded JSON body (UTF-8, at most MaxBodyBytes) without
// decoding it.
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if !httpx.IsMediaType(r.Header.Get("Content-Type"), "application/json") {
		return nil, failure(update.Malformed, "Content-Type must be application/json")
	}
	return httpx.ReadBody(r, h.cfg.MaxBodyBytes)
}

// decodeJSON decodes b, of at most max bytes, with bounded nesting.
func (h *Handler) decodeJSON(b []byte, max int) (any, error) {
	v, err := merge.Decode(b, merge.DecodeLimits{MaxBytes: max, MaxDepth: h.cfg.MaxDepth})
	switch {
	case errors.Is(err, merge.ErrTooLarge):
		return nil, failureWrap(update.TooLarge, "the body is too large", err)
	case errors.Is(err, merge.ErrTooDeep):
		return nil, failureWrap(update.TooLarge, "the body nests too deeply", err)
	case err != nil:
		return nil, failureWrap(update.Malformed, "the body is not valid JSON", err)
	}
	return v, nil
}

func (h *Handler) serveConfirm(w http.ResponseWriter, r *http.Request) {
	client, entry, body, err := h.entryRequest(r)
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	c, err := DecodeConfirm(body)
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	_, err = h.eng.Confirm(r.Context(), update.ConfirmRequest{
		Type: EntityType, Locator: c.Locator, Code: c.Code, Client: client, Actor: entry,
	})
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	httpx.WriteJSON(w, statusOK, Body{Result: Outcome{Status: statusOK}})
}

func (h *Handler) serveResend(w http.ResponseWriter, r *http.Request) {
	client, entry, body, err := h.entryRequest(r)
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	n, err := DecodeResend(body)
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	res, err := h.eng.Resend(r.Context(), update.ResendRequest{
		Type: EntityType, Locator: n.Locator, Path: n.Path, Client: client, Actor: entry,
	})
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	h.logDispatch(w, r, res)
	httpx.WriteJSON(w, statusOK, Body{Result: Outcome{Status: statusOK}})
}

// entryRequest authenticates a confirm or resend by its From header,
// which must name an entry point of a configured client (the code itself
// is the user's proof), and reads its JSON body.
func (h *Handler) entryRequest(r *http.Request) (client, entry string, body any, err error) {
	if err := DecodeQuery(r.URL.RawQuery); err != nil {
		return "", "", nil, err
	}
	from := r.Header.Values("From")
	if len(from) != 1 || from[0] == "" {
		return "", "", nil, failure(update.Malformed, "the From header must name the entry point, once")
	}
	for _, cl := range h.cfg.Clients {
		if slices.Contains(cl.EntryPoints, from[0]) {
			client = cl.ID
		}
	}
	if client == "" {
		return "", "", nil, failure(update.Forbidden, "unknown entry point")
	}
	body, err = h.readJSON(r)
	return client, from[0], body, err
}

// fail writes err, returned while serving op, as DRUID's error body and
// logs it without secrets.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, err error) {
	status, body := EncodeError(err, op)
	level := slog.LevelInfo
	if update.ErrorCode(err) == update.Internal {
		level = slog.LevelError
	}
	h.cfg.Logger.Log(r.Context(), level, "druid: request refused",
		"request_id", httpx.RequestID(w, r), "method", r.Method, "path", r.URL.Path,
		"status", status, "code", string(update.ErrorCode(err)), "error", err)
	httpx.WriteJSON(w, status, body)
}
