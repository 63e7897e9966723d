package janrain_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in, str, schema string
		element         bool
		wantErr         bool
	}{
		{in: "", str: "/"},
		{in: "/", str: "/"},
		{in: "displayName", str: "/displayName", schema: "/displayName"},
		{in: "/primaryAddress/city", str: "/primaryAddress/city", schema: "/primaryAddress/city"},
		{in: "/statuses#5253", str: "/statuses#5253", schema: "/statuses/*", element: true},
		{in: "/statuses#5253/status", str: "/statuses#5253/status", schema: "/statuses/*/status"},
		{in: "/statuses#abc", wantErr: true},
		{in: "/statuses#0", wantErr: true},
		{in: "/statuses#05253", wantErr: true},
		{in: "/statuses#", wantErr: true},
		{in: "//city", wantErr: true},
		{in: "/a b", wantErr: true},
		{in: "/a~1b", wantErr: true},
		{in: "/a/b/c/d/e/f/g/h/i", wantErr: true},
		{in: "/statuses#99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := janrain.ParsePath(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.str, p.String())
			assert.Equal(t, tt.schema, p.Schema())
			assert.Equal(t, tt.element, p.Element())
		})
	}
}

func TestPathResolve(t *testing.T) {
	doc := map[string]any{
		"displayName": "Matt P",
		"statuses": []any{
			map[string]any{"id": json.Number("7"), "status": "a"},
			map[string]any{"id": json.Number("5253"), "status": "b"},
		},
		"primaryAddress": nil,
	}
	tests := []struct {
		path, pointer string
		value         any
		exists        bool
		notFound      bool
		wantErr       bool
	}{
		{path: "/displayName", pointer: "/displayName", value: "Matt P", exists: true},
		{path: "/statuses#5253", pointer: "/statuses/1", value: map[string]any{"id": json.Number("5253"), "status": "b"}, exists: true},
		{path: "/statuses#5253/status", pointer: "/statuses/1/status", value: "b", exists: true},
		{path: "/statuses#5253/statusCreated", pointer: "/statuses/1/statusCreated"},
		{path: "/primaryAddress/city", pointer: "/primaryAddress/city"},
		{path: "/profiles", pointer: "/profiles"},
		{path: "/statuses#9", notFound: true},
		{path: "/profiles#1", notFound: true},
		{path: "/displayName/x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := janrain.ParsePath(tt.path)
			require.NoError(t, err)
			ptr, v, exists, err := p.Resolve(doc)
			switch {
			case tt.notFound:
				assert.ErrorContains(t, err, "no plural element")
			case tt.wantErr:
				assert.Error(t, err)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.pointer, ptr)
				assert.Equal(t, tt.value, v)
				assert.Equal(t, tt.exists, exists)
			}
		})
	}
}

func TestParseBasic(t *testing.T) {
	tests := []struct {
		name, header, id, secret string
		ok                       bool
	}{
		{"Padded", "Basic dXNlcjpwYXNz", "user", "pass", true},
		{"SurplusPadding", "Basic " + "c2dueXZ1czZwYzRqbTdraHIybmVxNWdzODlnYnIyZXE6d3Q0YzN1bjl3a2tjZnZ5a25xeDQ0eW5jNDc2YWZzNjg==",
			"sgnyvus6pc4jm7khr2neq5gs89gbr2eq", "wt4c3un9wkkcfvyknqx44ync476afs68", true},
		{"Unpadded", "Basic dXNlcjpwYXNzMQ", "user", "pass1", true},
		{"LowerCaseScheme", "basic dXNlcjpwYXNz", "user", "pass", true},
		{"ColonInSecret", "Basic dXNlcjpwOmFzcw==", "user", "p:ass", true},
		{"Bearer", "Bearer dXNlcjpwYXNz", "", "", false},
		{"NoColon", "Basic dXNlcg==", "", "", false},
		{"EmptyID", "Basic OnBhc3M=", "", "", false},
		{"NotBase64", "Basic !!!", "", "", false},
		{"Empty", "", "", "", false},
		// Longer than the buffer a credential is decoded in on the stack.
		{"Long", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+strings.Repeat("s", 1000))), "user", strings.Repeat("s", 1000), true},
		{"LongNotBase64", "Basic " + strings.Repeat("!", 1000), "", "", false},
		{"TooLong", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+strings.Repeat("s", 4000))), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, ok := janrain.ParseBasic(tt.header)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.id, id)
			assert.Equal(t, tt.secret, secret)
		})
	}
}

