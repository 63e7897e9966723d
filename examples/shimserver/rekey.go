package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errRekeyUnclean says that -rekey left records with their old keys.
var errRekeyUnclean = errors.New("rekey: some records keep their old keys; resolve what the report lists and run again")

// rekey runs Engine.Rekey for every type of every vendor's policy, writes
// the report to w, and returns errRekeyUnclean when a record clashed or
// holds a value its profile refuses. mode is "check" (nothing written) or
// "apply".
func rekey(ctx context.Context, vendors []vendor, mode string, w io.Writer) error {
	clean := true
	for _, v := range vendors {
		for _, typ := range v.eng.Types() {
			rep, err := v.eng.Rekey(ctx, typ, mode == "check")
			if err != nil {
				return fmt.Errorf("rekey %s %s: %w", v.name, typ, err)
			}
			verb := "rekeyed"
			if mode == "check" {
				verb = "would rekey"
			}
			fmt.Fprintf(w, "%s %s: %d records, %s %d\n", v.name, typ, rep.Scanned, verb, rep.Rekeyed)
			for _, c := range rep.Clashes {
				fmt.Fprintf(w, "  clash on %s: records %s would hold the same key; each keeps its old one\n", c.Field, strings.Join(c.IDs, ", "))
			}
			for _, r := range rep.Refused {
				for _, f := range r.Fields {
					fmt.Fprintf(w, "  refused: record %s %s %s\n", r.ID, f.Path, f.Message)
				}
			}
			clean = clean && rep.Clean()
		}
	}
	if !clean {
		return errRekeyUnclean
	}
	return nil
}
