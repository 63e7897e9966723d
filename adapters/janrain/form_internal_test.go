package janrain

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// recordOps are the operations whose forms parseArgs parses.
var recordOps = []Op{OpRead, OpCreate, OpUpdate, OpReplace, OpDelete}

// validForms are well-formed bodies of the record operations, each for
// some of them; formBodies mutates them.
var validForms = []string{
	"type_name=user&uuid=6bbe7e58-bede-41b8-940b-5614c7607a4e&value=%7B%22givenName%22%3A%22Mats%22%7D",
	"type_name=user&id=5252&attribute_name=%2Fstatuses%235253&value=%7B%22status%22%3A%22active%22%7D&include_record=true",
	"type_name=user&id=5252&attribute_name=primaryAddress.city&value=%22Bern%22",
	"type_name=user&key_attribute=email&key_value=%22gjack%40example.com%22&value=%7B%22familyName%22%3A%22Jack+son%22%7D",
	"type_name=user&attributes=%7B%22givenName%22%3A%22Ann%22%2C%22email%22%3A%22ann%40example.com%22%7D&include_record=false",
	"type_name=user&id=5252&attributes=%5B%22givenName%22%2C%22primaryAddress.city%22%5D",
	"type_name=user&uuid=6BBE7E58-BEDE-41B8-940B-5614C7607A4E&created=2014-11-15+01%3A58%3A01.862312+%2B0000&lastUpdated=2014-11-15+01%3A58%3A01.862312+%2B0000",
	"type_name=user&id=5252&attribute_name=displayName",
}

// hostileForms are bodies every record operation refuses, most of them
// for more than one reason, so the order of the checks shows.
var hostileForms = []string{
	"", "&", "&&&", "=", "==", "a", "a=", "=x", "type_name", "type_name=",
	"type_name=user&bogus=1&uuid=6bbe7e58-bede-41b8-940b-5614c7607a4e",
	"zz=1&type_name=user&aa=2&attribute_nam=3",
	"type_name=user&type_name=user&id=1&id=2",
	"id=1&uuid=6bbe7e58-bede-41b8-940b-5614c7607a4e&id=2&uuid=x&type_name=user",
	"type_name=user&value=1&value=2&bogus=3",
	"type_name=user&id=5252&value=%zz",
	"type_name=user&id=5252&value=%4",
	"type_name=user&id=5252&value=%",
	"type_name=user&%zz=1&value=%zz",
	"type_name=user&id=5252&value=%zz&%zz=1",
	"bogus=1&value=%zz",
	"type_name=user&id=5252&%C3=%A9",
	"type_name=user&id=5252&value=%C3",
	"type_name=user&id=5252&%FF=1",
	"type%5Fname=user&i%64=5252&value=%7B%7D",
	"type_name=user&id=5252&value=%7B%22a%22%3A%22%26%3D%22%7D",
	"type_name=user&id=5252&value=+%7B%7D+",
	"type_name=user&id=5252&id",
	"type_name=user&id&id",
	"type_name=user&id=5252&value=%7B%22id%22%3A1%7D",
	"type_name=user&id=5252&value=%7B%22givenName%22%3A%22x%22%2C%22givenName%22%3A%22y%22%7D",
	"type_name=user&id=5252&value=" + strings.Repeat("%5B", 40) + strings.Repeat("%5D", 40),
	"type_name=user&id=5252&value=%7B%22Gary+Jackson%22%7D",
	"type_name=user&id=5252&uuid=6bbe7e58-bede-41b8-940b-5614c7607a4e&value=%7B%7D",
	"type_name=user&id=5252&value=%7B%7D&attributes=%7B%7D",
	"type_name=user&id=5252&value=%7B%7D&include_record=yes",
	"type_name=user&id=5252&value=%7B%7D&created=yesterday",
	"type_name=nobody&id=5252&value=%7B%7D",
	"type_name=user&key_attribute=email&value=%7B%7D",
	"type_name=user&key_value=1&value=%7B%7D",
	"type_name=user&key_attribute=email&key_value=gjack&value=%7B%7D",
	strings.Repeat("é", 100) + "=1&" + strings.Repeat("é", 90) + "=2",
	strings.Repeat("a", 70) + "%C3%A9=1",
}

// formBodies returns validForms and hostileForms, and every prefix and
// several one-byte changes of each valid form.
func formBodies() []string {
	bodies := append(append([]string{}, validForms...), hostileForms...)
	for _, f := range validForms {
		for i := range len(f) {
			bodies = append(bodies, f[:i], f[:i]+f[i+1:])
			for _, c := range []string{"&", "=", "%", "+", "x", "\xff"} {
				bodies = append(bodies, f[:i]+c+f[i+1:])
			}
		}
	}
	return bodies
}

// decodeBodyOld decodes a body as the handler did before parseArgs: into
// url.Values by parseForm, then DecodeForm.
func decodeBodyOld(op Op, body string, sch *Schema) (*Call, error) {
	form, err := parseForm(body)
	if err != nil {
		return nil, err
	}
	return DecodeForm(op, form, sch, DefaultMaxDepth)
}

