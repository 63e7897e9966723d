package update_test

import (
	"context"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// examplePolicy is a small user schema: names with rules, an upsert
// plural keyed by id, and an email held until verified.
func examplePolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			"/givenName":  {Type: update.TypeString, Rules: "max=50"},
			"/familyName": {Type: update.TypeString, Required: true, Rules: "max=50"},
			"/age":        {Type: update.TypeInteger, Rules: "gte=0,lte=150"},
			"/statuses": {Type: update.TypeArray,
				Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id", KeyGen: update.KeyGenInt}},
			"/statuses/*/status": {Type: update.TypeString, Rules: "oneof=active inactive"},
			"/email": {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail,
				Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/emailVerified"}},
			"/emailVerified": {Type: update.TypeBoolean},
		}}},
		DefaultGrant: &update.Grant{Write: true, Create: true, ReturnCode: true},
	}
}

// exampleEngine returns an engine on the memory store with a fixed clock
// and a dispatcher that records what it would send.
func exampleEngine() (*update.Engine, *verify.Recorder) {
	sent := &verify.Recorder{}
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	eng, err := update.New(memory.New(), examplePolicy(), update.WithClock(now), update.WithDispatcher(sent))
	if err != nil {
		panic(err)
	}
	_, err = eng.Create(context.Background(), update.CreateRequest{Type: "user", ID: "u1", Verified: nil,
		Doc: map[string]any{"givenName": "Matthew", "familyName": "Park",
			"statuses": []any{map[string]any{"status": "inactive"}}}})
	if err != nil {
		panic(err)
	}
	return eng, sent
}

func printChanges(res *update.Result) {
	for _, c := range res.Changes {
		fmt.Printf("%s %s: %v -> %v\n", c.Op, c.Path, c.Old, c.New)
	}
}

// A merge changes only what is sent; null removes.
func ExampleEngine_Apply() {
	eng, _ := exampleEngine()
	res, err := eng.Apply(context.Background(), update.Request{
		Type: "user", Locator: update.ByID("u1"), Mode: update.Merge,
		Doc: map[string]any{"givenName": "Matt", "age": 40},
	})
	if err != nil {
		fmt.Println(update.ErrorCode(err), err)
		return
	}
	fmt.Println("modified:", res.Modified, "version:", res.Version)
	printChanges(res)
	// Output:
	// modified: true version: 2
	// add /age: <nil> -> 40
	// replace /givenName: Matthew -> Matt
}

// A replace drops what is not sent.
func ExampleEngine_Apply_replace() {
	eng, _ := exampleEngine()
	res, _ := eng.Apply(context.Background(), update.Request{
		Type: "user", Locator: update.ByID("u1"), Mode: update.Replace,
		Doc: map[string]any{"familyName": "Parker"},
	})
	printChanges(res)
	// Output:
	// replace /familyName: Park -> Parker
	// remove /givenName: Matthew -> <nil>
	// remove /statuses: [map[id:1 status:inactive]] -> <nil>
}

// Elements of an upsert plural are matched by key: a known key replaces
// its element, no key appends with a fresh one, an unknown key is
// NotFound.
func ExampleEngine_Apply_pluralUpsert() {
	eng, _ := exampleEngine()
	ctx := context.Background()
	res, _ := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"),
		Doc: map[string]any{"statuses": []any{
			map[string]any{"id": 1, "status": "active"},
			map[string]any{"status": "inactive"},
		}}})
	printChanges(res)
	_, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"),
		Doc: map[string]any{"statuses": []any{map[string]any{"id": 9, "status": "active"}}}})
	fmt.Println(update.ErrorCode(err), update.ErrorFields(err)[0].Path)
	// Output:
	// replace /statuses/0: map[id:1 status:inactive] -> map[id:1 status:active]
	// add /statuses/1: <nil> -> map[id:2 status:inactive]
	// not_found /statuses
}

// Invalid lists every failing field, and nothing is written.
func ExampleEngine_Apply_validationError() {
	eng, _ := exampleEngine()
	_, err := eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u1"),
		Doc: map[string]any{"age": 200, "familyName": nil, "email": "not-an-address"}})
	fmt.Println(update.ErrorCode(err))
	for _, f := range update.ErrorFields(err) {
		fmt.Printf("%s %s: %s\n", f.Path, f.Rule, f.Message)
	}
	v, _ := eng.Get(context.Background(), "user", update.ByID("u1"))
	fmt.Println("version:", v.Version)
	// Output:
	// invalid
	// /age lte: is longer or larger than 150
	// /email email: is not a valid email address
	// /familyName required: is required
	// version: 1
}

// Under Hold a changed email waits in a challenge until its code is
// confirmed; the old value stays established meanwhile.
func ExampleEngine_Confirm() {
	eng, sent := exampleEngine()
	ctx := context.Background()
	res, _ := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"),
		Doc: map[string]any{"email": "Matt@Example.COM"}})
	p := res.Pending[0]
	fmt.Println("held:", p.Held, "dispatched:", p.Dispatched, "path:", p.Path)

	v, _ := eng.Get(ctx, "user", update.ByID("u1"))
	fmt.Println("email before:", v.Doc["email"])

	msg, _ := sent.Last()
	_, err := eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Path: "/email", Code: msg.Code})
	fmt.Println("confirm error:", err)
	v, _ = eng.Get(ctx, "user", update.ByID("u1"))
	fmt.Println("email after:", v.Doc["email"], "verified:", v.Doc["emailVerified"])
	// Output:
	// held: true dispatched: true path: /email
	// email before: <nil>
	// confirm error: <nil>
	// email after: Matt@example.com verified: true
}

// With ReturnCode the code comes back to the caller and nothing is sent.
func ExampleDelivery_returnCode() {
	eng, sent := exampleEngine()
	res, _ := eng.Apply(context.Background(), update.Request{Type: "user", Locator: update.ByID("u1"),
		Doc:      map[string]any{"email": "matt@example.com"},
		Delivery: map[string]update.Delivery{"/email": {Kind: update.ReturnCode}}})
	fmt.Println("code length:", len(res.Pending[0].Code), "sent:", len(sent.Messages()))
	// Output:
	// code length: 6 sent: 0
}
