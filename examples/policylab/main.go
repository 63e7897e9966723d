// Command policylab runs policy experiments: it applies one request to one
// record under one policy as a dry run and prints what would happen.
//
//	go run ./examples/policylab -policy P.json -record R.json -request Q.json
//
// The policy file is an update.Policy as JSON (see update.ParsePolicy). The
// record file is
//
//	{"type": "user", "id": "u1", "doc": {...}, "server": {...},
//	 "verified": ["/email"], "state": "active", "others": [ ... ]}
//
// where type defaults to the policy's only type, id to "r1", server holds
// values of read-only fields, verified the confirmable paths whose values
// count as verified, and others more records (same members) that hold
// values for uniqueness experiments. The request file is
//
//	{"client": "app", "mode": "merge", "path": "", "doc": {...},
//	 "ops": [{"op": "replace", "path": "/x", "value": 1}],
//	 "delivery": {"/email": "return"}, "expectVersion": 1}
//
// where mode is merge (default), replace or patch, client is looked up in
// the policy's grants, and delivery picks send (default), return or
// verified per confirmable path. Unknown members are refused in all three
// files.
//
// The output is one JSON object: outcome ("applied", "unchanged" or
// "refused"), the version the record would get, the changes, the pending
// verifications (with how long their codes would live), the record after
// the change, and on refusal the error's code, message and failing fields.
//
// Exit status: 0 applied or unchanged, 1 refused, 2 bad input files (the
// reason goes to stderr).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// The exit statuses.
const (
	exitApplied  = 0
	exitRefused  = 1
	exitBadInput = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// setupClient creates the record files' records. It is added to the
// policy's grants for the setup only; no request can name it, since
// run refuses a request with this client.
const setupClient = "policylab:setup"

// maxFileBytes bounds each input file.
const maxFileBytes = 8 << 20

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policylab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policyPath := fs.String("policy", "", "policy file (JSON, an update.Policy)")
	recordPath := fs.String("record", "", "record file (JSON)")
	requestPath := fs.String("request", "", "request file (JSON)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitApplied
		}
		return exitBadInput
	}
	if msg := missingFlags(map[string]string{"-policy": *policyPath, "-record": *recordPath, "-request": *requestPath}, fs.Args()); msg != "" {
		fmt.Fprintln(stderr, "policylab:", msg)
		fmt.Fprintln(stderr, "usage: policylab -policy P.json -record R.json -request Q.json")
		return exitBadInput
	}
	out, err := experiment(ctx, *policyPath, *recordPath, *requestPath)
	if err != nil {
		fmt.Fprintln(stderr, "policylab:", err)
		return exitBadInput
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(stderr, "policylab:", err)
		return exitBadInput
	}
	if out.Outcome == outcomeRefused {
		return exitRefused
	}
	return exitApplied
}

// missingFlags says which of the three files were not given, and what a
// stray argument is, or "" when the command line is complete.
func missingFlags(files map[string]string, rest []string) string {
	var missing []string
	for _, name := range []string{"-policy", "-record", "-request"} {
		if files[name] == "" {
			missing = append(missing, name)
		}
	}
	what := map[string]string{"-policy": "the policy file", "-record": "the record file", "-request": "the request file"}
	switch {
	case len(missing) == 1:
		return fmt.Sprintf("%s is missing: %s (JSON) to experiment with", missing[0], what[missing[0]])
	case len(missing) > 1:
		return fmt.Sprintf("%s are missing: every experiment needs a policy, a record and a request file", strings.Join(missing, ", "))
	case len(rest) > 0:
		return fmt.Sprintf("unexpected argument %q: the files are given with -policy, -record and -request", rest[0])
	}
	return ""
}

