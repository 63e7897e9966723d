package zitadel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/update"
)

// fastValid are UpdateHumanUser bodies the one-pass decoder must take
// itself, every section and member of the request among them.
var fastValid = []string{
	`{}`,
	` { } `,
	"{\t\"username\"\r\n:\n\"minnie\" }\n",
	`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"}}`,
	`{"profile":{"givenName":"Mînnie ✓","familyName":"","nickName":"N","displayName":"D","preferredLanguage":"de-CH","gender":"GENDER_FEMALE"}}`,
	`{"profile":{}}`,
	`{"email":{"email":"a@b.example","returnCode":{}}}`,
	`{"email":{"email":"a@b.example","sendCode":{}}}`,
	`{"email":{"email":"a@b.example","sendCode":{"urlTemplate":"https://x/{{.UserID}}/{{.Code}}/{{.OrgID}}"}}}`,
	`{"email":{"email":"a@b.example","isVerified":true}}`,
	`{"email":{"isVerified":false}}`,
	`{"phone":{"phone":"+41791234567","sendCode":{ }}}`,
	`{"phone":{"phone":"+41791234567","returnCode":{}}}`,
	`{"phone":{"phone":"+41791234567","isVerified":true}}`,
	`{"password":{"password":{"password":"Secr3t!pass","changeRequired":true},"currentPassword":"old"}}`,
	`{"password":{"password":{"password":"Secr3t!pass"},"verificationCode":"123456"}}`,
	`{"password":{"hashedPassword":{"hash":"$2a$12$abc","changeRequired":false}}}`,
	// Oneof conflicts decode; Check refuses them, the same either way.
	`{"email":{"sendCode":{},"isVerified":false}}`,
	`{"phone":{"returnCode":{},"isVerified":true}}`,
	`{"password":{"password":{"password":"x"},"hashedPassword":{"hash":"y"},"currentPassword":"a","verificationCode":"b"}}`,
	`{"email":{"sendCode":{"urlTemplate":""}}}`,
	`{"email":{"sendCode":{"urlTemplate":"{{range .Code}}x{{end}}"}}}`,
	`{"username":"minnie","profile":{"givenName":"M","familyName":"M"},"email":{"email":"m@x.example","returnCode":{}},"phone":{"phone":"+41791234567","isVerified":false},"password":{"password":{"password":"Aa1!aaaa"}}}`,
}

// fastRefused are bodies the one-pass decoder leaves to the checked
// decode: hostile ones and valid ones outside the shape it reads.
var fastRefused = []string{
	``, ` `, "\u00a0", `null`, `[]`, `"x"`, `1`, `true`, `{`, `}`, `{"profile":`, `{"profile":{}`,
	`{}{}`, `{} x`, `{},`, `{"username":"a",}`, `{,"username":"a"}`, `{"username" "a"}`,
	// Unknown, case-folded and repeated names.
	`{"nickName":"x"}`, `{"Username":"x"}`, `{"profile":{"GivenName":"x"}}`, `{"userName":"a","username":"b"}`,
	`{"username":"a","username":"b"}`, `{"profile":{"givenName":"a","givenName":"b"}}`,
	`{"profile":{},"profile":{}}`, `{"email":{"returnCode":{},"returnCode":{}}}`,
	// Wrong types.
	`{"username":1}`, `{"username":true}`, `{"username":{}}`, `{"username":[]}`, `{"profile":"x"}`,
	`{"profile":[]}`, `{"profile":{"givenName":1.5}}`, `{"email":{"isVerified":"true"}}`,
	`{"email":{"isVerified":tru}}`, `{"email":{"isVerified":truex}}`, `{"email":{"isVerified":1}}`,
	`{"password":{"password":"x"}}`, `{"password":{"password":{"changeRequired":"yes"}}}`,
	`{"email":{"returnCode":{"x":1}}}`, `{"email":{"returnCode":[]}}`, `{"phone":{"sendCode":{"urlTemplate":"x"}}}`,
	`{"email":{"sendCode":{"urlTemplate":1}}}`,
	// null anywhere.
	`{"username":null}`, `{"profile":null,"email":null}`, `{"email":{"sendCode":null}}`,
	`{"password":{"password":{"password":null}}}`,
	// Escapes, control characters, invalid UTF-8.
	`{"username":"a\"b"}`, `{"username":"a\u0041"}`, `{"username":"a\x"}`, "{\"username\":\"a\x01\"}",
	"{\"username\":\"\xff\"}", "{\"\xffusername\":\"a\"}", `{"user\u006eame":"a"}`,
	// Numbers and nesting.
	`{"profile":{"givenName":[[[[[[[[[["x"]]]]]]]]]]}}`, `{"username":-0}`,
	// A byte-order mark and trailing garbage.
	"\ufeff{}", "{}\x00", `{"username":"a"}"`,
}