func TestTimestamps_RoundTripAtMicroseconds(t *testing.T) {
	at := time.Date(2014, 11, 15, 1, 58, 1, 862312999, time.FixedZone("CET", 3600))
	s := janrain.FormatTime(at)
	assert.Equal(t, "2014-11-15 00:58:01.862312 +0000", s)
	back, err := janrain.ParseTime(s)
	require.NoError(t, err)
	assert.True(t, back.Equal(at.Truncate(time.Microsecond)))

	for _, bad := range []string{"2014-11-15T00:58:01Z", "yesterday", "2014-11-15 00:58:01.862312"} {
		_, err := janrain.ParseTime(bad)
		assert.Error(t, err, bad)
	}
}

func schema(tb testing.TB) *janrain.Schema {
	tb.Helper()
	s, err := janrain.NewSchema(janrain.Policy(janrain.DemoConfig()))
	require.NoError(tb, err)
	return s
}

func TestDecodeForm(t *testing.T) {
	s := schema(t)
	t.Run("UpdateByKeyWithElementPath", func(t *testing.T) {
		c, err := janrain.DecodeForm(janrain.OpUpdate, url.Values{
			"type_name": {"user"}, "key_attribute": {"email"}, "key_value": {`"gjack@example.com"`},
			"attribute_name": {"/statuses#5253"}, "attributes": {`{"status":"active"}`},
			"lastUpdated": {"2014-11-15 01:58:01.862312 +0000"}, "include_record": {"true"},
		}, s, 16)
		require.NoError(t, err)
		assert.Equal(t, janrain.EntityType, c.Type)
		assert.Equal(t, update.ByKey("/email", "gjack@example.com"), c.Locator)
		assert.Equal(t, "key_value", c.LocatorArg)
		assert.Equal(t, "/statuses#5253", c.Path.String())
		assert.Equal(t, "attributes", c.ValueArg)
		assert.Equal(t, map[string]any{"status": "active"}, c.Value)
		require.NotNil(t, c.LastUpdated)
		assert.Nil(t, c.Created)
		assert.True(t, c.IncludeRecord)
	})
	t.Run("UUIDIsLowerCased", func(t *testing.T) {
		c, err := janrain.DecodeForm(janrain.OpRead, url.Values{"type_name": {"user"}, "uuid": {"6BBE7E58-BEDE-41B8-940B-5614C7607A4E"}}, s, 16)
		require.NoError(t, err)
		assert.Equal(t, update.ByKey("ext:uuid", janrain.DemoUUID), c.Locator)
	})
	t.Run("NumericKeyValue", func(t *testing.T) {
		c, err := janrain.DecodeForm(janrain.OpRead, url.Values{"type_name": {"user"}, "key_attribute": {"username"}, "key_value": {"42"}}, s, 16)
		require.NoError(t, err)
		assert.Equal(t, update.ByKey("/username", "42"), c.Locator)
	})
	t.Run("ReadRefusesValue", func(t *testing.T) {
		_, err := janrain.DecodeForm(janrain.OpRead, url.Values{"type_name": {"user"}, "id": {"5252"}, "value": {"{"}}, s, 16)
		status, body := janrain.EncodeError(err, janrain.OpRead)
		assert.Equal(t, 400, status)
		assert.Equal(t, 200, body.Code)
		assert.Equal(t, "value", body.Argument, "a parameter the read does not take is refused by name")
	})
	t.Run("DepthLimitApplies", func(t *testing.T) {
		_, err := janrain.DecodeForm(janrain.OpUpdate, url.Values{"type_name": {"user"}, "id": {"5252"},
			"value": {`{"primaryAddress":{"city":"x"}}`}}, s, 1)
		status, body := janrain.EncodeError(err, janrain.OpUpdate)
		assert.Equal(t, 400, status)
		assert.Equal(t, 200, body.Code)
		assert.Contains(t, body.Description, "deeper than 1")
	})
	t.Run("MalformedValueIsNotRepeated", func(t *testing.T) {
		// A braced string is the vendor's own example slip; the value may
		// be a password, so the description explains without echoing it.
		for _, value := range []string{`{"hunter2-Secret"}`, `hunter2-Secret`, `{"a": hunter2-Secret}`} {
			_, err := janrain.DecodeForm(janrain.OpUpdate, url.Values{"type_name": {"user"}, "id": {"5252"},
				"attribute_name": {"displayName"}, "value": {value}}, s, 16)
			require.Error(t, err, value)
			status, body := janrain.EncodeError(err, janrain.OpUpdate)
			assert.Equal(t, 400, status)
			assert.Equal(t, "value", body.Argument)
			assert.Contains(t, body.Description, "is not valid JSON", value)
			assert.NotContains(t, body.Description, "hunter2", value)
			assert.NotContains(t, err.Error(), "hunter2", value)
		}
	})
}