// experiment loads the three files, sets up the records and dry-runs the
// request. An error means bad input; a refused request is an output.
func experiment(ctx context.Context, policyPath, recordPath, requestPath string) (*output, error) {
	policy, err := update.LoadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	var rf recordFile
	if err := readStrict(recordPath, &rf); err != nil {
		return nil, err
	}
	var qf requestFile
	if err := readStrict(requestPath, &qf); err != nil {
		return nil, err
	}
	if qf.Client == setupClient {
		return nil, fmt.Errorf("%s: client %q is reserved", requestPath, setupClient)
	}
	typ, err := rf.entityType(policy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", recordPath, err)
	}
	req, err := qf.request(typ, rf.id())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", requestPath, err)
	}

	if policy.Grants == nil {
		policy.Grants = map[string]update.Grant{}
	}
	policy.Grants[setupClient] = update.Grant{Write: true, Create: true, AssertVerified: true}
	// One instant for the whole run, so code lifetimes print exactly.
	now := time.Now().UTC().Truncate(time.Second)
	eng, err := update.New(memory.New(), policy,
		update.WithClock(func() time.Time { return now }),
		update.WithDispatcher(verify.DispatcherFunc(func(context.Context, verify.Message) error { return nil })))
	if err != nil {
		// New knows the policy as a Go value; place its error in the file.
		if data, rerr := readFile(policyPath); rerr == nil {
			if placed := update.LocatePolicyError(err, policyPath, data); placed != err {
				return nil, placed
			}
		}
		return nil, fmt.Errorf("%s: %w", policyPath, err)
	}
	for i, r := range append(rf.Others, rf.recordSpec) {
		if err := r.create(ctx, eng, typ, i, len(rf.Others)); err != nil {
			return nil, fmt.Errorf("%s: %w", recordPath, err)
		}
	}

	res, err := eng.Apply(ctx, req)
	if err != nil {
		return refused(err), nil
	}
	return applied(res, now), nil
}

// readStrict decodes one JSON object from a file of at most 8 MiB,
// refusing unknown members and trailing data; numbers stay json.Number.
func readStrict(path string, v any) error {
	data, err := readFile(path)
	if err != nil {
		return err
	}
	return jsonfile.Decode(path, data, v)
}

// readFile reads a file of at most maxFileBytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileBytes)
	}
	return data, nil
}

// recordSpec is one record of the record file.
type recordSpec struct {
	ID       string         `json:"id,omitempty"`
	Doc      map[string]any `json:"doc"`
	Server   map[string]any `json:"server,omitempty"`
	Verified []string       `json:"verified,omitempty"`
	State    string         `json:"state,omitempty"`
}

// recordFile is the record under test and the others beside it.
type recordFile struct {
	Type string `json:"type,omitempty"`
	recordSpec
	Others []recordSpec `json:"others,omitempty"`
}

// defaultID is the id of a record file's record that names none.
const defaultID = "r1"

func (rf *recordFile) id() string {
	if rf.ID == "" {
		return defaultID
	}
	return rf.ID
}

// entityType is the record file's type, or the policy's only type.
func (rf *recordFile) entityType(p *update.Policy) (string, error) {
	if rf.Type != "" {
		if _, ok := p.Types[rf.Type]; !ok {
			return "", fmt.Errorf("type %q is not in the policy", rf.Type)
		}
		return rf.Type, nil
	}
	if len(p.Types) != 1 {
		return "", fmt.Errorf("the policy has %d types: name one with \"type\"", len(p.Types))
	}
	for t := range p.Types {
		return t, nil
	}
	return "", errors.New("unreachable")
}

// create stores r through the engine, so its keys and verified flags are
// what the policy makes of them. Others without an id get o1, o2, ...
func (r recordSpec) create(ctx context.Context, eng *update.Engine, typ string, i, others int) error {
	id := r.ID
	switch {
	case id == "" && i < others:
		id = fmt.Sprintf("o%d", i+1)
	case id == "":
		id = defaultID
	}
	if r.Doc == nil {
		return fmt.Errorf("record %s: \"doc\" is required", id)
	}
	var state storage.RecordState
	switch r.State {
	case "", "active":
		state = storage.Active
	case "inactive":
		state = storage.Inactive
	default:
		return fmt.Errorf("record %s: state %q is neither active nor inactive", id, r.State)
	}
	_, err := eng.Create(ctx, update.CreateRequest{
		Type: typ, ID: id, Client: setupClient, Actor: "policylab",
		Doc: r.Doc, Server: r.Server, Verified: r.Verified, State: state,
	})
	if err != nil {
		return fmt.Errorf("record %s does not fit the policy: %w", id, err)
	}
	return nil
}

