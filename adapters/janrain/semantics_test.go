package janrain_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
)

// read returns the record (or subtree) as /entity shows it.
func (e *env) read(tb testing.TB, pairs ...string) any {
	tb.Helper()
	r := e.post(tb, "entity", form(append([]string{"type_name", "user"}, pairs...)...))
	require.Equal(tb, 200, r.status, "read: %s", r.raw)
	require.Equal(tb, "ok", r.body["stat"])
	return r.body["result"]
}

func (e *env) record(tb testing.TB, id string) map[string]any {
	tb.Helper()
	rec, ok := e.read(tb, "id", id).(map[string]any)
	require.True(tb, ok)
	return rec
}

// ok sends a write and requires {"stat":"ok"}.
func (e *env) ok(tb testing.TB, op string, pairs ...string) response {
	tb.Helper()
	r := e.post(tb, op, form(append([]string{"type_name", "user"}, pairs...)...))
	require.Equal(tb, 200, r.status, "%s: %s", op, r.raw)
	require.Equal(tb, "ok", r.body["stat"])
	return r
}

func num(n int) json.Number { return json.Number(fmt.Sprint(n)) }

func TestUpdateAndReplace_DifferAsCaptureDocuments(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		check func(t *testing.T, rec map[string]any)
	}{
		{"UpdateKeepsWhatIsNotSent", "entity.update", func(t *testing.T, rec map[string]any) {
			assert.Equal(t, "Matt P", rec["displayName"])
			assert.Equal(t, "Park", rec["familyName"])
			assert.Equal(t, []any{map[string]any{"id": num(5253), "status": "inactive"}}, rec["statuses"])
		}},
		{"ReplaceNullsAttributesAndEmptiesPlurals", "entity.replace", func(t *testing.T, rec map[string]any) {
			assert.Nil(t, rec["displayName"])
			assert.Nil(t, rec["familyName"])
			assert.Equal(t, []any{}, rec["statuses"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ok(t, tt.op, "id", janrain.DemoID, "value", `{"givenName":"Matt","email":"mparker@example.com"}`)
			rec := e.record(t, janrain.DemoID)
			assert.Equal(t, "Matt", rec["givenName"])
			assert.Equal(t, "mparker@example.com", rec["email"])
			assert.Equal(t, janrain.DemoUUID, rec["uuid"], "reserved attributes survive both")
			assert.Equal(t, num(5252), rec["id"])
			tt.check(t, rec)
		})
	}
}

func TestPlurals_AppendReplaceByIDAndDelete(t *testing.T) {
	t.Run("UpdateAppendsElementsWithoutIDWithFreshIDs", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"statuses":[{"status":"active"},{"status":"away"}]}`)
		st := e.record(t, janrain.DemoID)["statuses"].([]any)
		require.Len(t, st, 3)
		ids := map[string]bool{}
		for _, el := range st {
			ids[string(el.(map[string]any)["id"].(json.Number))] = true
		}
		assert.Len(t, ids, 3, "ids are distinct: %v", st)
		assert.Equal(t, map[string]any{"id": num(5253), "status": "inactive"}, st[0])
	})
	t.Run("UpdateWithIDReplacesThatElement", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.update", "id", janrain.DemoID,
			"value", `{"statuses":[{"id":5253,"statusCreated":"2024-01-02 03:04:05.000006 +0000"}]}`)
		assert.Equal(t, []any{map[string]any{"id": num(5253), "statusCreated": "2024-01-02 03:04:05.000006 +0000"}},
			e.record(t, janrain.DemoID)["statuses"], "the element is replaced, its status gone")
	})
	t.Run("UpdateOfElementByAttributeNameMerges", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.update", "id", janrain.DemoID, "attribute_name", "/statuses#5253",
			"value", `{"statusCreated":"2024-01-02 03:04:05.000006 +0000"}`)
		assert.Equal(t, []any{map[string]any{"id": num(5253), "status": "inactive", "statusCreated": "2024-01-02 03:04:05.000006 +0000"}},
			e.record(t, janrain.DemoID)["statuses"])
	})
	t.Run("UpdateOfFieldInsideElement", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.update", "id", janrain.DemoID, "attribute_name", "/statuses#5253/status", "value", `"active"`)
		assert.Equal(t, "active", e.read(t, "id", janrain.DemoID, "attribute_name", "/statuses#5253/status"))
	})
	t.Run("ReplaceOfElementKeepsItsID", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.replace", "id", janrain.DemoID, "attribute_name", "/statuses#5253", "value", `{"status":"away"}`)
		assert.Equal(t, []any{map[string]any{"id": num(5253), "status": "away"}}, e.record(t, janrain.DemoID)["statuses"])
	})
	t.Run("ReplaceOfPluralGivesFreshIDs", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.replace", "id", janrain.DemoID, "attribute_name", "/statuses",
			"value", `[{"id":5253,"status":"active"},{"status":"away"}]`)
		st := e.record(t, janrain.DemoID)["statuses"].([]any)
		require.Len(t, st, 2)
		first, second := st[0].(map[string]any), st[1].(map[string]any)
		assert.Equal(t, "active", first["status"])
		assert.NotEqual(t, first["id"], second["id"])
		assert.NotNil(t, second["id"])
	})
	t.Run("ReplaceOfPluralWithEmptyListEmptiesOnlyIt", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.replace", "id", janrain.DemoID, "attribute_name", "/statuses", "value", `[]`)
		rec := e.record(t, janrain.DemoID)
		assert.Equal(t, []any{}, rec["statuses"])
		assert.Equal(t, "Matt P", rec["displayName"])
	})
	t.Run("DeleteOfElementRemovesOnlyIt", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"statuses":[{"status":"away"}]}`)
		e.ok(t, "entity.delete", "id", janrain.DemoID, "attribute_name", "/statuses#5253")
		st := e.record(t, janrain.DemoID)["statuses"].([]any)
		require.Len(t, st, 1)
		assert.Equal(t, "away", st[0].(map[string]any)["status"])
	})
}

