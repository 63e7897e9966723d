package update_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

var ctx = context.Background()

func apply(f *fixture, r update.Request) (*update.Result, error) {
	if r.Type == "" {
		r.Type = "user"
	}
	if r.Locator == (update.Locator{}) {
		r.Locator = update.ByID("u1")
	}
	if r.Client == "" {
		r.Client = "app"
	}
	return f.eng.Apply(ctx, r)
}

func TestApplyMerge(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		before := f.get(t, "u1")

		res, err := apply(f, update.Request{Mode: update.Merge, Doc: doc(t, `{"givenName":"Matt","primaryAddress":{"city":"Zürich"},"displayName":null}`)})
		require.NoError(t, err)
		assert.True(t, res.Modified)
		assert.False(t, res.Unchanged)
		assert.Equal(t, before.Version+1, res.Version)
		assert.Equal(t, []storage.Change{
			{Path: "/displayName", Op: "remove", Old: "Matt P"},
			{Path: "/givenName", Op: "replace", Old: "Matthew", New: "Matt"},
			{Path: "/primaryAddress/city", Op: "replace", Old: "Bern", New: "Zürich"},
		}, sortChanges(res.Changes))

		after := f.get(t, "u1")
		assert.Equal(t, "Matt", after.Doc["givenName"])
		assert.NotContains(t, after.Doc, "displayName")
		assert.Equal(t, map[string]any{"city": "Zürich", "country": "CH"}, after.Doc["primaryAddress"], "merge keeps siblings")
		assert.Equal(t, before.Doc["statuses"], after.Doc["statuses"], "fields not sent are untouched")
	})
}

func TestApplyUnchanged(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		snap := f.snapshot(t, "u1")
		f.clock.Advance(1)

		for name, d := range map[string]string{
			"SameValues":      `{"givenName":"Matthew","primaryAddress":{"city":"Bern"}}`,
			"RemoveAbsent":    `{"nickName":null}`,
			"SameAfterNormal": `{"email":"  mparker@EXAMPLE.com "}`,
			"Empty":           `{}`,
		} {
			t.Run(name, func(t *testing.T) {
				res, err := apply(f, update.Request{Doc: doc(t, d)})
				require.NoError(t, err)
				assert.True(t, res.Unchanged)
				assert.False(t, res.Modified)
				assert.Empty(t, res.Changes)
				assert.Equal(t, uint64(1), res.Version)
				assert.Equal(t, snap, f.snapshot(t, "u1"), "a no-op writes nothing")
			})
		}
	})
}

func TestApplyReplace(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)

		res, err := apply(f, update.Request{Mode: update.Replace, Doc: doc(t, `{"familyName":"Parker","email":"mparker@example.com"}`)})
		require.NoError(t, err)
		v := f.get(t, "u1")
		assert.Equal(t, "u1", v.Doc["id"], "read-only fields survive a replace")
		assert.Equal(t, "seed", v.Doc["createdBy"], "kept fields survive a replace")
		assert.Equal(t, true, v.Doc["emailVerified"], "verified flags survive a replace")
		assert.Equal(t, []string{"/password"}, v.HasSecret, "secrets survive a replace")
		assert.NotContains(t, v.Doc, "givenName")
		assert.NotContains(t, v.Doc, "statuses")

		removed := map[string]bool{}
		for _, c := range res.Changes {
			if c.Op == "remove" {
				removed[c.Path] = true
			}
		}
		assert.Equal(t, "mpark", v.Doc["username"], "set-once fields survive a replace")
		for _, p := range []string{"/givenName", "/displayName", "/statuses", "/tags", "/primaryAddress", "/phone"} {
			assert.True(t, removed[p], "change list names the removal of %s", p)
		}
		assert.False(t, removed["/id"])
		assert.False(t, removed["/createdBy"])
	})
}

func TestApplyReplaceSubtree(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	_, err := apply(f, update.Request{Mode: update.Replace, Path: "/primaryAddress", Doc: doc(t, `{"city":"Basel"}`)})
	require.NoError(t, err)
	v := f.get(t, "u1")
	assert.Equal(t, map[string]any{"city": "Basel"}, v.Doc["primaryAddress"])
	assert.Equal(t, "Matthew", v.Doc["givenName"], "outside the subtree nothing changes")
}