func TestEncodeError_ClassifiesEngineErrors(t *testing.T) {
	call := &janrain.Call{ValueArg: "value", LocatorArg: "uuid"}
	tests := []struct {
		name   string
		err    error
		status int
		code   int
		arg    string
	}{
		{"NotFoundNamesLocator", update.Errorf(update.NotFound, "record not found"), 400, 310, "uuid"},
		{"UnknownElementNamesValue", &update.Error{Code: update.NotFound, Fields: []update.FieldError{{Path: "/statuses", Rule: update.RuleElement}}}, 400, 310, "value"},
		{"EmailHeldElsewhere", &update.Error{Code: update.NotUnique, Holder: &storage.NotUniqueError{Key: storage.Key{Name: "/email"}}}, 400, 380, "value"},
		{"UsernameHeldElsewhere", &update.Error{Code: update.NotUnique, Holder: &storage.NotUniqueError{Key: storage.Key{Name: "/username"}}}, 400, 361, "value"},
		{"ReadOnly", &update.Error{Code: update.Invalid, Fields: []update.FieldError{{Path: "/id", Rule: update.RuleReadOnly}}}, 400, 234, "value"},
		{"Length", &update.Error{Code: update.Invalid, Fields: []update.FieldError{{Path: "/displayName", Rule: "max", Param: "255"}}}, 400, 363, "value"},
		{"OtherRuleIsConstraint", &update.Error{Code: update.Invalid, Fields: []update.FieldError{{Path: "/gender", Rule: "alpha"}}}, 400, 360, "value"},
		{"Forbidden", update.Errorf(update.Forbidden, "no"), 403, 403, "value"},
		{"Throttled", update.Errorf(update.Throttled, "slow down"), 429, 510, "value"},
		{"ForeignErrorIsUnexpected", errors.New("socket closed"), 500, 500, ""},
		{"UnmappedCodeIsUnexpected", update.Errorf(update.CodeMismatch, "x"), 500, 500, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := janrain.EncodeError(call.Blame(tt.err), janrain.OpUpdate)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, body.Code)
			assert.Equal(t, "error", body.Stat)
			assert.Equal(t, tt.arg, body.Argument)
			assert.Equal(t, janrainErrorName(t, tt.code), body.Error)
		})
	}
	_, body := janrain.EncodeError(call.Blame(errors.New("socket closed at 10.0.0.1")), janrain.OpUpdate)
	assert.NotContains(t, body.Description, "10.0.0.1")
}

