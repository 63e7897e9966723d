package verify_test

import (
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func TestParseLinkTemplate(t *testing.T) {
	tests := []struct {
		name    string
		tmpl    string
		wantErr string // "" when valid; else a fragment of the message
	}{
		{"Valid", "https://example.com/v?u={{.UserID}}&c={{.Code}}&o={{.OrgID}}&p={{.Path}}&ch={{.Channel}}", ""},
		{"ValidPipe", "https://example.com/v?u={{.UserID | urlquery}}", ""},
		{"ValidCall", "https://example.com/v?p={{urlquery .Path}}", ""},
		{"ValidPlainText", "https://example.com/verify", ""},
		{"ValidAtLimit", strings.Repeat("a", verify.MaxLinkTemplateLength), ""},
		{"ErrUnknownField", "https://example.com/v?x={{.Nope}}", "Nope"},
		{"ErrParse", "https://example.com/v?c={{.Code", "unclosed action"},
		{"ErrTooLong", strings.Repeat("a", verify.MaxLinkTemplateLength+1), "at most 2000"},
		{"ErrRange", "{{range 1000000000}}x{{end}}", "not allowed"},
		{"ErrIf", "{{if .Code}}x{{end}}", "not allowed"},
		{"ErrWith", "{{with .Code}}{{.}}{{end}}", "not allowed"},
		{"ErrVariable", "{{$c := .Code}}{{$c}}", "not allowed"},
		{"ErrPrintf", `{{printf "%0999999999d" 1}}`, `function "printf"`},
		{"ErrDefine", `{{define "x"}}a{{end}}b`, "defining templates"},
		{"ErrTemplateCall", `{{template "link"}}`, "not allowed"},
		{"ErrNestedField", "{{.Code.Length}}", "only fields of LinkData"},
		{"ErrDot", "{{.}}", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := verify.ParseLinkTemplate(tt.tmpl)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				assert.NotNil(t, tmpl)
				return
			}
			assert.ErrorIs(t, err, verify.ErrLinkTemplate)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.Nil(t, tmpl)
		})
	}
}

func TestParseLinkTemplateOptions(t *testing.T) {
	narrow := []verify.LinkOption{
		verify.LinkLength(20), verify.LinkFields("UserID", "Code"), verify.LinkFieldsOnly(),
	}
	tests := []struct {
		name    string
		tmpl    string
		wantErr string
	}{
		{"Valid", "x?u={{.UserID}}", ""},
		{"ValidAtLimit", strings.Repeat("é", 20), ""},
		{"ErrEmpty", "", "1 to 20"},
		{"ErrTooLong", strings.Repeat("é", 21), "21 characters"},
		{"ErrField", "{{.OrgID}}", `field "OrgID" is not allowed`},
		{"ErrFunction", "{{urlquery .Code}}", "only a single field"},
		{"ErrPipe", "{{.Code | urlquery}}", "only a single field"},
		{"ErrConstant", `{{"x"}}`, "only fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := verify.ParseLinkTemplate(tt.tmpl, narrow...)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				assert.NotNil(t, tmpl)
				return
			}
			assert.ErrorIs(t, err, verify.ErrLinkTemplate)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestRenderLink(t *testing.T) {
	data := verify.LinkData{UserID: "u 1&x", Code: secretCode, OrgID: "org-9", Path: "/email", Channel: "email"}

	t.Run("Renders", func(t *testing.T) {
		tmpl, err := verify.ParseLinkTemplate("https://example.com/v/{{.OrgID}}?u={{.UserID | urlquery}}&c={{.Code}}&p={{.Path}}&ch={{.Channel}}")
		require.NoError(t, err)
		got, err := verify.RenderLink(tmpl, data)
		require.NoError(t, err)
		assert.Equal(t, "https://example.com/v/org-9?u=u+1%26x&c=K7Q2XZ&p=/email&ch=email", got)
	})
	t.Run("NilTemplateEmpty", func(t *testing.T) {
		got, err := verify.RenderLink(nil, data)
		assert.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("ErrTooLongWithoutCode", func(t *testing.T) {
		tmpl, err := verify.ParseLinkTemplate(strings.Repeat("{{.UserID}}", 150))
		require.NoError(t, err)
		long := data
		long.UserID = strings.Repeat("u", 100)

		got, err := verify.RenderLink(tmpl, long)

		assert.ErrorIs(t, err, verify.ErrLinkTemplate)
		assert.Empty(t, got)
	})
	t.Run("ErrRedactsCode", func(t *testing.T) {
		// A template not made by ParseLinkTemplate whose failure quotes
		// the data it was given.
		tmpl := template.Must(template.New("x").Funcs(template.FuncMap{
			"fail": func(s string) (string, error) { return "", &quoteError{s} },
		}).Parse("{{fail .Code}}"))

		_, err := verify.RenderLink(tmpl, data)

		require.ErrorIs(t, err, verify.ErrLinkTemplate)
		assert.Contains(t, err.Error(), "bad value")
		assert.NotContains(t, err.Error(), secretCode)
	})
}

type quoteError struct{ v string }

func (e *quoteError) Error() string { return "bad value " + e.v }
