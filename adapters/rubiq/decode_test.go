package rubiq_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/update"
)

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

func demoApp(tb testing.TB, token string) rubiq.App {
	tb.Helper()
	for _, a := range rubiq.DemoConfig().Apps {
		if a.Token == token {
			return a
		}
	}
	tb.Fatalf("no demo app with token %q", token)
	return rubiq.App{}
}

func TestDecodeUpdate(t *testing.T) {
	cfg := rubiq.DemoConfig()
	app := demoApp(t, "demo-rubiq-app")
	byID, err := rubiq.ByID("1001")
	require.NoError(t, err)
	nameEmail := []string{rubiq.FieldName, rubiq.FieldEmail}

	t.Run("SeedExampleDropsID", func(t *testing.T) {
		req, err := rubiq.DecodeUpdate(app, byID, nameEmail, fixture(t, "requests/seed-example.json"), cfg)
		require.NoError(t, err)
		assert.Equal(t, update.Request{
			Type:    rubiq.EntityType,
			Locator: update.ByID("1001"),
			Client:  app.ID,
			Mode:    update.Merge,
			Doc:     map[string]any{"name": "John Doe", "email": "mailbox@mailserver.com"},
		}, req)
	})
	t.Run("ExtKeyLocatesByExternalKey", func(t *testing.T) {
		byExt, err := rubiq.ByExt("crm-42", "crm")
		require.NoError(t, err)
		req, err := rubiq.DecodeUpdate(app, byExt, nameEmail, []byte(`{"name":"x"}`), cfg)
		require.NoError(t, err)
		assert.Equal(t, update.ByKey("ext:crm", "crm-42"), req.Locator)
	})
	t.Run("NullRemovesName", func(t *testing.T) {
		req, err := rubiq.DecodeUpdate(app, byID, nameEmail, []byte(`{"name":null}`), cfg)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"name": nil}, req.Doc)
	})
	t.Run("IgnoredMemberIsDropped", func(t *testing.T) {
		req, err := rubiq.DecodeUpdate(app, byID, nameEmail, []byte(`{"id":"other","name":"x","email":"a@example.com"}`), cfg)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"name": "x", "email": "a@example.com"}, req.Doc)
	})
	t.Run("NumbersKeepPrecision", func(t *testing.T) {
		req, err := rubiq.DecodeUpdate(app, byID, nameEmail, []byte(`{"name":12345678901234567890}`), cfg)
		require.NoError(t, err)
		assert.Equal(t, json.Number("12345678901234567890"), req.Doc.(map[string]any)["name"])
	})

	refused := []struct {
		name   string
		body   string
		code   update.Code
		fields []update.FieldError
	}{
		{"Invalid/OutsideContractEachNamed", `{"name":"a","mobile":"+4790000009","pass/word":"x"}`, update.Invalid, []update.FieldError{
			{Path: "/mobile", Rule: rubiq.RuleContract, Message: `field "mobile" is not in the contract`},
			{Path: "/pass~1word", Rule: rubiq.RuleContract, Message: `field "pass/word" is not in the contract`},
		}},
		{"Invalid/NullEmail", `{"email":null}`, update.Invalid, []update.FieldError{
			{Path: "/email", Rule: update.RuleRequired, Message: "email cannot be removed, only changed"},
		}},
		{"Invalid/EachRefusalInNameOrder", `{"zip":"1","id":"x","email":null,"city":"Oslo"}`, update.Invalid, []update.FieldError{
			{Path: "/city", Rule: rubiq.RuleContract, Message: `field "city" is not in the contract`},
			{Path: "/email", Rule: update.RuleRequired, Message: "email cannot be removed, only changed"},
			{Path: "/zip", Rule: rubiq.RuleContract, Message: `field "zip" is not in the contract`},
		}},
		{"Malformed/Array", `[{"name":"a"}]`, update.Malformed, nil},
		{"Malformed/Scalar", `"name"`, update.Malformed, nil},
		{"Malformed/Syntax", `{"name":`, update.Malformed, nil},
		{"Malformed/Empty", ``, update.Malformed, nil},
		{"Malformed/Trailing", `{"name":"a"} {}`, update.Malformed, nil},
		{"Malformed/DuplicateMember", `{"name":"a","name":"b"}`, update.Malformed, nil},
		{"TooLarge/Deep", `{"name":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`, update.TooLarge, nil},
		{"TooLarge/Bytes", `{"name":"` + strings.Repeat("a", rubiq.DefaultMaxBodyBytes) + `"}`, update.TooLarge, nil},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rubiq.DecodeUpdate(app, byID, nameEmail, []byte(tc.body), cfg)
			require.Error(t, err)
			assert.Equal(t, tc.code, update.ErrorCode(err))
			assert.Equal(t, tc.fields, update.ErrorFields(err))
		})
	}
}