func TestApplyReplaceOmittedNull(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		pol := userPolicy()
		pol.Types["user"].Omitted = update.OmitNull
		f := newFixture(t, open(t), pol)
		f.seed(t)
		_, err := apply(f, update.Request{Mode: update.Replace, Doc: doc(t, `{"familyName":"Park","statuses":[{"status":"active"}]}`)})
		require.NoError(t, err)
		v := f.get(t, "u1")
		assert.Nil(t, v.Doc["givenName"])
		assert.Contains(t, v.Doc, "givenName", "left-out attributes become null, not absent")
		assert.Equal(t, []any{}, v.Doc["tags"], "left-out plurals become empty")
		st := v.Doc["statuses"].([]any)
		require.Len(t, st, 1)
		assert.Equal(t, json.Number("5254"), st[0].(map[string]any)["id"], "replace gives fresh keys past the old ones")
	})
}

func TestApplyPlurals(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		t.Run("UpsertReplacesByKey", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			_, err := apply(f, update.Request{Doc: doc(t, `{"statuses":[{"id":5253,"status":"active"}]}`)})
			require.NoError(t, err)
			assert.Equal(t, val(t, `[{"id":5253,"status":"active"}]`), f.get(t, "u1").Doc["statuses"])
		})
		t.Run("UpsertAppendsWithFreshKey", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			res, err := apply(f, update.Request{Doc: doc(t, `{"statuses":[{"status":"new"}]}`)})
			require.NoError(t, err)
			assert.Equal(t, val(t, `[{"id":5253,"status":"inactive"},{"id":5254,"status":"new"}]`), f.get(t, "u1").Doc["statuses"])
			assert.Equal(t, []storage.Change{{Path: "/statuses/1", Op: "add", New: val(t, `{"id":5254,"status":"new"}`)}}, res.Changes)
		})
		t.Run("UpsertUnknownKeyIsNotFound", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			snap := f.snapshot(t, "u1")
			_, err := apply(f, update.Request{Doc: doc(t, `{"statuses":[{"id":999,"status":"new"}]}`)})
			require.Error(t, err)
			assert.Equal(t, update.NotFound, update.ErrorCode(err))
			fields := update.ErrorFields(err)
			require.Len(t, fields, 1)
			assert.Equal(t, "/statuses", fields[0].Path)
			assert.Equal(t, "999", fields[0].Param)
			assert.Equal(t, snap, f.snapshot(t, "u1"))
		})
		t.Run("Append", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			_, err := apply(f, update.Request{Doc: doc(t, `{"tags":["b","c"]}`)})
			require.NoError(t, err)
			assert.Equal(t, []any{"a", "b", "c"}, f.get(t, "u1").Doc["tags"])
		})
		t.Run("ReplaceByDefault", func(t *testing.T) {
			pol := userPolicy()
			pol.Types["user"].Fields["/tags"].Plural = nil
			f := newFixture(t, open(t), pol)
			f.seed(t)
			_, err := apply(f, update.Request{Doc: doc(t, `{"tags":["z"]}`)})
			require.NoError(t, err)
			assert.Equal(t, []any{"z"}, f.get(t, "u1").Doc["tags"])
		})
		t.Run("ElementByIndexPath", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			_, err := apply(f, update.Request{Path: "/statuses/0", Doc: doc(t, `{"status":"active"}`)})
			require.NoError(t, err)
			assert.Equal(t, val(t, `[{"id":5253,"status":"active"}]`), f.get(t, "u1").Doc["statuses"])
		})
		t.Run("LocallyUnique", func(t *testing.T) {
			f := newFixture(t, open(t), nil)
			f.seed(t)
			_, err := apply(f, update.Request{Doc: doc(t, `{"statuses":[{"status":"inactive"}]}`)})
			require.Error(t, err)
			assert.Equal(t, update.Invalid, update.ErrorCode(err))
			assert.Equal(t, update.RuleLocal, update.ErrorFields(err)[0].Rule)
		})
	})
}

