package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// The messages of /Bulk (RFC 7644 section 3.7).
const (
	MessageBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	MessageBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

// BulkOperation is one operation of a BulkRequest.
type BulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// BulkRequest is the body of POST /Bulk.
type BulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors int             `json:"failOnErrors,omitempty"`
	Operations   []BulkOperation `json:"Operations"`
}

// BulkResult is one operation's answer in a BulkResponse.
type BulkResult struct {
	Method   string     `json:"method"`
	BulkID   string     `json:"bulkId,omitempty"`
	Version  string     `json:"version,omitempty"`
	Location string     `json:"location,omitempty"`
	Status   string     `json:"status"`
	Response *ErrorBody `json:"response,omitempty"`
}

// BulkResponse is the answer of POST /Bulk.
type BulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []BulkResult `json:"Operations"`
}

var (
	bulkIDForm = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	bulkIDRef  = regexp.MustCompile(`bulkId:([A-Za-z0-9_.-]{1,64})`)
)

// bulkPlan is a decoded BulkRequest: its operations in an order in which
// every bulkId is created before it is referred to.
type bulkPlan struct {
	req   BulkRequest
	order []int
	refs  [][]string // bulkIds each operation refers to
}

// DecodeBulk decodes and checks a BulkRequest: at most maxOps operations
// (else TooLarge, 413), methods POST, PUT, PATCH and DELETE on resource
// paths, bulkIds unique and of plain form, every reference naming a
// bulkId of a POST in the request, and no cycle of references (a cycle
// is Conflict, 409). Nothing is executed before all of it holds.
func DecodeBulk(body []byte, maxOps int) (*bulkPlan, error) {
	var req BulkRequest
	if err := httpx.DecodeStrict(body, &req); err != nil {
		return nil, update.Errorf(codeSyntax, "the body is not a BulkRequest: %s", clip(err.Error()))
	}
	if !slices.Equal(req.Schemas, []string{MessageBulkRequest}) {
		return nil, update.Errorf(codeSyntax, "schemas must be [%q]", MessageBulkRequest)
	}
	if len(req.Operations) > maxOps {
		return nil, &update.Error{Code: update.TooLarge, Err: httpx.ErrTooLarge,
			Message: "more than " + strconv.Itoa(maxOps) + " operations (bulk.maxOperations)"}
	}
	if req.FailOnErrors < 0 {
		return nil, update.Errorf(codeValue, "failOnErrors must not be negative")
	}
	p := &bulkPlan{req: req, refs: make([][]string, len(req.Operations))}
	created := map[string]int{}
	for i, op := range req.Operations {
		switch op.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return nil, update.Errorf(codeSyntax, "operation %d: method %q is not POST, PUT, PATCH or DELETE", i, clip(op.Method))
		}
		if !strings.HasPrefix(op.Path, "/") || strings.ContainsAny(op.Path, "?#") || strings.HasPrefix(op.Path, "/Bulk") {
			return nil, update.Errorf(codeSyntax, "operation %d: path %q is not a resource path", i, clip(op.Path))
		}
		if op.Method == http.MethodPost {
			if !bulkIDForm.MatchString(op.BulkID) {
				return nil, update.Errorf(codeSyntax, "operation %d: a POST needs a bulkId of 1 to 64 letters, digits, _ . -", i)
			}
			if _, dup := created[op.BulkID]; dup {
				return nil, update.Errorf(codeSyntax, "operation %d: bulkId %q is used twice", i, op.BulkID)
			}
			created[op.BulkID] = i
		}
	}
	for i, op := range req.Operations {
		for _, m := range bulkIDRef.FindAllStringSubmatch(op.Path+" "+string(op.Data), -1) {
			if _, ok := created[m[1]]; !ok {
				return nil, update.Errorf(codeValue, "operation %d: bulkId %q names no POST of this request", i, m[1])
			}
			if !slices.Contains(p.refs[i], m[1]) {
				p.refs[i] = append(p.refs[i], m[1])
			}
		}
	}
	// Depth-first order: an operation after the POSTs it refers to.
	state := make([]int, len(req.Operations)) // 0 new, 1 visiting, 2 done
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return update.Errorf(update.Conflict, "bulkId references form a cycle through operation %d", i)
		case 2:
			return nil
		}
		state[i] = 1
		for _, id := range p.refs[i] {
			if err := visit(created[id]); err != nil {
				return err
			}
		}
		state[i] = 2
		p.order = append(p.order, i)
		return nil
	}
	for i := range req.Operations {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// bulk serves POST /Bulk: each operation, in an order in which every
// bulkId exists before it is referred to, through the handler's own
// endpoints with the caller's credentials, so an operation is exactly the
// request it stands for. After failOnErrors failures (when set) the rest
// is not run and not answered. An operation referring to a POST that
// failed fails with 409.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, _ Client) {
	body, ok := h.message(w, r, OpBulk)
	if !ok {
		return
	}
	plan, err := DecodeBulk(body, h.cfg.MaxBulkOperations)
	if err != nil {
		h.fail(w, r, OpBulk, err)
		return
	}
	ops := plan.req.Operations
	results := make([]*BulkResult, len(ops))
	ids := map[string]string{} // bulkId → the id its POST created
	failed := 0
	for _, i := range plan.order {
		if plan.req.FailOnErrors > 0 && failed >= plan.req.FailOnErrors {
			break
		}
		op := ops[i]
		res := &BulkResult{Method: op.Method, BulkID: op.BulkID}
		results[i] = res
		path, data, ok := substitute(op, plan.refs[i], ids)
		if !ok {
			status, eb := EncodeError(update.Errorf(update.Conflict, "an operation this one refers to by bulkId failed"), OpBulk)
			res.Status, res.Response = strconv.Itoa(status), eb
			failed++
			continue
		}
		rec := h.subrequest(r, op, path, data)
		res.Status = strconv.Itoa(rec.code)
		res.Version = rec.header.Get("ETag")
		res.Location = rec.header.Get("Location")
		if res.Location == "" && rec.code < 300 {
			res.Location = h.base(r) + path
		}
		if rec.code >= 400 {
			failed++
			var eb ErrorBody
			if json.Unmarshal(rec.body.Bytes(), &eb) == nil {
				res.Response = &eb
			}
			continue
		}
		if op.Method == http.MethodPost {
			ids[op.BulkID] = res.Location[strings.LastIndexByte(res.Location, '/')+1:]
		}
	}
	out := &BulkResponse{Schemas: []string{MessageBulkResponse}, Operations: []BulkResult{}}
	for _, res := range results {
		if res != nil {
			out.Operations = append(out.Operations, *res)
		}
	}
	h.write(w, r, http.StatusOK, out)
}

