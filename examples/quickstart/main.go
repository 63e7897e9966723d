// Command quickstart is a short tour of the update engine: a policy, a
// record, then a merge, a replace, a plural upsert and a held email change
// with its confirmation, each printing the engine's normalized result.
//
//	go run ./examples/quickstart
//
// It runs on the in-memory store with a fixed clock, so its output is the
// same at every run (the test beside it checks it).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// policy is the semantics of a small user record: a name pair, an email
// held until its owner confirms it, and a plural of statuses whose
// elements are matched by id.
func policy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			"/givenName":  {Type: update.TypeString, Rules: "max=50"},
			"/familyName": {Type: update.TypeString, Required: true, Rules: "max=50"},
			"/email": {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail,
				Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/emailVerified"}},
			"/emailVerified": {Type: update.TypeBoolean, Mutability: update.ReadOnly},
			"/statuses": {Type: update.TypeArray,
				Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id", KeyGen: update.KeyGenInt}},
			"/statuses/*/id":     {Type: update.TypeInteger},
			"/statuses/*/status": {Type: update.TypeString, Rules: "oneof=active inactive"},
		}}},
		DefaultGrant: &update.Grant{Write: true, Create: true, AssertVerified: true},
	}
}

// outbox stands in for a mail gateway: it keeps the last message.
type outbox struct {
	mu   sync.Mutex
	last verify.Message
}

func (o *outbox) Dispatch(_ context.Context, m verify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = m
	return nil
}

func (o *outbox) code() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last.Code
}

func run(ctx context.Context, w io.Writer) error {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	mail := &outbox{}
	eng, err := update.New(memory.New(), policy(), update.WithClock(now), update.WithDispatcher(mail))
	if err != nil {
		return err
	}

	created, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Doc: map[string]any{
		"givenName": "Matthew", "familyName": "Park", "email": "matt@example.com",
		"statuses": []any{map[string]any{"status": "inactive"}},
	}, Verified: []string{"/email"}})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	show(w, "create", created)

	steps := []struct {
		title string
		req   update.Request
	}{
		{"merge: only what is sent changes", update.Request{Mode: update.Merge,
			Doc: map[string]any{"givenName": "Matt"}}},
		{"replace: what is not sent is removed, plural elements get fresh ids", update.Request{Mode: update.Replace,
			Doc: map[string]any{"familyName": "Parker", "email": "matt@example.com",
				"statuses": []any{map[string]any{"status": "inactive"}}}}},
		{"plural upsert: id 2 replaces its element, an element without id is appended", update.Request{Mode: update.Merge,
			Doc: map[string]any{"statuses": []any{
				map[string]any{"id": 2, "status": "active"},
				map[string]any{"status": "inactive"},
			}}}},
		{"held email change: the old address stays until confirmed", update.Request{Mode: update.Merge,
			Doc: map[string]any{"email": "Matt.Parker@Example.COM"}}},
	}
	for _, s := range steps {
		s.req.Type, s.req.Locator = "user", update.ByID("u1")
		res, err := eng.Apply(ctx, s.req)
		if err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		show(w, s.title, res)
	}

	held, err := eng.Get(ctx, "user", update.ByID("u1"))
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	fmt.Fprintf(w, "   (stored email meanwhile: %v)\n", held.Doc["email"])

	res, err := eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Path: "/email", Code: mail.code()})
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	show(w, "confirm with the mailed code: the new address counts", res)

	v, err := eng.Get(ctx, "user", update.ByID("u1"))
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	doc, err := json.Marshal(v.Doc)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== the record now (version %d)\n%s\n", v.Version, doc)
	return nil
}

// summary is the part of a Result worth printing.
type summary struct {
	Modified bool             `json:"modified"`
	Version  uint64           `json:"version"`
	Changes  []change         `json:"changes,omitempty"`
	Pending  []pendingSummary `json:"pending,omitempty"`
}

type change struct {
	Op   string `json:"op"`
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

type pendingSummary struct {
	Path       string `json:"path"`
	Channel    string `json:"channel"`
	Held       bool   `json:"held"`
	Dispatched bool   `json:"dispatched"`
	State      string `json:"state"`
}

// show prints one result as a title and a line of JSON.
func show(w io.Writer, title string, res *update.Result) {
	s := summary{Modified: res.Modified, Version: res.Version}
	for _, c := range res.Changes {
		s.Changes = append(s.Changes, change{Op: c.Op, Path: c.Path, Old: c.Old, New: c.New})
	}
	for _, p := range res.Pending {
		s.Pending = append(s.Pending, pendingSummary{Path: p.Path, Channel: string(p.Channel), Held: p.Held,
			Dispatched: p.Dispatched, State: string(p.State)})
	}
	b, err := json.Marshal(s)
	if err != nil {
		b = []byte(err.Error())
	}
	fmt.Fprintf(w, "== %s\n%s\n", title, b)
}