func TestApplyPatch(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		res, err := apply(f, update.Request{Mode: update.Patch, Ops: []merge.Operation{
			{Op: "test", Path: "/givenName", Value: "Matthew"},
			{Op: "replace", Path: "/givenName", Value: "Matt"},
			{Op: "remove", Path: "/displayName"},
		}})
		require.NoError(t, err)
		assert.Len(t, res.Changes, 2)
		v := f.get(t, "u1")
		assert.Equal(t, "Matt", v.Doc["givenName"])
		assert.NotContains(t, v.Doc, "displayName")

		snap := f.snapshot(t, "u1")
		_, err = apply(f, update.Request{Mode: update.Patch, Ops: []merge.Operation{
			{Op: "replace", Path: "/givenName", Value: "X"},
			{Op: "test", Path: "/givenName", Value: "Y"},
		}})
		assert.Equal(t, update.Conflict, update.ErrorCode(err), "a failing test op fails the whole patch")
		assert.Equal(t, snap, f.snapshot(t, "u1"))
	})
}

func TestApplyLocateByKey(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		res, err := apply(f, update.Request{Locator: update.ByKey("/email", "MParker@Example.COM"), Doc: doc(t, `{"givenName":"M"}`)})
		require.Error(t, err, "the local part is case-sensitive under NormalizeEmail")
		assert.Equal(t, update.NotFound, update.ErrorCode(err))
		res, err = apply(f, update.Request{Locator: update.ByKey("/email", "mparker@EXAMPLE.com"), Doc: doc(t, `{"givenName":"M"}`)})
		require.NoError(t, err)
		assert.Equal(t, "u1", res.ID)
	})
}

func TestApplySecrets(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	t.Run("PlainIsHashedAndNeverReturned", func(t *testing.T) {
		res, err := apply(f, update.Request{Doc: doc(t, `{"password":"NewPass123"}`), IncludeRecord: true})
		require.NoError(t, err)
		out := jsonOf(t, res)
		assert.NotContains(t, out, "NewPass123")
		assert.Contains(t, out, update.Redacted)
		rec, err := f.store.Get(ctx, "user", "u1")
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(rec.Secrets["/password"], "$2"), "stored as a bcrypt hash")
		assert.NotContains(t, jsonOf(t, rec.Doc), "NewPass123")
		hist, err := f.eng.History(ctx, "user", update.ByID("u1"))
		require.NoError(t, err)
		assert.NotContains(t, jsonOf(t, hist), "NewPass123")
		assert.NotContains(t, jsonOf(t, hist), "$2a$")
	})
	t.Run("CurrentMustMatch", func(t *testing.T) {
		_, err := apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Other1234", Current: "wrong"}}})
		assert.Equal(t, update.CodeMismatch, update.ErrorCode(err))
		_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Other1234", Current: "NewPass123"}}})
		assert.NoError(t, err)
	})
	t.Run("ComplexityListsEveryMiss", func(t *testing.T) {
		_, err := apply(f, update.Request{Doc: doc(t, `{"password":"qqq"}`)})
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		var params []string
		for _, fe := range update.ErrorFields(err) {
			params = append(params, fe.Param)
		}
		assert.ElementsMatch(t, []string{"minLength=8", "upper", "digit"}, params)
		assert.NotContains(t, err.Error(), "qqq")
	})
	t.Run("PreHashed", func(t *testing.T) {
		_, err := apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Hash: "$2a$04$CDI5UbQ1yHw8cQrt1ggvE.aMGLk2fjdAbaN7/L66y.6x/Kvt3prH2"}}})
		assert.NoError(t, err)
		_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Hash: "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"}}})
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		assert.Equal(t, update.RuleHash, update.ErrorFields(err)[0].Rule)
	})
}