func TestCallRequest_SelectsElementsAndWrapsParents(t *testing.T) {
	s := schema(t)
	tests := []struct {
		name, op, path string
		value          any
		mode           update.Mode
		ptr            string
		doc            any
	}{
		{"MergeAtRoot", "entity.update", "", map[string]any{"givenName": "M"}, update.Merge, "", map[string]any{"givenName": "M"}},
		{"MergeScalarFromRoot", "entity.update", "displayName", "X", update.Merge, "", map[string]any{"displayName": "X"}},
		{"MergePluralFromItsParent", "entity.update", "/statuses", []any{}, update.Merge, "", map[string]any{"statuses": []any{}}},
		{"MergeIntoElement", "entity.update", "/statuses#5253", map[string]any{"status": "a"}, update.Merge, "/statuses/[id=5253]", map[string]any{"status": "a"}},
		{"MergeFieldOfElement", "entity.update", "/statuses#5253/status", "a", update.Merge, "/statuses/[id=5253]", map[string]any{"status": "a"}},
		{"MergeIntoMissingObject", "entity.update", "/primaryAddress/city", "Bern", update.Merge, "", map[string]any{"primaryAddress": map[string]any{"city": "Bern"}}},
		{"ReplaceScalar", "entity.replace", "displayName", "X", update.Replace, "/displayName", "X"},
		{"ReplacePlural", "entity.replace", "/statuses", []any{}, update.Replace, "/statuses", []any{}},
		{"ReplaceElementKeepsID", "entity.replace", "/statuses#5253", map[string]any{"status": "a"}, update.Replace, "/statuses/[id=5253]", map[string]any{"status": "a", "id": json.Number("5253")}},
		{"ReplaceFieldOfElement", "entity.replace", "/statuses#5253/status", "a", update.Replace, "/statuses/[id=5253]/status", "a"},
		{"ReplaceNestedScalarCreatesParents", "entity.replace", "/primaryAddress/city", "Bern", update.Merge, "", map[string]any{"primaryAddress": map[string]any{"city": "Bern"}}},
		{"ReplaceObject", "entity.replace", "/primaryAddress", map[string]any{"city": "Bern"}, update.Replace, "/primaryAddress", map[string]any{"city": "Bern"}},
		{"DeleteAttribute", "entity.delete", "displayName", nil, update.Replace, "/displayName", nil},
		{"DeletePlural", "entity.delete", "/statuses", nil, update.Replace, "/statuses", []any{}},
		{"DeleteNestedAttribute", "entity.delete", "/primaryAddress/city", nil, update.Replace, "/primaryAddress/city", nil},
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := janrain.ParsePath(tt.path)
			require.NoError(t, err)
			c := &janrain.Call{Op: janrain.Op(tt.op), Type: janrain.EntityType, Locator: update.ByID("5252"),
				Path: p, Value: tt.value, Created: &created}
			req, err := c.Request(s, "client")
			require.NoError(t, err)
			assert.Equal(t, tt.mode, req.Mode)
			assert.Equal(t, tt.ptr, req.Path)
			assert.Equal(t, tt.doc, req.Doc)
			assert.Equal(t, update.ByID("5252"), req.Locator)
			assert.Nil(t, req.Expect.Version, "nothing was read, so no version is expected")
			assert.Equal(t, &created, req.Expect.Created, "the precondition goes to the engine")
		})
	}
	t.Run("DeleteElementIsPatchRemove", func(t *testing.T) {
		p, _ := janrain.ParsePath("/statuses#5253")
		req, err := (&janrain.Call{Op: janrain.OpDelete, Path: p}).Request(s, "client")
		require.NoError(t, err)
		assert.Equal(t, update.Patch, req.Mode)
		require.Len(t, req.Ops, 1)
		assert.Equal(t, "remove", req.Ops[0].Op)
		assert.Equal(t, "/statuses/[id=5253]", req.Ops[0].Path)
	})
	t.Run("DeleteRecordCarriesPreconditions", func(t *testing.T) {
		c := &janrain.Call{Op: janrain.OpDelete, Type: janrain.EntityType, Locator: update.ByID("5252"), LastUpdated: &created}
		req := c.DeleteRequest("client")
		assert.Equal(t, &created, req.Expect.Updated)
		assert.Equal(t, update.ByID("5252"), req.Locator)
	})
}

func TestEncodeError_TimestampMismatch(t *testing.T) {
	stale := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		reason string
		call   *janrain.Call
		arg    string
	}{
		{"Created", update.ReasonCreated, &janrain.Call{Created: &stale}, "created"},
		{"LastUpdated", update.ReasonUpdated, &janrain.Call{LastUpdated: &stale}, "lastUpdated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &update.Error{Code: update.Conflict, Reason: tc.reason, Message: "does not match"}
			status, body := janrain.EncodeError(tc.call.Blame(err), janrain.OpUpdate)
			assert.Equal(t, 400, status)
			assert.Equal(t, 330, body.Code)
			assert.Equal(t, tc.arg, body.Argument)
			assert.Contains(t, body.Description, tc.arg)
		})
	}
}

func TestNew_RefusesUnusableConfigs(t *testing.T) {
	tests := []struct {
		name    string
		clients []janrain.Client
	}{
		{"NoClients", nil},
		{"ColonInID", []janrain.Client{{ID: "a:b", Secret: "s", Class: janrain.Owner}}},
		{"EmptySecret", []janrain.Client{{ID: "a", Class: janrain.Owner}}},
		{"UnknownClass", []janrain.Client{{ID: "a", Secret: "s", Class: "admin"}}},
		{"Twice", []janrain.Client{{ID: "a", Secret: "s", Class: janrain.Owner}, {ID: "a", Secret: "t", Class: janrain.Owner}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := janrain.New(janrain.Config{Clients: tt.clients}, memoryStore())
			assert.Error(t, err)
		})
	}
}
