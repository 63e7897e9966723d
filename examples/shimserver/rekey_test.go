package main

import (
	"context"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage"
)

// TestRekeyReportsClashes fills a store the way a server without
// identifier profiles would have (a second ZITADEL user "Minnie" and one
// "Bob"), then runs -rekey: check writes nothing, apply re-keys Bob, and
// both report the clash with the demo user minnie and exit unclean.
func TestRekeyReportsClashes(t *testing.T) {
	spec := "sqlite:" + filepath.Join(t.TempDir(), "shim.db")
	env := map[string]string{"IDUPDATE_CODE_KEY": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}
	startShimEnv(t, env, "-store", spec).stop(t)

	ctx := context.Background()
	parsed, err := storeopen.ParseSpec(spec, "")
	require.NoError(t, err)
	st, err := parsed.Open(ctx)
	require.NoError(t, err)
	demo, err := st.Get(ctx, zitadel.EntityType, zitadel.DemoUserID)
	require.NoError(t, err)
	for id, name := range map[string]string{"legacy-1": "Minnie", "legacy-2": "Bob"} {
		doc := maps.Clone(demo.Doc)
		doc["username"] = name
		rec := &storage.Record{Type: zitadel.EntityType, ID: id, State: storage.Active, Doc: doc,
			Keys: []storage.Key{{Name: "/username", Value: name}}}
		require.NoError(t, st.Create(ctx, rec, storage.Event{Time: time.Now(), Kind: "create"}))
	}
	before, err := st.Get(ctx, zitadel.EntityType, "legacy-2")
	require.NoError(t, err)
	require.NoError(t, st.Close())

	for _, mode := range []string{"check", "apply"} {
		out, errOut := &syncBuffer{}, &syncBuffer{}
		err := run(ctx, []string{"-store", spec, "-rekey", mode}, func(k string) string { return env[k] }, out, errOut, nil)
		assert.ErrorIs(t, err, errRekeyUnclean, mode)
		assert.Contains(t, out.String(), "clash on /username: records "+zitadel.DemoUserID+", legacy-1 would hold the same key", mode)
		assert.NotContains(t, out.String(), "Minnie", "the report names records, not values")
		if mode == "check" {
			assert.Contains(t, out.String(), "zitadel zitadel.user: 3 records, would rekey 1")
		} else {
			assert.Contains(t, out.String(), "zitadel zitadel.user: 3 records, rekeyed 1")
		}
	}

	st, err = parsed.Open(ctx)
	require.NoError(t, err)
	defer st.Close()
	after, err := st.Get(ctx, zitadel.EntityType, "legacy-2")
	require.NoError(t, err)
	assert.Equal(t, before.Version+1, after.Version)
	assert.NotEqual(t, before.Keys, after.Keys, "Bob got his key under the profile")
	legacy1, err := st.Get(ctx, zitadel.EntityType, "legacy-1")
	require.NoError(t, err)
	assert.Equal(t, []storage.Key{{Name: "/username", Value: "Minnie"}}, legacy1.Keys, "a clashing record keeps its old key")
}

func TestRekeyFlagChecked(t *testing.T) {
	err := run(context.Background(), []string{"-store", "memory", "-rekey", "yes"}, noEnv, &syncBuffer{}, &syncBuffer{}, nil)
	assert.ErrorIs(t, err, errUsage)
}
