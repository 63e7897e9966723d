package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// run is the whole command: it parses args, surveys the input, opens the
// store and the profile, imports (or checks) every line, and prints a
// summary to stdout. Progress goes to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	spec, err := storeopen.ParseSpec(f.store, getenv("IDUPDATE_POSTGRES_DSN"))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	sv, err := surveyFile(f.input)
	if err != nil {
		return err
	}
	key, explicit, err := storeopen.ExplicitKey(f.codeKeyFile, getenv("IDUPDATE_CODE_KEY"))
	if err != nil {
		return err
	}

	var store storage.Store
	if f.dryRun {
		// A dry run writes nothing, so it needs no store: the engine's
		// DryRun checks each line over an empty one.
		store = memory.New()
		if !explicit {
			key = storeopen.KeySource{Key: make([]byte, storeopen.CodeKeyBytes)}
		}
	} else {
		if store, err = spec.Open(ctx); err != nil {
			return err
		}
		if !explicit {
			if key, err = storeopen.DefaultKey(ctx, spec, store); err != nil {
				store.Close()
				return err
			}
		}
		if _, err := storeopen.CheckCodeKey(ctx, store, key, "refuse", time.Now()); err != nil {
			store.Close()
			return err
		}
	}
	defer store.Close()
	p, err := newProfile(f, store, key.Key, quietLogger(stderr))
	if err != nil {
		return err
	}
	if err := p.checkGrant(ctx); err != nil {
		return err
	}

	im := &importer{p: p, importID: sv.id, dryRun: f.dryRun, maxLine: f.maxLine, workers: f.workers,
		mark: "import:" + p.typ + ":" + sv.id, checkEvery: f.checkEvery}
	done := 0
	if !f.dryRun {
		marks, ok := store.(storage.Bookmarks)
		if !ok {
			return fmt.Errorf("the store cannot keep a checkpoint (storage.Bookmarks)")
		}
		im.marks = marks
		n, err := marks.Bookmark(ctx, im.mark)
		if err != nil {
			return fmt.Errorf("read the checkpoint: %w", err)
		}
		done = int(n)
	}
	rep, earlier, err := openReport(f.errors, done)
	if err != nil {
		return err
	}
	im.report = rep

	in, err := os.Open(f.input)
	if err != nil {
		rep.close()
		return err
	}
	defer in.Close()
	st := stats{total: sv.users, earlier: earlier, started: time.Now()}
	if done > 0 {
		// The users among the lines done; the survey counted every line.
		if st.resumed, err = usersUpTo(f.input, done, f.maxLine); err != nil {
			rep.close()
			return err
		}
		fmt.Fprintf(stderr, "resuming after line %d (%d users done, %d errors reported)\n", done, st.resumed, earlier)
	}
	disp := newDisplay(f.progress, stderr, f.progressEvery, st)
	im.progress = disp.update
	runErr := im.run(ctx, in, done, &st)
	disp.finish(st)
	if err := rep.close(); err != nil && runErr == nil {
		runErr = err
	}
	elapsed := time.Since(st.started)
	verb := "imported"
	if f.dryRun {
		verb = "checked (dry run, nothing written)"
	}
	fmt.Fprintf(stdout, "%s %d users, %d already there, %d refused (error report %s), in %s: %.0f users/s\n",
		verb, st.created, st.existed+st.resumed-st.earlier, st.refused+st.earlier, f.errors, elapsed.Round(time.Millisecond),
		float64(st.created+st.existed+st.refused)/elapsed.Seconds())
	if runErr != nil {
		return runErr
	}
	if n := st.refused + st.earlier; n > 0 {
		return fmt.Errorf("%d lines were not imported; %s lists them", n, f.errors)
	}
	return nil
}

// usersUpTo counts the users among the first n lines of the file.
func usersUpTo(path string, n, maxLine int) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lr := newLineReader(f, maxLine)
	users := 0
	for {
		ln, err := lr.next()
		if err == io.EOF || (err == nil && ln.num > n) {
			return users, nil
		}
		if err != nil {
			return 0, err
		}
		if !ln.blank {
			users++
		}
	}
}