// requestFile is the request under test.
type requestFile struct {
	Client        string                         `json:"client,omitempty"`
	Mode          update.Mode                    `json:"mode,omitempty"`
	Path          string                         `json:"path,omitempty"`
	Doc           any                            `json:"doc,omitempty"`
	Ops           []merge.Operation              `json:"ops,omitempty"`
	Delivery      map[string]update.DeliveryKind `json:"delivery,omitempty"`
	ExpectVersion *uint64                        `json:"expectVersion,omitempty"`
}

// request builds the dry-run request for the record id of type typ.
func (q requestFile) request(typ, id string) (update.Request, error) {
	req := update.Request{
		Type: typ, Locator: update.ByID(id), Client: q.Client, Actor: "policylab",
		Mode: q.Mode, Path: q.Path, Doc: q.Doc, Ops: q.Ops,
		Expect: update.Expect{Version: q.ExpectVersion}, DryRun: true, IncludeRecord: true,
	}
	switch q.Mode {
	case "":
		req.Mode = update.Merge
	case update.Merge, update.Replace, update.Patch:
	default:
		return req, fmt.Errorf("mode %q is not merge, replace or patch", q.Mode)
	}
	if len(q.Delivery) > 0 {
		req.Delivery = map[string]update.Delivery{}
	}
	for path, kind := range q.Delivery {
		switch kind {
		case update.Send, update.ReturnCode, update.AlreadyVerified:
		default:
			return req, fmt.Errorf("delivery %q for %s is not send, return or verified", kind, path)
		}
		req.Delivery[path] = update.Delivery{Kind: kind}
	}
	return req, nil
}

// The outcomes.
const (
	outcomeApplied   = "applied"
	outcomeUnchanged = "unchanged"
	outcomeRefused   = "refused"
)

// output is what policylab prints.
type output struct {
	Outcome string           `json:"outcome"`
	Version uint64           `json:"version,omitempty"`
	Changes []storage.Change `json:"changes,omitempty"`
	Pending []pending        `json:"pending,omitempty"`
	Record  map[string]any   `json:"record,omitempty"`
	Error   *errorOut        `json:"error,omitempty"`
}

type pending struct {
	Path    string `json:"path"`
	Channel string `json:"channel"`
	// Held: the value waits outside the record until confirmed.
	Held bool `json:"held"`
	// CodeTTL is how long the code would live; Throttled why none would
	// go out.
	CodeTTL   string `json:"codeTTL"`
	Throttled string `json:"throttled,omitempty"`
}

type errorOut struct {
	Code    update.Code         `json:"code"`
	Reason  string              `json:"reason,omitempty"`
	Message string              `json:"message"`
	Fields  []update.FieldError `json:"fields,omitempty"`
}

func applied(res *update.Result, now time.Time) *output {
	out := &output{Outcome: outcomeApplied, Version: res.Version, Changes: res.Changes}
	if res.Unchanged {
		out.Outcome = outcomeUnchanged
	}
	for _, p := range res.Pending {
		out.Pending = append(out.Pending, pending{
			Path: p.Path, Channel: string(p.Channel), Held: p.Held,
			CodeTTL: p.Expires.Sub(now).String(), Throttled: p.Throttled,
		})
	}
	if res.Record != nil {
		out.Record = res.Record.Doc
	}
	return out
}

func refused(err error) *output {
	e := &errorOut{Code: update.ErrorCode(err), Message: update.ErrorMessage(err), Fields: update.ErrorFields(err)}
	if ue := update.AsError(err); ue != nil {
		e.Reason = ue.Reason
	}
	return &output{Outcome: outcomeRefused, Error: e}
}
