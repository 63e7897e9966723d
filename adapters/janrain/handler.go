package janrain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// operations are the Capture operations the handler serves, each at
// "/<operation>".
func operations() []Op {
	return []Op{OpRead, OpCreate, OpUpdate, OpReplace, OpDelete, OpFind, OpCount}
}

// createAttempts bounds the draws of entity.create when an id is already
// taken.
const createAttempts = 8

// Handler serves Capture's entity API over an engine. It is safe for
// concurrent use.
type Handler struct {
	eng     *update.Engine
	cfg     Config
	schema  *Schema
	clients clients
	limiter storage.Ephemeral
	sweep   *storage.Sweeper
	log     *slog.Logger
	mux     *http.ServeMux
}

// New returns a handler serving the Capture operations over an engine of
// its own: the profile Policy(cfg) over store, with cfg.Now as its clock
// and opts after the profile's own options (a dispatcher, a code key, a
// logger). New fails on a config without clients or with malformed ones;
// zero limits in cfg take their defaults.
func New(cfg Config, store storage.Store, opts ...update.Option) (*Handler, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	policy := Policy(cfg)
	sch, err := NewSchema(policy)
	if err != nil {
		return nil, err
	}
	eng, err := update.New(store, policy, append(engineOptions(cfg), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("janrain: %w", err)
	}
	limiter := cfg.Limiter
	if limiter == nil {
		var ok bool
		if limiter, ok = store.(storage.Ephemeral); !ok {
			return nil, errors.New("janrain: the store cannot count calls (storage.Ephemeral); set Config.Limiter")
		}
	}
	h := &Handler{eng: eng, cfg: cfg, schema: sch, clients: newClients(cfg.Clients), limiter: limiter,
		sweep: &storage.Sweeper{Store: limiter}, log: cfg.Logger}
	h.mux = http.NewServeMux()
	h.Register(h.mux)
	return h, nil
}

// Engine returns the handler's engine, for seeding (SeedDemo) and for
// calls the vendor's API does not offer.
func (h *Handler) Engine() *update.Engine { return h.eng }

// ServeHTTP serves the Capture operations.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Register registers the handler's patterns on mux: "POST /entity",
// "POST /entity.create", "POST /entity.update", "POST /entity.replace",
// "POST /entity.delete", and the same paths for any other method, which
// get a Capture error body.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, op := range operations() {
		mux.HandleFunc("POST /"+string(op), func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, op) })
		mux.HandleFunc("/"+string(op), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", http.MethodPost)
			h.fail(w, r, op, "", newArgError(update.Malformed, ruleMethod, "", op.String()+" accepts POST only"))
		})
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, op Op) {
	entry, err := h.clients.authenticate(httpx.Header(r.Header, "Authorization"))
	client, class := entry.id, entry.class
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="Capture", charset="UTF-8"`)
		h.fail(w, r, op, "", err)
		return
	}
	if wait, err := h.limit(r.Context(), entry.bucket); err != nil {
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(wait), 10))
		}
		h.fail(w, r, op, client, err)
		return
	}
	if op.writes() && !class.canWrite() || !op.writes() && !class.canRead() {
		h.fail(w, r, op, client, newArgError(update.Forbidden, "", "", fmt.Sprintf("clients of class %s may not call %s", class, op)))
		return
	}
	b, err := h.readForm(r)
	if err != nil {
		h.fail(w, r, op, client, err)
		return
	}
	if op.searches() {
		form, err := parseForm(string(b))
		if err != nil {
			h.fail(w, r, op, client, err)
			return
		}
		h.serveSearch(w, r, op, form, client)
		return
	}
	// The call and its parameters live on this function's stack: nothing
	// keeps them after the answer is written.
	var (
		c    Call
		form args
	)
	call := &c
	if err := parseArgs(&form, op, b); err != nil {
		h.fail(w, r, op, client, err)
		return
	}
	if err := decodeArgs(call, op, &form, h.schema, h.cfg.MaxDepth); err != nil {
		h.fail(w, r, op, client, err)
		return
	}
	var body map[string]any
	switch {
	case op == OpRead:
		body, err = h.read(r.Context(), call)
	case op == OpCreate:
		body, err = h.create(r.Context(), call, client)
	case op == OpDelete && len(call.Path) == 0:
		body, err = h.deleteRecord(r.Context(), call, client)
	default:
		body, err = h.write(r.Context(), call, client)
	}
	if err != nil {
		h.fail(w, r, op, client, call.Blame(err))
		return
	}
	if body == nil {
		httpx.WriteBody(w, okStatus, okAnswer)
		return
	}
	httpx.WriteJSON(w, okStatus, body)
}

// okAnswer is the encoded body of a write that returns no record,
// {"stat":"ok"}: most writes answer it, so it is encoded once.
var okAnswer = httpx.Encode(okBody(nil, false))

// limit takes one call from the client's token bucket (clientEntry.bucket),
// in the limiter every process on the store shares. A call finding the
// bucket empty is Throttled (510 api_limit_error) before its form is read;
// wait is then how long until the bucket holds a call again.
func (h *Handler) limit(ctx context.Context, bucket string) (wait time.Duration, err error) {
	now := h.cfg.Now()
	ok, wait, err := h.limiter.Take(ctx, bucket, h.cfg.RateLimit, now)
	// Buckets full again are deleted a batch at a time beside the takes;
	// a failed purge leaves them for the next one.
	_ = h.sweep.Tick(ctx, now)
	if err != nil {
		return 0, newArgError(update.Internal, "", "", "the call could not be counted")
	}
	if !ok {
		return wait, newArgError(update.Throttled, "", "", fmt.Sprintf("the client has made more than %d calls at once or more than %g a second; try again in %ds",
			h.cfg.RateLimit.Burst, h.cfg.RateLimit.Rate, retrySeconds(wait)))
	}
	return 0, nil
}

// retrySeconds is wait in whole seconds, rounded up, as Retry-After
// states it.
func retrySeconds(wait time.Duration) int64 { return int64((wait + time.Second - 1) / time.Second) }

// readForm reads the bounded body of a form. Capture's parameters travel
// in the body; one sent in the query string is refused by name, as an
// unknown one in the body is (DecodeForm).
func (h *Handler) readForm(r *http.Request) ([]byte, error) {
	if r.URL.RawQuery != "" {
		q, err := httpx.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, newArgError(update.Malformed, "", "", "the query string is not validly escaped")
		}
		if name, ok := httpx.Unknown(q); ok {
			return nil, newArgError(update.Malformed, ruleUnknownArg, name, name+" is not accepted in the query string; send the parameters in the form body")
		}
	}
	if !httpx.IsMediaType(httpx.Header(r.Header, "Content-Type"), "application/x-www-form-urlencoded") {
		return nil, newArgError(update.Malformed, "", "", "send the parameters as an application/x-www-form-urlencoded body")
	}
	b, err := httpx.ReadBody(r, h.cfg.MaxBody)
	if err != nil {
		return nil, newArgError(update.ErrorCode(err), "", "", update.ErrorMessage(err))
	}
	return b, nil
}

// header returns the first value of r's header name, given in its
// canonical form: what r.Header.Get(name) returns, without canonicalizing
// name again on every call.
// parseForm parses a form body like url.ParseQuery, but names the
// parameter whose value is badly escaped, so the error can say which
// argument is at fault. Record calls are parsed by parseArgs instead;
// this serves entity.find and entity.count. It is one pass over the body:
// the map is sized for the parameters a call takes, and the values of
// distinct names share one backing array, so a form costs a few
// allocations, not one per name.
func parseForm(body string) (url.Values, error) {
	// A call takes at most len(writeParams) parameters; a body with more
	// is refused by DecodeSearch, and only grows the map as it would anyway.
	n := min(strings.Count(body, "&")+1, len(writeParams))
	form := make(url.Values, n)
	values := make([]string, 0, n)
	for rest := body; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, newArgError(update.Malformed, "", "", "the request body is not a valid form: a parameter name is badly escaped")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, newArgError(update.Malformed, "", key, key+" is badly escaped in the form body")
		}
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			// The body was valid UTF-8, but %-escapes can still encode invalid bytes.
			return nil, newArgError(update.Malformed, "", "", "a form parameter is not valid UTF-8 once unescaped")
		}
		if prev, ok := form[key]; ok {
			// A repeated name, refused later by name (checkParams); the
			// capped slice makes append copy, not overwrite a neighbour.
			form[key] = append(prev, value)
			continue
		}
		values = append(values, value)
		form[key] = values[len(values)-1 : len(values) : len(values)]
	}
	return form, nil
}

// serveSearch answers entity.find and entity.count from the engine's List
// and Count: the store evaluates the filter, the adapter never does.
func (h *Handler) serveSearch(w http.ResponseWriter, r *http.Request, op Op, form url.Values, client string) {
	s, err := DecodeSearch(op, form, h.schema)
	if err != nil {
		h.fail(w, r, op, client, err)
		return
	}
	ctx := r.Context()
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	var body map[string]any
	if op == OpCount {
		var n int
		n, err = h.eng.Count(ctx, update.CountRequest{Type: s.Type, Client: client, Filter: s.Filter})
		body = EncodeCount(n)
	} else {
		var res *update.ListResult
		res, err = h.eng.List(ctx, update.ListRequest{
			Type: s.Type, Client: client, Filter: s.Filter, Sort: s.Sort,
			Limit: s.Limit, Offset: s.Offset, Total: s.Total,
		})
		if err == nil {
			body = EncodeFind(s, res, h.schema)
		}
	}
	if err != nil {
		h.fail(w, r, op, client, s.Blame(err))
		return
	}
	httpx.WriteJSON(w, okStatus, body)
}

func (h *Handler) read(ctx context.Context, c *Call) (map[string]any, error) {
	v, err := h.eng.Get(ctx, c.Type, c.Locator)
	if err != nil {
		return nil, err
	}
	return EncodeRead(c, v, h.schema)
}

// CreateRequest returns the engine request entity.create makes for a
// record of type "user" whose attributes parameter is attributes, when
// called by the configured client with id clientID: the value is bounded,
// decoded and checked as the call does it (DecodeForm), and refused with
// the call's errors as *update.Error, the Capture parameter at fault in
// the field's Path. Code that creates records without a request, such as
// an importer, builds them with it so they are the records entity.create
// would have made.
func (h *Handler) CreateRequest(clientID string, attributes []byte) (update.CreateRequest, error) {
	c, ok := h.clients[clientID]
	switch {
	case !ok:
		return update.CreateRequest{}, update.Errorf(update.Forbidden, "no client %q is configured", clientID)
	case !c.class.canWrite():
		return update.CreateRequest{}, update.Errorf(update.Forbidden, "clients of class %s may not call %s", c.class, OpCreate)
	}
	call, err := h.decodeCreate(attributes)
	if err != nil {
		e, arg, _ := classify(err)
		if arg != "" && len(e.Fields) == 1 && e.Fields[0].Path == "" {
			e.Fields[0].Path = arg
		}
		return update.CreateRequest{}, e
	}
	doc, _ := call.Value.(map[string]any)
	req := CreateRequest(clientID, doc)
	req.Type = call.Type
	return req, nil
}

// decodeCreate decodes the attributes of an entity.create of a user.
func (h *Handler) decodeCreate(attributes []byte) (*Call, error) {
	if err := httpx.CheckBody(attributes, h.cfg.MaxBody); err != nil {
		return nil, err
	}
	form := url.Values{"type_name": {"user"}, "attributes": {string(attributes)}}
	return DecodeForm(OpCreate, form, h.schema, h.cfg.MaxDepth)
}

// create stores a new record. The engine draws its id from the store's
// counter inside Create; an id already taken (by a record seeded with an
// id of its own) is passed over by drawing again.
func (h *Handler) create(ctx context.Context, c *Call, client string) (map[string]any, error) {
	doc, _ := c.Value.(map[string]any)
	for range createAttempts {
		req := CreateRequest(client, doc)
		req.Type = c.Type
		res, err := h.eng.Create(ctx, req)
		if errors.Is(err, storage.ErrExists) {
			continue
		}
		if err != nil {
			if update.ErrorCode(err) == update.Internal {
				return nil, newArgError(update.Internal, ruleCreate, "", "the record could not be created")
			}
			return nil, err
		}
		v, err := h.eng.Get(ctx, c.Type, update.ByID(res.ID))
		if err != nil {
			return nil, err
		}
		return EncodeCreate(c, v, h.schema), nil
	}
	return nil, newArgError(update.Internal, ruleCreate, "", "no free record id was found")
}

// write runs an update, replace, or attribute delete as one engine call
// (Call.Request): no read before it, no retry after it.
func (h *Handler) write(ctx context.Context, c *Call, client string) (map[string]any, error) {
	req, err := c.Request(h.schema, client)
	if err != nil {
		return nil, err
	}
	res, err := h.eng.Apply(ctx, req)
	if err != nil {
		if c.Op == OpDelete && c.Path.plain() && isPathMiss(err) {
			// The attribute's parent object does not exist, so neither
			// does the attribute: deleting it is done.
			return h.answer(ctx, c, nil)
		}
		return nil, err
	}
	return h.answer(ctx, c, res.Record)
}

// answer returns the success body of a write, nil for the plain
// {"stat":"ok"} (okAnswer); the record after it is read only when the call
// asked for it and the write did not return it.
func (h *Handler) answer(ctx context.Context, c *Call, after *update.View) (map[string]any, error) {
	if !c.IncludeRecord {
		return nil, nil
	}
	if after == nil {
		v, err := h.eng.Get(ctx, c.Type, c.Locator)
		if err != nil {
			return nil, err
		}
		after = v
	}
	return EncodeResult(c, after, h.schema)
}

// isPathMiss reports whether err says a path (not the record) is absent.
func isPathMiss(err error) bool {
	var e *update.Error
	return errors.As(err, &e) && e.Code == update.NotFound && len(e.Fields) > 0 && e.Fields[0].Rule == update.RuleElement
}

// deleteRecord removes the record if the preconditions sent hold.
func (h *Handler) deleteRecord(ctx context.Context, c *Call, client string) (map[string]any, error) {
	if err := h.eng.Delete(ctx, c.DeleteRequest(client)); err != nil {
		return nil, err
	}
	return nil, nil // okAnswer
}

// fail writes the Capture error for err, returned while serving op, and
// logs it without parameters.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, op Op, client string, err error) {
	rid := httpx.RequestID(w, r)
	status, body := EncodeError(err, op)
	body.RequestID = rid
	level := slog.LevelInfo
	if body.Code == 500 || body.Code == 300 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "janrain request failed", "op", string(op), "client", client,
		"code", body.Code, "error", body.Error, "request_id", rid, "cause", err.Error())
	httpx.WriteJSON(w, status, body)
}
