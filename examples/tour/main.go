// Command tour is the README's Go tour, whole: a policy, an engine on
// SQLite with a stable code key, a Create, a merge, and a held email
// change confirmed with its code.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func main() {
	dir, err := os.MkdirTemp("", "idupdate-tour")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := tour(context.Background(), filepath.Join(dir, "tour.db"), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// policy: one user type; the email is unique, normalized, and held until
// its code is confirmed.
var policy = &update.Policy{
	Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
		"/givenName":  {Type: update.TypeString, Rules: "max=50"},
		"/familyName": {Type: update.TypeString, Required: true, Rules: "max=50"},
		"/email": {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail,
			Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/emailVerified"}},
		"/emailVerified": {Type: update.TypeBoolean},
	}}},
	DefaultGrant: &update.Grant{Write: true, Create: true},
}

// codeKey hashes verification codes at rest. A durable store needs the
// same key on every start, or codes sent before a restart stop matching:
// load it from your secret store. (This fixed one is for the tour only.)
var codeKey = []byte("tour-only: load 32+ random bytes from a secret store")

func tour(ctx context.Context, dbPath string, out io.Writer) error {
	store, err := sqlite.Open(dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	sent := &verify.Recorder{} // stands in for your mail or SMS sender
	eng, err := update.New(store, policy, update.WithCodeKey(codeKey), update.WithDispatcher(sent))
	if err != nil {
		return err
	}

	// Create starts the verification of the first email too: the record
	// holds the address, marked unverified, and its code is sent at once.
	res, err := eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1",
		Doc: map[string]any{"givenName": "Matthew", "familyName": "Park", "email": "matt@example.com"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created: version %d, %s waits for its code\n", res.Version, res.Pending[0].Path)

	// A merge changes only what is sent.
	res, err = eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Mode: update.Merge,
		Doc: map[string]any{"givenName": "Matt"}})
	if err != nil {
		return err // an *update.Error: update.ErrorCode(err), update.ErrorFields(err)
	}
	for _, c := range res.Changes {
		fmt.Fprintf(out, "merge: %s %s %v -> %v\n", c.Op, c.Path, c.Old, c.New)
	}

	// The code the sender got confirms the email.
	msg, _ := sent.Last()
	if _, err := eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Path: "/email", Code: msg.Code}); err != nil {
		return err
	}
	v, err := eng.Get(ctx, "user", update.ByID("u1"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "confirmed: %v verified=%v, version %d\n", v.Doc["email"], v.Doc["emailVerified"], v.Version)
	return nil
}
