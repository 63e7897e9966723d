package druid

import (
	"context"
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
	"github.com/idupdate/idupdate/update"
)

// The paths the adapter serves.
const (
	PathToken   = "/oauth2/token"
	PathUpdate  = "/activityid/v1/user/update"
	PathConfirm = "/activityid/v1/user/confirm"
	PathResend  = "/activityid/v1/notification/request"
)

// maxFormBytes bounds the token request, a handful of short form fields.
const maxFormBytes = 4 << 10

// conflictRetries is how often an update is retried when another write
// landed between its read and its write.
const conflictRetries = 3

// Handler serves DRUID's registration API over an engine. It is safe for
// concurrent use. Its tokens and used code verifiers live in memory: they
// are per process, and a restart forgets them.
type Handler struct {
	eng    *update.Engine
	cfg    Config
	tokens *tokens
	mux    *http.ServeMux
}

// New returns a Handler for eng, which must run under Policy(cfg) (or a
// policy with the same "druid.user" schema). It fails when cfg names a
// client twice or without id or secret.
func New(eng *update.Engine, cfg Config) (*Handler, error) {
	if eng == nil {
		return nil, errors.New("druid: nil engine")
	}
	cfg = cfg.withDefaults()
	seen := map[string]bool{}
	for _, cl := range cfg.Clients {
		if cl.ID == "" || cl.Secret == "" {
			return nil, errors.New("druid: a client needs an id and a secret")
		}
		if seen[cl.ID] {
			return nil, fmt.Errorf("druid: client %q configured twice", cl.ID)
		}
		seen[cl.ID] = true
	}
	h := &Handler{eng: eng, cfg: cfg, tokens: newTokens(cfg.TokenTTL, cfg.MaxTokens), mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's patterns to mux: POST on each DRUID path,
// and the same paths for any other method, answered 405 in DRUID's body.
func (h *Handler) Register(mux *http.ServeMux) {
	routes := map[string]http.HandlerFunc{
		PathToken:   h.serveToken,
		PathUpdate:  h.serveUpdate,
		PathConfirm: h.serveConfirm,
		PathResend:  h.serveResend,
	}
	for path, fn := range routes {
		mux.HandleFunc("POST "+path, fn)
		mux.HandleFunc(path, h.wrongMethod)
	}
}

// ServeHTTP serves the DRUID paths; any other path is 404 in DRUID's body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.fail(w, r, failure(update.NotFound, "no such endpoint"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) wrongMethod(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	h.fail(w, r, failure(codeMethod, "method not allowed, use POST"))
}

// TokenResponse is the answer of /oauth2/token.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if form.Get("grant_type") != grantChallenge {
		h.fail(w, r, failure(update.Malformed, "grant_type must be "+grantChallenge))
		return
	}
	cl, err := h.authenticate(form.Get("client_id"), form.Get("client_secret"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	method, challenge := form.Get("code_challenge_method"), form.Get("code_challenge")
	if method == "" {
		method = methodPlain // RFC 7636 4.3: plain when the method is absent
	}
	if method != methodPlain && method != methodS256 {
		h.fail(w, r, failure(update.Malformed, "code_challenge_method must be plain or S256"))
		return
	}
	if !validChallenge(method, challenge) {
		h.fail(w, r, failure(update.Malformed, "code_challenge is not a valid "+method+" challenge"))
		return
	}
	scopes, err := grantedScopes(cl, form.Get("scope"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tok, err := h.tokens.issue(h.cfg.Now(), cl.ID, scopes, method, challenge)
	if err != nil {
		h.fail(w, r, err)
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
		return nil, bodyError(err)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, failureWrap(update.Malformed, "the form cannot be parsed", err)
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
	match := secretsEqual(cl.Secret, secret)
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
	client, err := h.redeem(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	entry, err := h.entryPoint(r, client)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := h.readJSON(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := DecodeUpdate(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if u.Actor != client {
		h.fail(w, r, failure(update.Forbidden, "actor.id does not name the application the token was issued to"))
		return
	}
	res, err := h.apply(r.Context(), u, client, entry)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, p := range res.Pending {
		if p.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "druid: confirmation code not sent",
				"request_id", httpx.RequestID(w, r), "user", res.ID, "path", p.Path, "error", p.DispatchError)
		}
	}
	status, out := EncodeResult(res)
	if out == nil {
		w.WriteHeader(status)
		return
	}
	httpx.WriteJSON(w, status, out)
}

// apply reads the user, builds the replacement against what was read and
// applies it, retrying when another write came between the two.
func (h *Handler) apply(ctx context.Context, u *Update, client, actor string) (*update.Result, error) {
	for attempt := 0; ; attempt++ {
		cur, err := h.eng.Get(ctx, UserType, update.ByID(u.UserID))
		if err != nil {
			return nil, err
		}
		req, err := u.Request(cur, Caller{Client: client, Actor: actor, Region: h.cfg.DefaultRegion})
		if err != nil {
			return nil, err
		}
		res, err := h.eng.Apply(ctx, req)
		if update.ErrorCode(err) == update.Conflict && attempt < conflictRetries {
			continue
		}
		return res, err
	}
}

// redeem checks the bearer token and the code verifier of r, spending the
// token, and returns the client it was issued to.
func (h *Handler) redeem(r *http.Request) (string, error) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", failure(codeUnauthorized, "Authorization: Bearer token required")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q["code_verifier"]) > 1 {
		return "", failure(codeUnauthorized, "code_verifier must be sent once")
	}
	return h.tokens.redeem(h.cfg.Now(), tok, scopeUpdate, q.Get("code_verifier"))
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
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, failure(update.Malformed, "Content-Type must be application/json")
	}
	b, err := httpx.ReadBody(r, h.cfg.MaxBodyBytes)
	if err != nil {
		return nil, bodyError(err)
	}
	v, err := merge.Decode(b, merge.DecodeLimits{MaxBytes: int(h.cfg.MaxBodyBytes), MaxDepth: h.cfg.MaxDepth})
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

// bodyError classifies a ReadBody failure.
func bodyError(err error) error {
	switch {
	case errors.Is(err, httpx.ErrTooLarge):
		return failureWrap(update.TooLarge, "the body is too large", err)
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return failureWrap(update.Malformed, "the body is not valid UTF-8", err)
	}
	return failureWrap(update.Malformed, "the body cannot be read", err)
}

// fail writes err as DRUID's error body and logs it without secrets.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := EncodeError(err)
	level := slog.LevelInfo
	if update.ErrorCode(err) == update.Internal {
		level = slog.LevelError
	}
	h.cfg.Logger.Log(r.Context(), level, "druid: request refused",
		"request_id", httpx.RequestID(w, r), "method", r.Method, "path", r.URL.Path,
		"status", status, "code", string(update.ErrorCode(err)), "error", err)
	httpx.WriteJSON(w, status, body)
}
