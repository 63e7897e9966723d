// Command importer loads users from a JSONL file, one user document per
// line, into an idupdate store through the engine's Create, under a vendor
// profile of the shim server or a policy file of your own.
//
// Usage:
//
//	go run ./examples/importer [flags] FILE
//
// Flags:
//
//	-store SPEC            memory | sqlite:PATH | postgres:DSN | postgres, as for
//	                       the shim server (default sqlite:idupdate.db)
//	-vendor NAME           janrain, druid, rubiq, zitadel or scim: the profile
//	                       (policy and engine options) of that adapter,
//	                       configured by -config as the shim server is
//	-format NAME           engine (default), janrain, zitadel or scim: what
//	                       each line is (below); a vendor's format needs
//	                       -vendor of the same name
//	-config FILE           the shim server's -config file (default: its demo)
//	-policy FILE           a policy file (update.LoadPolicy) instead of -vendor
//	-type NAME             with -policy: the record type to create
//	-client ID             the client the creates are made as; its grant must
//	                       allow Create (required)
//	-errors FILE           the error report (default FILE.errors.jsonl)
//	-workers N             creates in flight at once, 1 to 64 (default 32;
//	                       SQLite commits concurrent creates together)
//	-max-line BYTES        the longest line accepted (default 1 MiB)
//	-dry-run               check every line and write nothing
//	-progress MODE         auto (a bar on a terminal, else lines), bar, lines
//	                       or off (default auto)
//	-progress-every D      how often progress lines are printed (default 5s)
//	-checkpoint-every D    how often the checkpoint is saved (default 1s)
//	-code-key-file FILE    the key verification codes are hashed with, found
//	                       as the shim server finds it when not given
//
// Each line is the document the profile's engine stores for a new record:
// for -vendor janrain the Capture attributes entity.create takes (each
// record gets a fresh uuid and the next id, as entity.create gives it);
// for druid, rubiq and zitadel the document of their records. Blank lines
// are passed over.
//
// With -format janrain, zitadel or scim, each line is instead the body the
// vendor's own create call takes, decoded and checked by that adapter
// (janrain.Handler.CreateRequest, zitadel.Handler.CreateRequest,
// scim.Handler.CreateUserRequest), so each record is the one the call
// would have made from the same body:
//
//   - janrain: entity.create's attributes for a user, as -client; an id,
//     a uuid or another reserved attribute is refused, as the call refuses
//     it.
//   - zitadel: an AddHumanUser body (POST /v2/users/human), as the admin
//     client -client; the user goes into that client's organisation unless
//     the body names another with organization.orgId. A password or hashed
//     password becomes the user's secret; returnCode and sendCode leave the
//     address pending, as above.
//   - scim: a SCIM User resource (POST /Users), with its schemas; the user
//     gets a fresh id. SCIM records are read only in this format.
//
// A line the adapter refuses is reported with the adapter's error code
// and message, which name members and rules, not the values sent: a
// password on a bad line is not repeated. A line that is not a JSON object, is longer than
// -max-line, or that the engine refuses (a broken rule, an unknown
// attribute, a unique value already held) is not imported: it is listed in
// the error report, one JSON object per line in line order:
//
//	{"line":7,"code":"invalid","message":"...","fields":[{"path":"/email","rule":"email","message":"..."}]}
//
// with the engine's error code, message and failing fields, which name
// fields and rules, not the values sent. Of two lines with the same unique
// value the later one is refused, unless both are among the lines in
// flight at once (at most 4 × -workers): then either may be. Store
// failures are not bad lines: they stop the run, which can then be
// resumed.
//
// Memory stays bounded whatever the file: it is read as a stream, a line
// longer than -max-line is passed over without being held, and at most
// 4 × -workers lines are held at once.
//
// Resume. Every record the importer creates carries the external key
// ext:import with the value "IMPORT:LINE", where IMPORT identifies the
// file by the SHA-256 of its contents. A create whose line was already
// imported by an earlier, interrupted run clashes on that key, and the
// importer counts the line as done instead of reporting it. As it goes,
// the importer also saves in the store (storage.Bookmarks) the line up to
// which every line is settled, after syncing the error report up to that
// line; a run restarted with the same arguments on the same file skips
// those lines and keeps their part of the report. The key makes the import
// exactly-once whatever the moment of a crash; the bookmark only saves
// re-reading. A run on a changed file is a new import.
//
// Verification codes. Confirmable values (an email, a phone number) are
// stored unverified, with a challenge whose code is sent nowhere: nobody
// is mailed by an import. A user's code is sent later with the vendor's
// resend call.
//
// A dry run opens no store: it checks each line through the engine's
// Create with DryRun over an empty in-memory store, so it finds every
// broken rule but not a unique value already held in the real store or by
// another line.
//
// Exit status: 0 when every line was imported (or was already), 1 when
// some lines were reported or the run stopped, 2 for a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second signal takes the default action.
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "importer:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "importer:", err)
		os.Exit(1)
	}
}
