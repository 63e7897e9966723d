package update

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/idupdate/idupdate/storage"
)

// RekeyReport is what Rekey did to the records of one type.
type RekeyReport struct {
	Type string
	// Scanned counts the records read; Rekeyed those whose keys changed
	// (or would change, on a dry run).
	Scanned, Rekeyed int
	// Clashes are keys that more than one record would hold under the
	// current policy. Their records keep their old keys; someone must
	// decide which identity keeps the value.
	Clashes []RekeyClash
	// Refused are records holding a unique value the policy now refuses
	// (a username with an invisible character, say). They keep their old
	// keys.
	Refused []RekeyRefusal
}

// RekeyClash is one key that several records would hold.
type RekeyClash struct {
	Field string   // the unique field, a JSON Pointer
	IDs   []string // the records, in ID order
}

// RekeyRefusal is one record whose unique value the policy refuses.
type RekeyRefusal struct {
	ID     string
	Fields []FieldError
}

// Clean reports whether every record got its keys.
func (r *RekeyReport) Clean() bool { return len(r.Clashes) == 0 && len(r.Refused) == 0 }

// Rekey recomputes the unique keys and index terms of every record of typ
// under the engine's policy (after a field got an Identifier profile or
// became Indexed, say) and stores those that changed, each with a "rekey" event and a new version.
// Records that would clash with one another, or whose values the policy
// now refuses, are left as they are and listed in the report instead:
// Rekey never fails silently and never takes a value from one identity to
// give it to another. With dryRun nothing is written. Keys are computed
// again inside each record's update, so writes racing with Rekey are safe.
//
// The store must implement storage.Querier. Returns NotFound for an
// unknown type, Internal when the store cannot list, and the store's
// errors otherwise.
func (e *Engine) Rekey(ctx context.Context, typ string, dryRun bool) (*RekeyReport, error) {
	s, err := e.policy.schemaOf(typ)
	if err != nil {
		return nil, err
	}
	q, ok := e.store.(storage.Querier)
	if !ok {
		return nil, Errorf(Internal, "the store cannot list records")
	}
	rep := &RekeyReport{Type: typ}
	holders := map[storage.Key][]string{}
	var changed []string
	for after := ""; ; {
		page, err := q.List(ctx, storage.Query{Type: typ, Limit: storage.MaxLimit, After: after})
		if err != nil {
			return nil, e.storeError(err)
		}
		for _, rec := range page.Records {
			rep.Scanned++
			keys, err := s.computeKeys(rec.Keys, rec.Doc, rec.Pending)
			if err != nil {
				rep.Refused = append(rep.Refused, RekeyRefusal{ID: rec.ID, Fields: ErrorFields(err)})
				continue
			}
			for _, k := range keys {
				holders[k] = append(holders[k], rec.ID)
			}
			if !slices.Equal(keys, storage.SortedKeys(rec.Keys)) || !slices.Equal(s.computeTerms(rec.Doc), storage.SortedKeys(rec.Terms)) {
				changed = append(changed, rec.ID)
			}
		}
		if after = page.Next; after == "" {
			break
		}
	}
	clashing := map[string]bool{}
	for k, ids := range holders {
		if len(ids) > 1 {
			rep.Clashes = append(rep.Clashes, RekeyClash{Field: unscopeKey(k).Name, IDs: ids})
			for _, id := range ids {
				clashing[id] = true
			}
		}
	}
	sort.Slice(rep.Clashes, func(i, j int) bool {
		a, b := rep.Clashes[i], rep.Clashes[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return slices.Compare(a.IDs, b.IDs) < 0
	})
	todo := changed[:0]
	for _, id := range changed {
		if !clashing[id] {
			todo = append(todo, id)
		}
	}
	if dryRun {
		rep.Rekeyed = len(todo)
		return rep, nil
	}
	// A record whose new key another record still holds as its old one
	// waits for that record; a cycle of such records is a clash.
	for len(todo) > 0 {
		var wait []string
		var blocked []*storage.NotUniqueError
		for _, id := range todo {
			err := e.rekeyOne(ctx, s, typ, id)
			var nu *storage.NotUniqueError
			switch {
			case errors.As(err, &nu):
				wait, blocked = append(wait, id), append(blocked, nu)
			case err != nil:
				return rep, err
			default:
				rep.Rekeyed++
			}
		}
		if len(wait) == len(todo) {
			for i, id := range wait {
				rep.Clashes = append(rep.Clashes, RekeyClash{Field: unscopeKey(blocked[i].Key).Name, IDs: sortedIDs(id, blocked[i].HolderID)})
			}
			break
		}
		todo = wait
	}
	if rep.Clean() {
		// Every record now holds the terms of the indexed fields.
		e.markTerms(ctx, s)
	}
	return rep, nil
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// rekeyOne stores the recomputed keys of one record.
func (e *Engine) rekeyOne(ctx context.Context, s *schema, typ, id string) error {
	_, err := e.update(ctx, s, typ, id, func(rec *storage.Record) (*storage.Event, error) {
		keys, err := s.computeKeys(rec.Keys, rec.Doc, rec.Pending)
		if err != nil {
			return nil, err
		}
		if slices.Equal(keys, storage.SortedKeys(rec.Keys)) && slices.Equal(s.computeTerms(rec.Doc), storage.SortedKeys(rec.Terms)) {
			return nil, nil
		}
		rec.Keys = keys
		o := &outcome{event: &storage.Event{Time: e.now(), Kind: "rekey"}}
		s.stamp(rec, o)
		return o.event, nil
	})
	var nu *storage.NotUniqueError
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil // deleted meanwhile: nothing to rekey
	case errors.As(err, &nu):
		return nu
	case err != nil:
		return fmt.Errorf("rekey %s %s: %w", typ, id, e.storeError(err))
	}
	return nil
}

// Types returns the entity types of the engine's policy, sorted.
func (e *Engine) Types() []string {
	out := make([]string, 0, len(e.policy.types))
	for t := range e.policy.types {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