func TestContract(t *testing.T) {
	app := demoApp(t, "demo-rubiq-app")
	t.Run("DefaultWhenOmitted", func(t *testing.T) {
		fields, err := rubiq.Contract(app, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"name", "email", "mobile", "city"}, fields)
	})
	t.Run("Named", func(t *testing.T) {
		fields, err := rubiq.Contract(app, "profile")
		require.NoError(t, err)
		assert.Equal(t, []string{"name", "city"}, fields)
	})
	t.Run("InvalidWhenUnknown", func(t *testing.T) {
		_, err := rubiq.Contract(app, "billing")
		require.Error(t, err)
		assert.Equal(t, update.Invalid, update.ErrorCode(err))
		require.Len(t, update.ErrorFields(err), 1)
		assert.Equal(t, rubiq.RuleContract, update.ErrorFields(err)[0].Rule)
		assert.Equal(t, "billing", update.ErrorFields(err)[0].Param)
	})
}

func TestTargets(t *testing.T) {
	ok := []struct{ name, id, key, typ string }{
		{"Numeric", "1001", "", ""},
		{"Hex", "9f86d081884c7d65", "", ""},
		{"ExtKey", "", "crm-42", "crm"},
		{"ExtKeyWithSpaceAndUnicode", "", "Åse 42", "crm"},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.name, func(t *testing.T) {
			var err error
			if tc.id != "" {
				_, err = rubiq.ByID(tc.id)
			} else {
				_, err = rubiq.ByExt(tc.key, tc.typ)
			}
			assert.NoError(t, err)
		})
	}
	refusedIDs := []string{"", "10/01", "../1001", "1001 ", strings.Repeat("1", 65), "1001\x00"}
	for _, id := range refusedIDs {
		t.Run("NotFound/ID", func(t *testing.T) {
			_, err := rubiq.ByID(id)
			assert.Equal(t, update.NotFound, update.ErrorCode(err))
			assert.Equal(t, "404.1", rubiq.ErrorStatus(err, rubiq.OpUpdate).Code)
		})
	}
	refusedExt := [][2]string{{"", "crm"}, {"crm/42", "crm"}, {"crm-42", ""}, {"crm-42", "c/rm"}, {"a\nb", "crm"}, {strings.Repeat("k", 129), "crm"}, {"crm-42", strings.Repeat("t", 33)}}
	for _, kt := range refusedExt {
		t.Run("NotFound/Ext", func(t *testing.T) {
			_, err := rubiq.ByExt(kt[0], kt[1])
			assert.Equal(t, update.NotFound, update.ErrorCode(err))
			assert.Equal(t, "404.2", rubiq.ErrorStatus(err, rubiq.OpVerifyByExtKey).Code)
		})
	}
}

func TestDecodeVerify(t *testing.T) {
	cfg := rubiq.DemoConfig()
	app := demoApp(t, "demo-rubiq-app")
	tgt, err := rubiq.ByExt("crm-42", "crm")
	require.NoError(t, err)

	req, err := rubiq.DecodeVerify(app, tgt, []byte(`{"code":"123456"}`), cfg)
	require.NoError(t, err)
	assert.Equal(t, update.ConfirmRequest{
		Type: rubiq.EntityType, Locator: update.ByKey("ext:crm", "crm-42"), Code: "123456", Client: app.ID,
	}, req)

	for name, body := range map[string]string{
		"EmptyCode":   `{"code":""}`,
		"NumberCode":  `{"code":123456}`,
		"NullCode":    `{"code":null}`,
		"NoCode":      `{}`,
		"ExtraMember": `{"code":"123456","path":"/email"}`,
		"LongCode":    `{"code":"` + strings.Repeat("1", 65) + `"}`,
		"Array":       `["123456"]`,
		"NotJSON":     `code=123456`,
	} {
		t.Run("Malformed/"+name, func(t *testing.T) {
			_, err := rubiq.DecodeVerify(app, tgt, []byte(body), cfg)
			assert.Equal(t, update.Malformed, update.ErrorCode(err))
		})
	}
}