func TestDelete_AttributeRecordAndAbsentAttribute(t *testing.T) {
	t.Run("AttributeBecomesNull", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.delete", "id", janrain.DemoID, "attribute_name", "displayName")
		rec := e.record(t, janrain.DemoID)
		assert.Nil(t, rec["displayName"])
		assert.Equal(t, "Matthew", rec["givenName"])
	})
	t.Run("AbsentAttributeChangesNothing", func(t *testing.T) {
		e := newEnv(t)
		before := e.snapshot(t, janrain.DemoID)
		e.ok(t, "entity.delete", "id", janrain.DemoID, "attribute_name", "/primaryAddress/city")
		assert.Equal(t, before, e.snapshot(t, janrain.DemoID))
	})
	t.Run("RecordIsGone", func(t *testing.T) {
		e := newEnv(t)
		e.ok(t, "entity.delete", "uuid", janrain.DemoUUID)
		r := e.post(t, "entity", form("type_name", "user", "id", janrain.DemoID))
		assert.Equal(t, 400, r.status)
		assert.Equal(t, "record_not_found", r.body["error"])
		assert.Equal(t, "id", r.body["argument_name"])
	})
}

func TestLocate_ByUUIDIDAndKey(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		pairs []string
	}{
		{"UUID", []string{"uuid", janrain.DemoUUID}},
		{"UUIDUpperCase", []string{"uuid", "6BBE7E58-BEDE-41B8-940B-5614C7607A4E"}},
		{"ID", []string{"id", janrain.DemoID}},
		{"KeyAttributeEmail", []string{"key_attribute", "email", "key_value", `"mparker@example.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := e.read(t, tt.pairs...).(map[string]any)
			require.True(t, ok)
			assert.Equal(t, num(5252), rec["id"])
			assert.Equal(t, janrain.DemoUUID, rec["uuid"])
		})
	}
}

func TestRead_ShowsCaptureRecordAndSubtrees(t *testing.T) {
	e := newEnv(t)
	ts := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \+0000$`)
	rec := e.record(t, janrain.DemoID)
	assert.Regexp(t, ts, rec["created"])
	assert.Regexp(t, ts, rec["lastUpdated"])
	assert.Nil(t, rec["birthday"], "declared attributes without a value are null")
	assert.Equal(t, map[string]any{"address1": nil, "city": nil, "zip": nil, "country": nil}, rec["primaryAddress"])
	assert.Equal(t, []any{}, rec["profiles"])

	assert.Equal(t, map[string]any{"id": num(5253), "status": "inactive"},
		e.read(t, "id", janrain.DemoID, "attribute_name", "/statuses#5253"))
	assert.Equal(t, "Matt P", e.read(t, "id", janrain.DemoID, "attribute_name", "displayName"))
	assert.Equal(t, janrain.DemoUUID, e.read(t, "id", janrain.DemoID, "attribute_name", "uuid"))

	r := e.do(t, "POST", "entity", basic(readerID, readerSecret), "application/x-www-form-urlencoded",
		form("type_name", "user", "id", janrain.DemoID).Encode())
	assert.Equal(t, 200, r.status, "a direct_access_read client reads")
}

func TestPreconditions_MatchingTimestampsAllowTheWrite(t *testing.T) {
	e := newEnv(t)
	rec := e.record(t, janrain.DemoID)
	e.ok(t, "entity.update", "id", janrain.DemoID, "created", rec["created"].(string),
		"lastUpdated", rec["lastUpdated"].(string), "value", `{"givenName":"Matt"}`)
	after := e.record(t, janrain.DemoID)
	assert.Equal(t, "Matt", after["givenName"])
	assert.NotEqual(t, rec["lastUpdated"], after["lastUpdated"])

	r := e.post(t, "entity.update", form("type_name", "user", "id", janrain.DemoID,
		"lastUpdated", rec["lastUpdated"].(string), "value", `{"givenName":"Again"}`))
	assert.Equal(t, "timestamp_mismatch", r.body["error"], "the old lastUpdated no longer matches")
	assert.Equal(t, "lastUpdated", r.body["argument_name"])
	assert.Equal(t, "lastUpdated does not match the record's: the record has "+after["lastUpdated"].(string)+
		", the call sent "+rec["lastUpdated"].(string), r.body["error_description"],
		"the description names the timestamp, in Capture's format, and nothing internal")

	r = e.post(t, "entity.delete", form("type_name", "user", "id", janrain.DemoID, "created", "2001-01-01 00:00:00.000000 +0000"))
	assert.Equal(t, "timestamp_mismatch", r.body["error"], "a stale created keeps the record")
	assert.Equal(t, "created", r.body["argument_name"])
	assert.Equal(t, "Matt", e.record(t, janrain.DemoID)["givenName"])
}

func TestIncludeRecord_ReturnsRecordOrSubtree(t *testing.T) {
	e := newEnv(t)
	r := e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"givenName":"Matt"}`, "include_record", "true")
	res := r.body["result"].(map[string]any)
	assert.Equal(t, "Matt", res["givenName"])
	assert.Equal(t, janrain.DemoUUID, res["uuid"])

	r = e.ok(t, "entity.update", "id", janrain.DemoID, "attribute_name", "/statuses#5253",
		"value", `{"status":"active"}`, "include_record", "true")
	assert.Equal(t, map[string]any{"id": num(5253), "status": "active"}, r.body["result"])

	r = e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"givenName":"Other"}`)
	assert.NotContains(t, r.body, "result")

	r = e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"givenName":"Other"}`, "include_record", "true")
	assert.Equal(t, "Other", r.body["result"].(map[string]any)["givenName"], "an unchanged record is returned too")

	r = e.ok(t, "entity.delete", "id", janrain.DemoID, "attribute_name", "/statuses#5253", "include_record", "true")
	assert.Contains(t, r.body, "result")
	assert.Nil(t, r.body["result"], "the deleted element is gone")
}

func TestNestedAttribute_CreatesMissingParent(t *testing.T) {
	for _, op := range []string{"entity.update", "entity.replace"} {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t)
			e.ok(t, op, "id", janrain.DemoID, "attribute_name", "/primaryAddress/city", "value", `"Bern"`)
			rec := e.record(t, janrain.DemoID)
			assert.Equal(t, "Bern", rec["primaryAddress"].(map[string]any)["city"])
			assert.Equal(t, "Matt P", rec["displayName"])
		})
	}
}

func TestCreate_AssignsFindableReadOnlyIDAndUUID(t *testing.T) {
	e := newEnv(t)
	r := e.ok(t, "entity.create", "value", `{"email":"new@example.com","givenName":"New","statuses":[{"status":"active"}]}`)
	id, uuid := string(r.body["id"].(json.Number)), r.body["uuid"].(string)
	require.NotEmpty(t, id)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, uuid)

	byID := e.record(t, id)
	byUUID := e.read(t, "uuid", uuid).(map[string]any)
	assert.Equal(t, byID, byUUID)
	assert.Equal(t, "New", byID["givenName"])
	assert.Equal(t, byID["created"], byID["lastUpdated"])
	assert.Len(t, byID["statuses"], 1)

	r = e.post(t, "entity.update", form("type_name", "user", "id", id, "value", `{"uuid":"`+janrain.DemoUUID+`"}`))
	assert.Equal(t, "reserved_attribute", r.body["error"])
}

func TestUnchangedUpdate_KeepsVersionAndLastUpdated(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t, janrain.DemoID)
	e.ok(t, "entity.update", "id", janrain.DemoID, "value", `{"givenName":"Matthew"}`)
	assert.Equal(t, before, e.snapshot(t, janrain.DemoID))
}

func TestDirectAccessClient_Writes(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "entity.update", basic("direct", "direct_secret"), "application/x-www-form-urlencoded",
		form("type_name", "user", "id", janrain.DemoID, "value", `{"givenName":"D"}`).Encode())
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "D", e.view(t, janrain.DemoID).Doc["givenName"])
}

// TestConcurrentAppendsAndElementUpdates_LoseNothing runs appends and
// element updates at once: every request lands exactly once.
func TestConcurrentAppendsAndElementUpdates_LoseNothing(t *testing.T) {
	e := newEnvWith(t, memoryStore(), testConfig())
	const n = 8
	var wg sync.WaitGroup
	statuses := make(chan int, 2*n)
	post := func(pairs ...string) {
		defer wg.Done()
		body := form(append([]string{"type_name", "user", "id", janrain.DemoID}, pairs...)...).Encode()
		req, err := http.NewRequest("POST", e.srv.URL+"/entity.update", strings.NewReader(body))
		if err != nil {
			statuses <- -1
			return
		}
		req.Header.Set("Authorization", basic(ownerID, ownerSecret))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			statuses <- -1
			return
		}
		resp.Body.Close()
		statuses <- resp.StatusCode
	}
	for i := range n {
		wg.Add(2)
		go post("value", fmt.Sprintf(`{"statuses":[{"status":"s%c"}]}`, 'a'+i))
		go post("attribute_name", "/statuses#5253/statusCreated", "value", fmt.Sprintf(`"2024-01-0%d 00:00:00.000000 +0000"`, i+1))
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		assert.Equal(t, 200, st)
	}
	st := e.record(t, janrain.DemoID)["statuses"].([]any)
	assert.Len(t, st, n+1)
	assert.Equal(t, num(5253), st[0].(map[string]any)["id"])
	assert.Equal(t, uint64(1+2*n), e.view(t, janrain.DemoID).Version)
}

func TestReplace_NullUniqueAttributesDoNotClash(t *testing.T) {
	e := newEnv(t)
	e.ok(t, "entity.replace", "id", janrain.DemoID, "value", `{"email":"a@example.com"}`)
	e.ok(t, "entity.replace", "id", janrain.DemoSecondID, "value", `{"email":"b@example.com"}`)
	assert.Nil(t, e.record(t, janrain.DemoID)["username"])
	assert.Nil(t, e.record(t, janrain.DemoSecondID)["username"])
}
