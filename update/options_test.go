package update_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/go-playground/validator/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

func TestObserverSeesCommitsWithoutSecrets(t *testing.T) {
	var mu sync.Mutex
	var seen []storage.Event
	var recs []*storage.Record
	f := newFixture(t, nil, nil, update.WithObserver(func(_ context.Context, rec *storage.Record, ev storage.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen, recs = append(seen, ev), append(recs, rec)
	}))
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"givenName":"O","password":"Observed1","email":"o@example.com"}`)})
	require.NoError(t, err)
	_, err = apply(f, update.Request{Doc: doc(t, `{"givenName":"O"}`)})
	require.NoError(t, err)
	_, err = apply(f, update.Request{Doc: doc(t, `{"age":"x"}`)})
	require.Error(t, err)

	require.Len(t, seen, 2, "create and the one change; no-ops and failures are not commits")
	assert.Equal(t, "create", seen[0].Kind)
	assert.Equal(t, uint64(2), seen[1].Version)
	out := jsonOf(t, seen) + jsonOf(t, recs)
	assert.NotContains(t, out, "Observed1")
	assert.NotContains(t, out, "$2a$")
	for _, r := range recs {
		assert.Empty(t, r.Secrets)
		for _, ch := range r.Pending {
			assert.Empty(t, ch.CodeHash)
		}
	}
}

func TestCustomValidator(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/displayName"].Rules = "max=40,nohash"
	noHash := func(fl validator.FieldLevel) bool { return !strings.Contains(fl.Field().String(), "#") }
	f := newFixture(t, nil, pol, update.WithValidator("nohash", noHash))
	f.seed(t)
	_, err := apply(f, update.Request{Doc: doc(t, `{"displayName":"a#b"}`)})
	require.Equal(t, update.Invalid, update.ErrorCode(err))
	assert.Equal(t, "nohash", update.ErrorFields(err)[0].Rule)
	_, err = apply(f, update.Request{Doc: doc(t, `{"displayName":"ab"}`)})
	assert.NoError(t, err)

	_, err = update.New(memory.New(), pol)
	assert.ErrorContains(t, err, "nohash", "an unregistered tag fails at New, not at the first request")
}

func TestArgon2id(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/password"].Secret = &update.Secret{Hasher: "argon2id", AcceptHashed: []string{"argon2id"},
		Complexity: update.Complexity{MinLength: 8}}
	f := newFixture(t, nil, pol)
	f.seed(t)
	rec, err := f.store.Get(ctx, "user", "u1")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rec.Secrets["/password"], "$argon2id$v=19$"))
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "another-one", Current: "wrong"}}})
	assert.Equal(t, update.CodeMismatch, update.ErrorCode(err))
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "another-one", Current: "Secret123"}}})
	require.NoError(t, err)
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Hash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}})
	assert.NoError(t, err, "a well-formed argon2id hash is accepted")
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Hash: "$argon2id$v=19$m=1,t=0,p=0$x$y"}}})
	assert.Equal(t, update.Invalid, update.ErrorCode(err))
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Hash: "$2a$04$CDI5UbQ1yHw8cQrt1ggvE.aMGLk2fjdAbaN7/L66y.6x/Kvt3prH2"}}})
	assert.Equal(t, update.Invalid, update.ErrorCode(err), "bcrypt is not in this field's accepted formats")
}

func TestGrantCoversPartOfAnObject(t *testing.T) {
	f := newFixture(t, nil, nil)
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin", Doc: doc(t, `{"familyName":"P"}`)})
	require.NoError(t, err)
	_, err = apply(f, update.Request{Client: "profiler", Doc: doc(t, `{"primaryAddress":{"city":"Chur"}}`)})
	require.NoError(t, err, "a new object whose members all lie in the grant")
	_, err = apply(f, update.Request{Client: "profiler", Mode: update.Replace, Path: "/primaryAddress", Doc: doc(t, `{"country":"CH"}`)})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err), "replacing drops nothing outside the grant and adds nothing outside it")
}

func TestPatchGuards(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.seed(t)
	snap := f.snapshot(t, "u1")
	for name, tc := range map[string]struct {
		ops  []merge.Operation
		code update.Code
	}{
		"RemoveReadOnly":    {[]merge.Operation{{Op: "remove", Path: "/id"}}, update.Immutable},
		"MoveFromVerified":  {[]merge.Operation{{Op: "move", From: "/emailVerified", Path: "/givenName"}}, update.Immutable},
		"CopyOntoReadOnly":  {[]merge.Operation{{Op: "copy", From: "/givenName", Path: "/id"}}, update.Immutable},
		"SecretByPatch":     {[]merge.Operation{{Op: "add", Path: "/password", Value: "Abcdefgh1"}}, update.Invalid},
		"UnknownOp":         {[]merge.Operation{{Op: "merge", Path: "/givenName"}}, update.Malformed},
		"BadFrom":           {[]merge.Operation{{Op: "move", From: "x", Path: "/givenName"}}, update.Malformed},
		"RemoveMissing":     {[]merge.Operation{{Op: "remove", Path: "/nickname"}}, update.NotFound},
		"SetOnceByReplace":  {[]merge.Operation{{Op: "replace", Path: "/username", Value: "other"}}, update.Immutable},
		"ForbiddenByGrant":  {[]merge.Operation{{Op: "remove", Path: "/familyName"}}, update.Forbidden},
		"RequiredByRemoval": {[]merge.Operation{{Op: "remove", Path: "/familyName"}}, update.Invalid},
	} {
		t.Run(name, func(t *testing.T) {
			client := "app"
			if name == "ForbiddenByGrant" {
				client = "profiler"
			}
			_, err := apply(f, update.Request{Client: client, Mode: update.Patch, Ops: tc.ops})
			assert.Equal(t, tc.code, update.ErrorCode(err), "err: %v", err)
			assert.Equal(t, snap, f.snapshot(t, "u1"))
		})
	}
}

// A durable store outlives the process: with the same code key, a code
// issued before a restart confirms after it.
func TestCodeKeySurvivesRestart(t *testing.T) {
	store := memory.New()
	key := []byte(strings.Repeat("k", 32))
	sent := &verify.Recorder{}
	first, err := update.New(store, userPolicy(), update.WithCodeKey(key), update.WithDispatcher(sent))
	require.NoError(t, err)
	_, err = first.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin", Doc: doc(t, `{"familyName":"P"}`)})
	require.NoError(t, err)
	_, err = first.Apply(ctx, update.Request{Type: "user", Client: "app", Locator: update.ByID("u1"), Doc: doc(t, `{"email":"k@example.com"}`)})
	require.NoError(t, err)
	code, ok := sent.CodeFor("k@example.com")
	require.True(t, ok)

	other, err := update.New(store, userPolicy())
	require.NoError(t, err)
	_, err = other.Confirm(ctx, update.ConfirmRequest{Type: "user", Client: "app", Locator: update.ByID("u1"), Path: "/email", Code: code})
	assert.Equal(t, update.CodeMismatch, update.ErrorCode(err), "another key cannot check the code")

	second, err := update.New(store, userPolicy(), update.WithCodeKey(key))
	require.NoError(t, err)
	_, err = second.Confirm(ctx, update.ConfirmRequest{Type: "user", Client: "app", Locator: update.ByID("u1"), Path: "/email", Code: code})
	assert.NoError(t, err)

	_, err = update.New(store, userPolicy(), update.WithCodeKey([]byte("short")))
	assert.Error(t, err, "a short key is refused")
}

func TestWithoutDispatcherSendsFail(t *testing.T) {
	eng, err := update.New(memory.New(), userPolicy(), update.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	_, err = eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin", Doc: doc(t, `{"familyName":"P"}`)})
	require.NoError(t, err)
	res, err := eng.Apply(ctx, update.Request{Type: "user", Client: "app", Locator: update.ByID("u1"), Doc: doc(t, `{"email":"n@example.com"}`)})
	require.NoError(t, err)
	require.Len(t, res.Pending, 1)
	assert.Equal(t, "no dispatcher configured, so the code was not sent: give the engine update.WithDispatcher, then Resend", res.Pending[0].DispatchError, "no dispatcher configured is a reported failure, not a silent drop")
}

func TestSecretKeepIfSame(t *testing.T) {
	pol := userPolicy()
	pol.Types["user"].Fields["/password"].Secret.KeepIfSame = true
	f := newFixture(t, nil, pol)
	f.seed(t)
	snap := f.snapshot(t, "u1")
	res, err := apply(f, update.Request{Doc: doc(t, `{"password":"Secret123","givenName":"Matthew"}`)})
	require.NoError(t, err)
	assert.True(t, res.Unchanged, "the stored password, sent again, is no change")
	assert.Equal(t, snap, f.snapshot(t, "u1"))

	res, err = apply(f, update.Request{Doc: doc(t, `{"password":"Different9"}`)})
	require.NoError(t, err)
	assert.True(t, res.Modified)
	_, err = apply(f, update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Other1234", Current: "Different9"}}})
	assert.NoError(t, err, "the new value is the one stored")
}

func TestGrantSubject(t *testing.T) {
	pol := userPolicy()
	pol.Grants["me"] = update.Grant{Write: true, Subject: "u1"}
	f := newFixture(t, nil, pol)
	f.seed(t)
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u2", Client: "admin", Doc: doc(t, `{"familyName":"Other"}`)})
	require.NoError(t, err)
	_, err = f.eng.Apply(ctx, update.Request{Type: "user", Client: "me", Locator: update.ByID("u1"), Doc: doc(t, `{"givenName":"Me"}`)})
	assert.NoError(t, err)
	snap := f.snapshot(t, "u2")
	_, err = f.eng.Apply(ctx, update.Request{Type: "user", Client: "me", Locator: update.ByID("u2"), Doc: doc(t, `{"givenName":"Me"}`)})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err))
	_, err = f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Client: "me", Locator: update.ByID("u2"), Path: "/email"})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err))
	assert.Equal(t, snap, f.snapshot(t, "u2"))
}

// A Self grant serves only calls that name their subject, reaches that
// record alone, and keeps its Paths; every call that names no subject is
// refused, reads too, and a refused call changes nothing.
func TestGrantSelf(t *testing.T) {
	pol := userPolicy()
	pol.Grants["self"] = update.Grant{Write: true, Self: true, Paths: []string{"/givenName"}}
	pol.Grants["me"] = update.Grant{Write: true, Subject: "u1"}
	f := newFixture(t, nil, pol)
	f.seed(t)
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u2", Client: "admin", Doc: doc(t, `{"familyName":"Other"}`)})
	require.NoError(t, err)
	apply := func(client, subject, id, body string) error {
		_, err := f.eng.Apply(ctx, update.Request{Type: "user", Client: client, Subject: subject, Locator: update.ByID(id), Doc: doc(t, body)})
		return err
	}
	snap1, snap2 := f.snapshot(t, "u1"), f.snapshot(t, "u2")
	for _, tc := range []struct {
		name                      string
		client, subject, id, body string
	}{
		{"no subject", "self", "", "u1", `{"givenName":"Me"}`},
		{"another record", "self", "u1", "u2", `{"givenName":"Me"}`},
		{"a record that does not exist, not told apart", "self", "u1", "nobody", `{"givenName":"Me"}`},
		{"a path outside the grant", "self", "u1", "u1", `{"familyName":"Me"}`},
		{"a subject beside the grant's own", "me", "u2", "u2", `{"givenName":"Me"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, update.Forbidden, update.ErrorCode(apply(tc.client, tc.subject, tc.id, tc.body)))
		})
	}
	assert.Equal(t, snap1, f.snapshot(t, "u1"))
	assert.Equal(t, snap2, f.snapshot(t, "u2"))

	_, err = f.eng.Get(ctx, "user", update.ByID("u1"), update.AsClient("self"))
	assert.Equal(t, update.Forbidden, update.ErrorCode(err), "a read names no subject")
	_, err = f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Client: "self", Locator: update.ByID("u1"), Path: "/email"})
	assert.Equal(t, update.Forbidden, update.ErrorCode(err))

	require.NoError(t, apply("self", "u1", "u1", `{"givenName":"Me"}`))
	require.NoError(t, apply("me", "u1", "u1", `{"givenName":"Me too"}`), "a subject equal to the grant's own")
	v, err := f.eng.Get(ctx, "user", update.ByID("u1"))
	require.NoError(t, err)
	assert.Equal(t, "Me too", v.Doc["givenName"])
}

func TestGrantSelfWithSubjectRefused(t *testing.T) {
	pol := userPolicy()
	pol.Grants["self"] = update.Grant{Write: true, Self: true, Subject: "u1"}
	_, err := update.New(memory.New(), pol)
	assert.ErrorContains(t, err, "self and subject exclude each other")
}