// decodeBody decodes a body as the handler does.
func decodeBody(op Op, body string, sch *Schema) (*Call, error) {
	var a args
	if err := parseArgs(&a, op, []byte(body)); err != nil {
		return nil, err
	}
	c := new(Call)
	if err := decodeArgs(c, op, &a, sch, DefaultMaxDepth); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSameDecode fails when the handler's decoding of body for op
// differs from decoding it through url.Values, in the call or the error.
func checkSameDecode(t *testing.T, op Op, body string, sch *Schema) {
	t.Helper()
	want, wantErr := decodeBodyOld(op, body, sch)
	got, err := decodeBody(op, body, sch)
	if !reflect.DeepEqual(wantErr, err) {
		t.Fatalf("%s %q: error %#v, want %#v", op, body, err, wantErr)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s %q: call %+v, want %+v", op, body, got, want)
	}
}

// TestParseArgsMatchesValues sends every body of formBodies to every
// record operation: the handler's one-pass parse must decode the same
// call, or refuse with the same error, as parsing into url.Values and
// DecodeForm do.
func TestParseArgsMatchesValues(t *testing.T) {
	sch, err := NewSchema(Policy(DemoConfig()))
	require.NoError(t, err)
	accepted := 0
	for _, body := range formBodies() {
		for _, op := range recordOps {
			checkSameDecode(t, op, body, sch)
			if _, err := decodeBody(op, body, sch); err == nil {
				accepted++
			}
		}
	}
	// The comparison covers accepted calls, not only refusals.
	require.Greater(t, accepted, 200)
}

// TestParseArgsValuesOutliveTheBody checks that the values parseArgs
// returns are unescaped, and are strings of their own: the body it
// unescapes in place may change later without changing them.
func TestParseArgsValuesOutliveTheBody(t *testing.T) {
	b := []byte("type_name=user&uuid=6bbe7e58-bede-41b8-940b-5614c7607a4e&value=%22a%2Bb+c%22")
	var a args
	require.NoError(t, parseArgs(&a, OpUpdate, b))
	for i := range b {
		b[i] = 'x'
	}
	require.Equal(t, "user", a.get(pTypeName))
	require.Equal(t, "6bbe7e58-bede-41b8-940b-5614c7607a4e", a.get(pUUID))
	require.Equal(t, `"a+b c"`, a.get(pValue))
	require.Equal(t, "", a.get(pID))
	require.False(t, a.has(pID))
}

// TestParamOrder checks that the param constants name writeParams in
// order, and that every operation's list is within it.
func TestParamOrder(t *testing.T) {
	require.Len(t, writeParams, int(numParams))
	for i, name := range writeParams {
		p, ok := paramOf([]byte(name))
		require.True(t, ok, name)
		require.Equal(t, param(i), p, name)
	}
	for _, op := range recordOps {
		for _, name := range op.params() {
			p, ok := paramOf([]byte(name))
			require.True(t, ok, "%s: %s", op, name)
			require.True(t, op.accepts().has(p), "%s: %s", op, name)
		}
		require.Len(t, op.params(), bitCount(op.accepts()), op)
	}
	require.Equal(t, "type_name", writeParams[pTypeName])
	require.Equal(t, "include_record", writeParams[pIncludeRecord])
}

func bitCount(s paramSet) int {
	n := 0
	for ; s != 0; s &= s - 1 {
		n++
	}
	return n
}

// FuzzParseArgs compares the handler's parse with url.Values decoding on
// any body.
func FuzzParseArgs(f *testing.F) {
	sch, err := NewSchema(Policy(DemoConfig()))
	require.NoError(f, err)
	for _, body := range append(append([]string{}, validForms...), hostileForms...) {
		f.Add(body, uint8(2))
	}
	f.Fuzz(func(t *testing.T, body string, op uint8) {
		checkSameDecode(t, recordOps[int(op)%len(recordOps)], body, sch)
	})
}

// TestHeaderNamesAreCanonical checks the names the handler reads with
// header, which looks them up as given.
func TestHeaderNamesAreCanonical(t *testing.T) {
	for _, name := range []string{"Authorization", "Content-Type"} {
		require.Equal(t, http.CanonicalHeaderKey(name), name)
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set(strings.ToLower(name), "x")
		require.Equal(t, "x", httpx.Header(r.Header, name))
	}
}

// TestReservedRefusedInOneOrder checks that a value holding several
// reserved attributes is refused for the same one on every call, whatever
// order the decoded map is walked in.
func TestReservedRefusedInOneOrder(t *testing.T) {
	sch, err := NewSchema(Policy(DemoConfig()))
	require.NoError(t, err)
	value := "%7B%22lastUpdated%22%3A1%2C%22created%22%3A1%2C%22uuid%22%3A1%2C%22id%22%3A1%2C%22givenName%22%3A%22A%22%7D"
	tests := []struct {
		op   Op
		body string
		want error
	}{
		{OpCreate, "type_name=user&attributes=" + value,
			newArgError(update.Malformed, ruleNewID, "attributes", "id is assigned by entity.create and may not be sent")},
		{OpUpdate, "type_name=user&id=5252&value=" + value,
			newArgError(update.Invalid, update.RuleReadOnly, "value", "id is a reserved attribute and cannot be written")},
		{OpUpdate, "type_name=user&id=5252&value=%7B%22lastUpdated%22%3A1%2C%22created%22%3A1%7D",
			newArgError(update.Invalid, update.RuleReadOnly, "value", "created is a reserved attribute and cannot be written")},
	}
	for _, tt := range tests {
		for range 50 {
			_, err := decodeBody(tt.op, tt.body, sch)
			require.Equal(t, tt.want, err, "%s %s", tt.op, tt.body)
		}
	}
}
