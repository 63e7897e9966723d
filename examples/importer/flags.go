package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// errUsage marks a command line that cannot be run.
var errUsage = errors.New("usage")

// Bounds of the numeric flags.
const (
	maxWorkers  = 64
	minLine     = 1 << 10
	maxLine     = 64 << 20
	defaultLine = 1 << 20
)

// flags are the command line settings.
type flags struct {
	input         string
	store         string
	vendor        string
	format        string
	config        string
	policy        string
	typ           string
	client        string
	errors        string
	workers       int
	maxLine       int
	dryRun        bool
	progress      string
	progressEvery time.Duration
	checkEvery    time.Duration
	codeKeyFile   string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("importer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: importer [flags] FILE\n\nImports the users of a JSONL file, one per line, through the engine's Create.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.store, "store", "sqlite:idupdate.db", "memory | sqlite:PATH | postgres:DSN | postgres (DSN from IDUPDATE_POSTGRES_DSN)")
	fs.StringVar(&f.vendor, "vendor", "", "janrain | druid | rubiq | zitadel | scim: create records under that adapter's profile")
	fs.StringVar(&f.format, "format", "engine", "engine | janrain | zitadel | scim: each line is the record's document, or the body of that vendor's create call (with the same -vendor)")
	fs.StringVar(&f.config, "config", "", "the shim server's -config file, for -vendor (default: its demo configuration)")
	fs.StringVar(&f.policy, "policy", "", "a policy file to create records under, instead of -vendor")
	fs.StringVar(&f.typ, "type", "", "with -policy: the record type to create")
	fs.StringVar(&f.client, "client", "", "the client the creates are made as; its grant must allow Create (required)")
	fs.StringVar(&f.errors, "errors", "", "the error report file (default FILE.errors.jsonl)")
	fs.IntVar(&f.workers, "workers", 32, fmt.Sprintf("creates in flight at once, 1 to %d", maxWorkers))
	fs.IntVar(&f.maxLine, "max-line", defaultLine, fmt.Sprintf("the longest line accepted, in bytes (%d to %d)", minLine, maxLine))
	fs.BoolVar(&f.dryRun, "dry-run", false, "check every line through the engine's rules and write nothing")
	fs.StringVar(&f.progress, "progress", "auto", "auto | bar | lines | off: a bar on a terminal, else a line every -progress-every")
	fs.DurationVar(&f.progressEvery, "progress-every", 5*time.Second, "how often a progress line is printed")
	fs.DurationVar(&f.checkEvery, "checkpoint-every", time.Second, "how often the line up to which the file is done is saved in the store")
	fs.StringVar(&f.codeKeyFile, "code-key-file", "", "file holding the code hashing key in hex (default: IDUPDATE_CODE_KEY, else as the shim server finds it)")
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 {
		return f, fmt.Errorf("%w: give exactly one input FILE (got %d arguments)", errUsage, fs.NArg())
	}
	f.input = fs.Arg(0)
	if f.errors == "" {
		f.errors = f.input + ".errors.jsonl"
	}
	return f, f.check()
}

// check refuses flag values that cannot be run.
func (f flags) check() error {
	switch {
	case (f.vendor == "") == (f.policy == ""):
		return fmt.Errorf("%w: give one of -vendor and -policy", errUsage)
	case f.policy != "" && f.typ == "":
		return fmt.Errorf("%w: -policy needs -type", errUsage)
	case f.vendor != "" && f.typ != "":
		return fmt.Errorf("%w: -type goes with -policy; a vendor's type is its own", errUsage)
	case f.vendor != "" && vendorType(f.vendor) == "":
		return fmt.Errorf("%w: -vendor must be janrain, druid, rubiq, zitadel or scim, not %q", errUsage, f.vendor)
	case f.format != "engine" && !slices.Contains(vendorFormats, f.format):
		return fmt.Errorf("%w: -format must be engine, %s, not %q", errUsage, strings.Join(vendorFormats, ", "), f.format)
	case f.format != "engine" && f.format != f.vendor:
		return fmt.Errorf("%w: -format %s reads %s's create bodies and needs -vendor %s", errUsage, f.format, f.format, f.format)
	case f.vendor == "scim" && f.format != "scim":
		return fmt.Errorf("%w: -vendor scim reads SCIM User resources: give -format scim", errUsage)
	case f.policy != "" && f.config != "":
		return fmt.Errorf("%w: -config goes with -vendor", errUsage)
	case f.client == "":
		return fmt.Errorf("%w: -client is required: the creates are made as that client, under its grant", errUsage)
	case f.workers < 1 || f.workers > maxWorkers:
		return fmt.Errorf("%w: -workers must be 1 to %d", errUsage, maxWorkers)
	case f.maxLine < minLine || f.maxLine > maxLine:
		return fmt.Errorf("%w: -max-line must be %d to %d", errUsage, minLine, maxLine)
	case f.progress != "auto" && f.progress != "bar" && f.progress != "lines" && f.progress != "off":
		return fmt.Errorf("%w: -progress must be auto, bar, lines or off, not %q", errUsage, f.progress)
	case f.progressEvery <= 0:
		return fmt.Errorf("%w: -progress-every must be positive", errUsage)
	case f.checkEvery <= 0:
		return fmt.Errorf("%w: -checkpoint-every must be positive", errUsage)
	case f.errors == f.input:
		return fmt.Errorf("%w: -errors must not be the input file", errUsage)
	}
	return nil
}