func TestApplyInvalidListsEveryField(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	snap := f.snapshot(t, "u1")
	_, err := apply(f, update.Request{Doc: doc(t, `{"givenName":"ThisNameIsFarTooLongToBeValid","age":200,
		"familyName":null,"primaryAddress":{"country":"CHE"},"displayName":7,"email":"not-an-email","bogus":1}`)})
	require.Error(t, err)
	assert.Equal(t, update.Invalid, update.ErrorCode(err))
	got := map[string]string{}
	for _, fe := range update.ErrorFields(err) {
		got[fe.Path] = fe.Rule
	}
	assert.Equal(t, map[string]string{
		"/bogus": update.RuleUnknown, "/givenName": "max", "/age": "lte", "/familyName": update.RuleRequired,
		"/primaryAddress/country": "len", "/displayName": update.RuleType, "/email": "email",
	}, got, "the input checks and the record checks report together")
	assert.Equal(t, snap, f.snapshot(t, "u1"))

	_, err = apply(f, update.Request{Doc: doc(t, `{"givenName":"ThisNameIsFarTooLongToBeValid","age":200,
		"familyName":null,"primaryAddress":{"country":"CHE"},"displayName":7,"email":"not-an-email"}`)})
	require.Error(t, err)
	got = map[string]string{}
	for _, fe := range update.ErrorFields(err) {
		got[fe.Path] = fe.Rule
	}
	assert.Equal(t, map[string]string{
		"/givenName": "max", "/age": "lte", "/familyName": update.RuleRequired,
		"/primaryAddress/country": "len", "/displayName": update.RuleType, "/email": "email",
	}, got)
	assert.Equal(t, snap, f.snapshot(t, "u1"))
}

// Every error code the engine has is reachable, and a failed request
// leaves the stored record exactly as it was: document, version, Updated,
// keys, challenges and history.
func TestApplyFailureChangesNothing(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		cases := []struct {
			name string
			req  update.Request
			code update.Code
		}{
			{"Invalid", update.Request{Doc: map[string]any{"age": "old"}}, update.Invalid},
			{"InvalidRoot", update.Request{Mode: update.Replace, Doc: []any{}}, update.Invalid},
			{"NotFoundRecord", update.Request{Locator: update.ByID("nobody"), Doc: map[string]any{"givenName": "x"}}, update.NotFound},
			{"NotFoundType", update.Request{Type: "robot", Doc: map[string]any{}}, update.NotFound},
			{"NotFoundPath", update.Request{Path: "/statuses/7", Doc: map[string]any{"status": "new"}}, update.NotFound},
			{"ConflictVersion", update.Request{Expect: update.Expect{Version: ptr(uint64(9))}, Doc: map[string]any{"givenName": "x"}}, update.Conflict},
			{"NotUnique", update.Request{Doc: map[string]any{"email": "taken@example.com"}}, update.NotUnique},
			{"ForbiddenReader", update.Request{Client: "reader", Doc: map[string]any{"givenName": "x"}}, update.Forbidden},
			{"ForbiddenUnknownClient", update.Request{Client: "stranger", Doc: map[string]any{"givenName": "x"}}, update.Forbidden},
			{"ForbiddenPath", update.Request{Client: "profiler", Doc: map[string]any{"familyName": "x"}}, update.Forbidden},
			{"ForbiddenAssertVerified", update.Request{Doc: map[string]any{"email": "n@example.com"},
				Delivery: map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}}, update.Forbidden},
			{"ImmutableReadOnly", update.Request{Doc: map[string]any{"id": "u2"}}, update.Immutable},
			{"ImmutableVerifiedFlag", update.Request{Doc: map[string]any{"emailVerified": true}}, update.Immutable},
			{"ImmutableSetOnce", update.Request{Doc: map[string]any{"username": "other"}}, update.Immutable},
			{"MalformedPointer", update.Request{Path: "noslash", Doc: map[string]any{}}, update.Malformed},
			{"MalformedMode", update.Request{Mode: "upsert", Doc: map[string]any{}}, update.Malformed},
			{"MalformedTemplate", update.Request{Doc: map[string]any{"email": "n@example.com"},
				Delivery: map[string]update.Delivery{"/email": {LinkTemplate: "{{.Nope}}"}}}, update.Malformed},
			{"MalformedLocator", update.Request{Locator: update.Locator{ID: "u1", Key: &storage.Key{Name: "/email", Value: "x"}}}, update.Malformed},
			{"TooLargeString", update.Request{Doc: map[string]any{"givenName": strings.Repeat("x", 201)}}, update.TooLarge},
			{"TooLargeDepth", update.Request{Doc: map[string]any{"primaryAddress": nest(10)}}, update.TooLarge},
			{"TooLargePlural", update.Request{Doc: map[string]any{"tags": make([]any, 21)}}, update.TooLarge},
			{"TooLargeAfterAppend", update.Request{Doc: map[string]any{"tags": strs(20)}}, update.TooLarge},
			{"CodeMismatchCurrentPassword", update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Abcdefg12", Current: "nope"}}}, update.CodeMismatch},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, open(t), nil)
				f.seed(t)
				_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u2", Client: "admin",
					Doc: map[string]any{"familyName": "Other", "username": "taken", "email": "taken@example.com"}})
				require.NoError(t, err)
				snap := f.snapshot(t, "u1")
				f.clock.Advance(1)
				sentBefore := len(f.sent.Messages())

				_, err = apply(f, tc.req)
				require.Error(t, err)
				assert.Equal(t, tc.code, update.ErrorCode(err), "error: %v", err)
				assert.Equal(t, snap, f.snapshot(t, "u1"))
				assert.Len(t, f.sent.Messages(), sentBefore, "nothing dispatched")
			})
		}
	})
}

