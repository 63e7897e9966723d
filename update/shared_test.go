package update_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// TestApplyLeavesSharedValuesAlone holds the engine to what lets the
// memory store hand out its records without copying them: an Apply never
// modifies a value it was given or read. Records and histories read
// before each request, the request itself and every earlier result read
// the same after all the requests below, in every mode, with secrets,
// confirmable fields, plurals, nested objects and removals, and with
// failing requests among them. It runs on every backend, since a store
// may keep decoded records in a cache and hand them out as the memory
// store does.
func TestApplyLeavesSharedValuesAlone(t *testing.T) {
	each(t, func(t *testing.T, open opener) { applyLeavesSharedValuesAlone(t, open) })
}

func applyLeavesSharedValuesAlone(t *testing.T, open opener) {
	f := newFixture(t, open(t), nil)
	f.seed(t)
	reqs := []update.Request{
		{Client: "admin", Doc: val(t, `{"givenName":"Ann","primaryAddress":{"city":"Zurich"},
			"statuses":[{"id":5253,"status":"active"},{"status":"new"}],"tags":["b"]}`)},
		{Client: "admin", Mode: update.Replace, Path: "/primaryAddress", Doc: val(t, `{"city":"Basel","country":"CH"}`)},
		{Client: "admin", Mode: update.Patch, Ops: []merge.Operation{
			{Op: "add", Path: "/tags/-", Value: "c"}, {Op: "replace", Path: "/statuses/0/status", Value: "inactive"},
			{Op: "remove", Path: "/displayName"}}},
		{Client: "admin", Mode: update.Modify, Mods: []update.Modification{
			{Op: "add", Value: val(t, `{"nickName":"Annie","primaryAddress":{"city":"Bern"}}`)},
			{Op: "replace", Path: "/givenName", Value: "Anna"}}},
		{Client: "admin", Doc: val(t, `{"email":"anna@example.com","phone":"+41791234568","nickName":null}`),
			Secrets:  map[string]update.SecretValue{"/password": {Plain: "Secret456"}},
			Delivery: map[string]update.Delivery{"/email": {Kind: update.ReturnCode}}},
		{Client: "admin", Doc: val(t, `{"givenName":"far too long a given name for the rule"}`)}, // refused
		{Client: "admin", Mode: update.Replace, Path: "/statuses/[id=5253]", Doc: val(t, `{"status":"active"}`)},
		{Client: "admin", DryRun: true, IncludeRecord: true, Doc: val(t, `{"familyName":"Byron"}`)},
		{Client: "admin", IncludeRecord: true, Doc: val(t, `{"familyName":"King","tags":["d"]}`)},
	}
	type held struct {
		what string
		v    any
		json string
	}
	var all []held
	hold := func(what string, v any) {
		all = append(all, held{what, v, jsonOf(t, v)})
	}
	for i, req := range reqs {
		req.Type, req.Locator = "user", update.ByID("u1")
		rec, err := f.store.Get(ctx, "user", "u1")
		require.NoError(t, err)
		hist, err := f.store.History(ctx, "user", "u1")
		require.NoError(t, err)
		hold("record before request", rec)
		hold("history before request", hist)
		hold("request", req)
		res, err := f.eng.Apply(ctx, req)
		if i == 5 {
			require.Error(t, err, "request %d", i)
		} else {
			require.NoError(t, err, "request %d", i)
			assert.False(t, res.Unchanged, "request %d changes something", i)
			hold("result", res)
		}
		for _, h := range all {
			require.Equal(t, h.json, jsonOf(t, h.v), "after request %d: a %s changed", i, h.what)
		}
	}
	assert.Greater(t, len(all), 3*len(reqs), "everything held was checked")
}
