package update

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/idupdate/idupdate/storage"
)

// IDCounter numbers the new records of one type from a counter of the
// store (storage.Counters): 1, 2, 3, ... across every process sharing the
// store. A create that names no ID takes the counter's next value inside
// the engine's Create, after the grant and request checks, so no caller
// reads a counter and then writes. A number is never handed out twice; a
// create refused after drawing (an invalid value, a unique clash) leaves
// a gap, as a database sequence does.
type IDCounter struct {
	// Counter is the name of the store counter; see
	// storage.CheckCounterName.
	Counter string
	// Field, when set, is a top-level read-only integer field of the type
	// that holds the id too, as a JSON number, so that filters and sorts
	// compare ids numerically. "" keeps the id out of the document.
	Field string
}

// WithIDCounter makes creates of record type typ that name no ID draw it
// from c. New fails when the store does not implement storage.Counters,
// when the counter name is not acceptable, or when c.Field is not a
// top-level read-only integer field of typ.
func WithIDCounter(typ string, c IDCounter) Option {
	return func(o *options) {
		if o.idCounters == nil {
			o.idCounters = map[string]IDCounter{}
		}
		o.idCounters[typ] = c
	}
}

// checkIDCounters reports id counters New cannot use over store.
func checkIDCounters(cs map[string]IDCounter, store storage.Store, cp *compiled) (storage.Counters, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	counters, ok := store.(storage.Counters)
	if !ok {
		return nil, fmt.Errorf("update: id counters need a store that implements storage.Counters")
	}
	for typ, c := range cs {
		s, err := cp.schemaOf(typ)
		if err != nil {
			return nil, fmt.Errorf("update: id counter of unknown type %q", typ)
		}
		if err := storage.CheckCounterName(c.Counter); err != nil {
			return nil, fmt.Errorf("update: id counter of %q: %w", typ, err)
		}
		if c.Field == "" {
			continue
		}
		r := s.ruleAt([]string{c.Field})
		if r == nil || r.f.Mutability != ReadOnly || r.f.Type != TypeInteger {
			return nil, fmt.Errorf("update: id counter of %q: field %q is not a top-level read-only integer field", typ, c.Field)
		}
	}
	return counters, nil
}

// drawID returns the id of a new record of req.Type that names none: the
// next value of the type's counter (with req.Server extended by the id
// field) or else the engine's generator.
func (e *Engine) drawID(ctx context.Context, req *CreateRequest) (string, error) {
	c, ok := e.idCounters[req.Type]
	if !ok {
		return e.newID(), nil
	}
	n, err := e.counters.NextValue(ctx, c.Counter)
	if err != nil {
		return "", e.storeError(err)
	}
	id := strconv.FormatUint(n, 10)
	if c.Field != "" {
		server := make(map[string]any, len(req.Server)+1)
		maps.Copy(server, req.Server)
		server[c.Field] = json.Number(id)
		req.Server = server
	}
	return id, nil
}