// checkSameDecode checks that DecodeUpdate and the checked decode agree
// on body: the same error, or the same request, and that the one-pass
// decoder's request, when it takes the body, is the checked decode's.
func checkSameDecode(t *testing.T, body []byte, maxDepth int) (fast bool) {
	t.Helper()
	var got zitadel.UpdateHumanUserRequest
	fast = zitadel.DecodeUpdateFast(body, maxDepth, &got)
	want, wantErr := zitadel.DecodeUpdateChecked(body, maxDepth)
	if fast {
		// A body the fast path takes decodes in the checked path too;
		// at most Check refuses it.
		if wantErr != nil {
			require.NotEqual(t, "syntax", update.ErrorFields(wantErr)[0].Rule, "fast path took %q: %v", body, wantErr)
		}
		require.Equal(t, *want, got, "body %q", body)
	}
	b, err := zitadel.DecodeUpdate(body, maxDepth)
	if wantErr == nil {
		require.NoError(t, err, "body %q", body)
		require.Equal(t, want, b, "body %q", body)
		return fast
	}
	require.Error(t, err, "body %q", body)
	assert.Equal(t, wantErr.Error(), err.Error(), "body %q", body)
	assert.Equal(t, update.ErrorCode(wantErr), update.ErrorCode(err), "body %q", body)
	assert.Equal(t, update.ErrorFields(wantErr), update.ErrorFields(err), "body %q", body)
	return fast
}

func TestDecodeUpdateFastMatchesChecked(t *testing.T) {
	for _, body := range fastValid {
		for _, depth := range []int{0, 3, 8} {
			assert.True(t, checkSameDecode(t, []byte(body), depth), "fast path refused %q at depth %d", body, depth)
		}
	}
	for _, body := range fastRefused {
		for _, depth := range []int{0, 8} {
			assert.False(t, checkSameDecode(t, []byte(body), depth), "fast path took %q", body)
		}
	}
	// The fixtures and hostile bodies the handler tests send.
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.body"))
	require.NoError(t, err)
	files = append(files, filepath.Join("testdata", "update_profile_email.json"), filepath.Join("testdata", "update_hashed_password.json"))
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		checkSameDecode(t, body, 8)
	}
}

// A body nested deeper than the limit is the checked decode's to refuse,
// with its message, however deep the fast path could read.
func TestDecodeUpdateFastDepth(t *testing.T) {
	body := []byte(`{"password":{"password":{"password":"x"}}}`)
	for depth, fast := range map[int]bool{1: false, 2: false, 3: true, 4: true, 0: true} {
		assert.Equal(t, fast, checkSameDecode(t, body, depth), "depth %d", depth)
	}
	_, err := zitadel.DecodeUpdate([]byte(`{"profile":{}}`), 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deeper than 1 levels")
}

// Mutations of the valid bodies: every prefix, and each byte replaced by
// one that often changes the meaning.
func TestDecodeUpdateFastMutations(t *testing.T) {
	for _, body := range fastValid {
		for i := range len(body) {
			checkSameDecode(t, []byte(body[:i]), 8)
			for _, c := range []byte{'"', '\\', '{', '}', ',', ':', 'n', '1', ' ', 0, 0xff} {
				m := []byte(body)
				m[i] = c
				checkSameDecode(t, m, 8)
			}
		}
		checkSameDecode(t, []byte(strings.ToUpper(body)), 8)
	}
}

func FuzzDecodeUpdateFast(f *testing.F) {
	for _, body := range append(append([]string{}, fastValid...), fastRefused...) {
		f.Add([]byte(body), 8)
	}
	f.Fuzz(func(t *testing.T, body []byte, maxDepth int) {
		checkSameDecode(t, body, maxDepth%12)
	})
}