// substitute replaces the bulkId references of op by the ids created; ok
// is false when a referenced POST failed.
func substitute(op BulkOperation, refs []string, ids map[string]string) (path string, data []byte, ok bool) {
	path, data = op.Path, op.Data
	for _, ref := range refs {
		id, done := ids[ref]
		if !done {
			return "", nil, false
		}
		path = strings.ReplaceAll(path, "bulkId:"+ref, id)
		data = bytes.ReplaceAll(data, []byte("bulkId:"+ref), []byte(id))
	}
	return path, data, true
}

// subrequest serves one bulk operation through the handler's mux.
func (h *Handler) subrequest(r *http.Request, op BulkOperation, path string, data []byte) *recorder {
	rec := &recorder{header: http.Header{}}
	sub, err := http.NewRequestWithContext(r.Context(), op.Method, h.cfg.Prefix+path, bytes.NewReader(data))
	if err != nil {
		status, eb := EncodeError(update.Errorf(codeSyntax, "operation path %q is not a valid path", clip(path)), OpBulk)
		rec.code = status
		b, _ := json.Marshal(eb)
		rec.body.Write(b)
		return rec
	}
	sub.Host, sub.TLS = r.Host, r.TLS
	sub.Header.Set("Authorization", r.Header.Get("Authorization"))
	sub.Header.Set("Content-Type", MediaType)
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	h.mux.ServeHTTP(rec, sub)
	return rec
}

// recorder keeps what a bulk operation's endpoint answered.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 {
		rec.code = code
	}
}
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.body.Write(b)
}
