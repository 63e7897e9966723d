package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/adapters/scim"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/storage"
)

// demoRecord is one record the vendors' SeedDemo functions load.
type demoRecord struct{ typ, id string }

// demoRecords are every vendor's demo records, as their SeedDemo creates
// them.
var demoRecords = []demoRecord{
	{janrain.EntityType, janrain.DemoID},
	{janrain.EntityType, janrain.DemoSecondID},
	{druid.EntityType, druid.DemoUserID},
	{rubiq.EntityType, "1001"},
	{rubiq.EntityType, "1002"},
	{zitadel.EntityType, zitadel.DemoUserID},
	{scim.EntityUser, scim.DemoUserID},
	{scim.EntityUser, scim.DemoSecondUserID},
	{scim.EntityGroup, scim.DemoGroupID},
}

// demoState is what the demo records look like at startup.
type demoState struct {
	found   int // demo records present before seeding
	changed int // demo records changed since they were loaded
	last    time.Time
	lastRec string // "type id" of the record changed last
}

// readDemoState reads the demo records from the store. A record at a
// version above 1 has changed since it was loaded.
func readDemoState(ctx context.Context, st storage.Store) (demoState, error) {
	var s demoState
	for _, d := range demoRecords {
		rec, err := st.Get(ctx, d.typ, d.id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return s, fmt.Errorf("read demo record %s %s: %w", d.typ, d.id, err)
		}
		s.found++
		if rec.Version > 1 {
			s.changed++
			if rec.Updated.After(s.last) {
				s.last, s.lastRec = rec.Updated, d.typ+" "+d.id
			}
		}
	}
	return s, nil
}

// resetDemo deletes the demo records, with their keys, history and
// pending codes, so that seeding loads them as on a fresh store. Other
// records are left alone.
func resetDemo(ctx context.Context, st storage.Store) (int, error) {
	n := 0
	for _, d := range demoRecords {
		err := st.Delete(ctx, d.typ, d.id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reset demo record %s %s: %w", d.typ, d.id, err)
		}
		n++
	}
	return n, nil
}