func TestApplyNotUniqueNamesHolder(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u2", Client: "admin", State: storage.Inactive,
			Doc: map[string]any{"familyName": "Other", "email": "sleeper@example.com"}})
		require.NoError(t, err)
		_, err = apply(f, update.Request{Doc: map[string]any{"email": "sleeper@EXAMPLE.com"}})
		require.Error(t, err)
		var ue *update.Error
		require.True(t, errors.As(err, &ue))
		assert.Equal(t, update.NotUnique, ue.Code)
		require.NotNil(t, ue.Holder)
		assert.Equal(t, storage.Inactive, ue.Holder.HolderState)
		assert.Equal(t, "u2", ue.Holder.HolderID)
		assert.Equal(t, "/email", ue.Fields[0].Path)
	})
}

func TestApplyPreconditions(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		v := f.get(t, "u1")
		_, err := apply(f, update.Request{Expect: update.Expect{Version: &v.Version, Created: &v.Created, Updated: &v.Updated},
			Doc: map[string]any{"givenName": "A"}})
		require.NoError(t, err)
		f.clock.Advance(time.Second)
		_, err = apply(f, update.Request{Doc: map[string]any{"givenName": "B"}})
		require.NoError(t, err)
		_, err = apply(f, update.Request{Expect: update.Expect{Updated: &v.Updated}, Doc: map[string]any{"givenName": "C"}})
		assert.Equal(t, update.Conflict, update.ErrorCode(err), "a stale Updated is refused")
	})
}

func TestApplyDryRun(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		snap := f.snapshot(t, "u1")
		res, err := apply(f, update.Request{DryRun: true, Doc: map[string]any{"givenName": "Dry", "email": "new@example.com"}})
		require.NoError(t, err)
		assert.True(t, res.DryRun)
		assert.True(t, res.Modified)
		assert.Len(t, res.Pending, 1)
		assert.Equal(t, snap, f.snapshot(t, "u1"))
		assert.Empty(t, f.sent.Messages(), "a dry run sends nothing")
	})
}

func TestApplyWriteOnlyHidden(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	res, err := apply(f, update.Request{Doc: map[string]any{"note": "private"}, IncludeRecord: true})
	require.NoError(t, err)
	assert.NotContains(t, jsonOf(t, res), "private")
	assert.NotContains(t, f.get(t, "u1").Doc, "note")
}

