package scim

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// patchBodies are PATCH bodies the one-pass decoder must read as
// DecodeStrict does, or leave to it.
var patchBodies = []string{
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@example.com"}]}`,
	`{"Operations":[{"value":{"active":"False","name":{"givenName":"A"}},"op":"Replace"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
	`{"schemas":[],"Operations":[]}`,
	`{}`,
	`{"schemas":null,"Operations":null}`,
	`{"schemas":["a","b"],"Operations":[{"op":"add","path":"members","value":[{"value":"1","n":1.50e3}]}]}`,
	`{"schemas":["x"],"Operations":[{"op":null}]}`,
	`{"schemas":["x"],"Operations":[{"op":1}]}`,
	`{"schemas":["x"],"Operations":[{"op":"add","path":null,"value":null}]}`,
	`{"schemas":["x"],"Operations":[{"op":"add","Path":"a","value":1}]}`,
	`{"Schemas":["x"],"operations":[]}`,
	`{"schemas":["x"],"Operations":[{"op":"add","extra":1}]}`,
	`{"schemas":["x"],"schemas":["y"]}`,
	`{"schemas":["x"],"Operations":[{"op":"add","op":"remove"}]}`,
	`{"schemas":["x"],"unknown":1}`,
	`{"schemas":[1]}`,
	`{"schemas":"x"}`,
	`{"Operations":{"op":"add"}}`,
	`{"Operations":["add"]}`,
	`{"schemas":["x"]} {}`,
	`{"schemas":["x"]`,
	`[]`,
	`null`,
	`"x"`,
	``,
	`{"schemas":["\ud800\u00e9\"\\"],"Operations":[{"op":"add","value":"\ud83d\ude00"}]}`,
	"{\"schemas\":[\"\xff\"]}",
	`{"schemas":["x"],"Operations":[{"op":"add","value":[[[[{"a":[1,2,{"b":null}]}]]]]}]}`,
}

// TestDecodePatchRequest checks the one-pass decoding of a PATCH body
// against DecodeStrict's: where it accepts a body, the request is the one
// DecodeStrict decodes; where DecodeStrict fails, it declines.
func TestDecodePatchRequest(t *testing.T) {
	bodies := append([]string(nil), patchBodies...)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		bodies = append(bodies, string(b))
	}
	accepted := 0
	for _, body := range bodies {
		checkPatchRequest(t, []byte(body))
		if _, ok := decodePatchRequest([]byte(body)); ok {
			accepted++
		}
	}
	assert.Greater(t, accepted, 5, "the one-pass decoder reads the usual bodies")
	_, ok := decodePatchRequest([]byte(patchBodies[0]))
	assert.True(t, ok, "the benchmark's body is read in one pass")
}

// TestDecodePatchMalformedAnswer: a body DecodeStrict refuses is
// answered with DecodeStrict's error, whichever decoder saw it first.
func TestDecodePatchMalformedAnswer(t *testing.T) {
	rt := resourceTypes(DemoConfig().withDefaults())[0]
	refused := 0
	for _, body := range append([]string{`{"schemas":`, `{,}`, `{"schemas":["x"],}`, `[1,2] x`, "{\"a\":\"\xff\"}"}, patchBodies...) {
		var pr PatchRequest
		serr := httpx.DecodeStrict([]byte(body), &pr)
		if serr == nil {
			continue
		}
		refused++
		_, err := DecodePatch(rt, []byte(body))
		var ue *update.Error
		require.ErrorAs(t, err, &ue, "%q", body)
		assert.Equal(t, codeSyntax, ue.Code, "%q", body)
		assert.Equal(t, "the body is not a PatchOp: "+clip(serr.Error()), ue.Message, "%q", body)
	}
	assert.Greater(t, refused, 10)
}

// FuzzDecodePatchRequest is TestDecodePatchRequest over arbitrary bodies.
func FuzzDecodePatchRequest(f *testing.F) {
	for _, b := range patchBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkPatchRequest(t, body) })
}

func checkPatchRequest(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodePatchRequest(body)
	var want PatchRequest
	err := httpx.DecodeStrict(body, &want)
	if !ok {
		return
	}
	name := strings.ToValidUTF8(string(body), "?")
	require.NoError(t, err, "accepted what DecodeStrict refuses: %s", name)
	require.Equal(t, want, fast, "%s", name)
}

// TestMetaAppendJSON checks Meta's own JSON against json.Marshal's,
// HTML characters and invalid UTF-8 included.
func TestMetaAppendJSON(t *testing.T) {
	for _, m := range []Meta{
		{},
		{ResourceType: "User", Created: "2024-01-02T03:04:05.123Z", LastModified: "2024-01-02T03:04:05Z",
			Location: "https://example.com/scim/v2/Users/2819c223", Version: `W/"3"`},
		{ResourceType: "<a&b>", Location: "http://h\u2028/\xff\"\\\n", Version: "\x01"},
	} {
		want, err := json.Marshal(m)
		require.NoError(t, err)
		got, err := httpx.AppendJSON(nil, m)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}

// TestETag checks the entity tag and the header key it is filed under.
func TestETag(t *testing.T) {
	assert.Equal(t, `W/"1"`, ETag(1))
	assert.Equal(t, `W/"18446744073709551615"`, ETag(1<<64-1))
	w := httptest.NewRecorder()
	setETag(w, ETag(3))
	assert.Equal(t, `W/"3"`, w.Header().Get("ETag"))
	assert.Equal(t, []string{`W/"3"`}, w.Header()["Etag"], "filed under the canonical key, as Header.Set files it")
}

// TestResourceAnswer checks the resource answer appended without a map
// against EncodeResource's map written by httpx.AppendJSON.
func TestResourceAnswer(t *testing.T) {
	cfg := DemoConfig().withDefaults()
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600))
	for _, rt := range resourceTypes(cfg) {
		for _, doc := range []map[string]any{
			{},
			{"id": "ignored", "meta": map[string]any{"x": 1}, "schemas": []any{"x"}},
			{"userName": "<b>&amp;\u2028", "active": true, "nothing": nil, "displayName": "\xff",
				"emails": []any{map[string]any{"value": "a@example.com", "type": "work", "primary": true}},
				"name":   map[string]any{"givenName": "A", "familyName": "B"}, "n": json.Number("1.5e3"),
				SchemaEnterprise: map[string]any{"department": "X", "manager": map[string]any{"value": "m"}}},
			{"A": 1, "Z": "z", "a": "a", "ida": "x", "metb": "y", "schemat": "s", "schemar": "r"},
		} {
			v := &update.View{Type: rt.Entity, ID: "2819c223-7f76", Version: 12, Created: at, Updated: at.Add(time.Second), Doc: doc}
			want, err := httpx.AppendJSON(nil, EncodeResource(rt, v, "https://h.example/scim/v2", Projection{}))
			require.NoError(t, err)
			ans := encodeAnswer(rt, v, "https://h.example/scim/v2", Projection{})
			require.IsType(t, &resourceAnswer{}, ans)
			got, err := httpx.AppendJSON(nil, ans)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	}
}