func TestApplyInternalHidesCause(t *testing.T) {
	f := newFixture(t, failingStore{memory.New()}, nil, update.WithLogger(slog.New(slog.DiscardHandler)))
	_, err := f.eng.Apply(ctx, update.Request{Type: "user", Client: "app", Locator: update.ByID("u1"), Doc: map[string]any{}})
	require.Error(t, err)
	assert.Equal(t, update.Internal, update.ErrorCode(err))
	assert.Equal(t, "internal error", update.ErrorMessage(err))
	assert.NotContains(t, update.ErrorMessage(err), "disk")
}

type failingStore struct{ storage.Store }

func (failingStore) Update(context.Context, string, string, storage.Updater) (*storage.Record, error) {
	return nil, errors.New("disk on fire")
}

func TestGrantPaths(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	_, err := apply(f, update.Request{Client: "profiler", Doc: doc(t, `{"givenName":"G","primaryAddress":{"city":"Chur"}}`)})
	require.NoError(t, err, "writes inside the granted paths pass")
	_, err = apply(f, update.Request{Client: "profiler", Doc: doc(t, `{"primaryAddress":{"country":"DE"}}`)})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err))
	assert.Equal(t, "/primaryAddress/country", update.ErrorFields(err)[0].Path)
}

func ptr[T any](v T) *T { return &v }

func nest(n int) any {
	var v any = "x"
	for i := 0; i < n; i++ {
		v = map[string]any{"city": v}
	}
	return v
}

func strs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "t"
	}
	return out
}

func sortChanges(cs []storage.Change) []storage.Change {
	out := append([]storage.Change(nil), cs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Path < out[i].Path {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestUnknownAttributes(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/primaryAddress"] = &update.Field{Type: update.TypeObject}
	pol.Types["user"].Fields["/prefs"] = &update.Field{Type: update.TypeObject}
	f := newFixture(t, nil, pol)
	f.seed(t)
	for name, tc := range map[string]struct {
		doc  string
		code update.Code
	}{
		"DeclaredChildrenCloseTheObject": {`{"primaryAddress":{"planet":"Mars"}}`, update.Invalid},
		"OpaqueObjectTakesAnything":      {`{"prefs":{"theme":{"dark":true}}}`, ""},
		"PluralKeyIsDeclared":            {`{"statuses":[{"id":5253,"status":"active"}]}`, ""},
		"UndeclaredElementMember":        {`{"statuses":[{"id":5253,"mood":"ok","status":"active"}]}`, update.Invalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := apply(f, update.Request{Doc: doc(t, tc.doc)})
			assert.Equal(t, tc.code, update.ErrorCode(err), "err: %v", err)
		})
	}
	t.Run("Drop", func(t *testing.T) {
		pol := userPolicy()
		pol.Types["user"].Unknown = update.Drop
		g := newFixture(t, nil, pol)
		g.seed(t)
		res, err := apply(g, update.Request{Doc: doc(t, `{"givenName":"G","bogus":{"x":1}}`)})
		require.NoError(t, err)
		assert.Equal(t, []string{"/givenName"}, changedPaths(res))
		assert.NotContains(t, g.get(t, "u1").Doc, "bogus")
	})
}

func TestDeleteWithPreconditions(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		f.seed(t)
		stale := uint64(7)
		err := f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "admin", Locator: update.ByID("u1"), Expect: update.Expect{Version: &stale}})
		assert.Equal(t, update.Conflict, update.ErrorCode(err))
		err = f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "app", Locator: update.ByID("u1")})
		assert.Equal(t, update.Forbidden, update.ErrorCode(err), "deleting needs Grant.Delete")
		one := uint64(1)
		require.NoError(t, f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Client: "admin", Locator: update.ByID("u1"), Expect: update.Expect{Version: &one}}))
		_, err = f.eng.Get(ctx, "user", update.ByID("u1"))
		assert.Equal(t, update.NotFound, update.ErrorCode(err))
		_, err = f.eng.Get(ctx, "user", update.ByKey("/email", "mparker@example.com"))
		assert.Equal(t, update.NotFound, update.ErrorCode(err), "its keys are gone too")
	})
}

func TestCreate(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), nil)
		res, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", Client: "admin", IncludeRecord: true,
			Doc:          doc(t, `{"familyName":"New","statuses":[{"status":"new"},{"id":40,"status":"active"}]}`),
			ExternalKeys: []storage.Key{{Name: "ext:crm", Value: "A-1"}}})
		require.NoError(t, err)
		require.NotNil(t, res.Record)
		assert.Equal(t, uint64(1), res.Version)
		assert.Equal(t, val(t, `[{"id":41,"status":"new"},{"id":40,"status":"active"}]`), res.Record.Doc["statuses"])
		v, err := f.eng.Get(ctx, "user", update.ByKey("ext:crm", "A-1"))
		require.NoError(t, err)
		assert.Equal(t, res.ID, v.ID)

		for name, tc := range map[string]struct {
			req  update.CreateRequest
			code update.Code
		}{
			"MissingRequired":    {update.CreateRequest{Doc: doc(t, `{"givenName":"X"}`)}, update.Invalid},
			"ReadOnlyFromClient": {update.CreateRequest{Doc: doc(t, `{"familyName":"X","id":"x"}`)}, update.Immutable},
			"ClientMayNotCreate": {update.CreateRequest{Client: "app", Doc: doc(t, `{"familyName":"X"}`)}, update.Forbidden},
			"VerifiedNeedsGrant": {update.CreateRequest{Client: "app", Doc: doc(t, `{"familyName":"X","email":"v@example.com"}`), Verified: []string{"/email"}}, update.Forbidden},
			"IDTaken":            {update.CreateRequest{ID: res.ID, Doc: doc(t, `{"familyName":"X"}`)}, update.Conflict},
			"BadExternalKey":     {update.CreateRequest{Doc: doc(t, `{"familyName":"X"}`), ExternalKeys: []storage.Key{{Name: "crm", Value: "1"}}}, update.Malformed},
			"ExternalKeyTaken":   {update.CreateRequest{Doc: doc(t, `{"familyName":"X"}`), ExternalKeys: []storage.Key{{Name: "ext:crm", Value: "A-1"}}}, update.NotUnique},
		} {
			t.Run(name, func(t *testing.T) {
				tc.req.Type = "user"
				if tc.req.Client == "" {
					tc.req.Client = "admin"
				}
				_, err := f.eng.Create(ctx, tc.req)
				assert.Equal(t, tc.code, update.ErrorCode(err), "err: %v", err)
			})
		}
	})
}

// A write-only value inside a larger value that changes is hidden too.
func TestApplyWriteOnlyHiddenInsideAChange(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/vault/pin"] = &update.Field{Type: update.TypeString, Mutability: update.WriteOnly}
	pol.Types["user"].Fields["/vault/label"] = &update.Field{Type: update.TypeString}
	f := newFixture(t, nil, pol)
	f.seed(t)
	res, err := apply(f, update.Request{Doc: doc(t, `{"vault":{"pin":"4711","label":"home"}}`), IncludeRecord: true})
	require.NoError(t, err)
	require.Len(t, res.Changes, 1, "one add of the whole new object")
	assert.Equal(t, map[string]any{"pin": update.Redacted, "label": "home"}, res.Changes[0].New)
	hist, err := f.eng.History(ctx, "user", update.ByID("u1"))
	require.NoError(t, err)
	assert.NotContains(t, jsonOf(t, res)+jsonOf(t, hist), "4711")
	rec, err := f.store.Get(ctx, "user", "u1")
	require.NoError(t, err)
	assert.Equal(t, "4711", rec.Doc["vault"].(map[string]any)["pin"], "the stored value itself is kept")
}

// Reads leave out write-only members wherever they are, plural elements
// included.
func TestViewLeavesOutWriteOnlyInPlurals(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/statuses/*/note"] = &update.Field{Type: update.TypeString, Mutability: update.WriteOnly}
	f := newFixture(t, nil, pol)
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"statuses":[{"id":5253,"status":"active","note":"internal"}]}`)})
	require.NoError(t, err)
	v := f.get(t, "u1")
	assert.Equal(t, val(t, `[{"id":5253,"status":"active"}]`), v.Doc["statuses"])
	assert.NotContains(t, jsonOf(t, v), "internal")
}
