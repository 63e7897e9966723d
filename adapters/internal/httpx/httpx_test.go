package httpx_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

func TestReadBody(t *testing.T) {
	read := func(body string) ([]byte, error) {
		return httpx.ReadBody(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), 8)
	}
	b, err := read("12345678")
	require.NoError(t, err)
	assert.Equal(t, "12345678", string(b))

	_, err = read("123456789")
	assert.Equal(t, update.TooLarge, update.ErrorCode(err))
	assert.ErrorIs(t, err, httpx.ErrTooLarge)
	assert.Contains(t, update.ErrorMessage(err), "larger than 8 bytes")

	_, err = read("\xff")
	assert.Equal(t, update.Malformed, update.ErrorCode(err))
	assert.ErrorIs(t, err, httpx.ErrInvalidUTF8)
}

// TestReadBodyDeclaredLength sends bodies whose Content-Length is wrong
// or missing: the declared length sizes the buffer, but what is read and
// the limit never depend on it.
func TestReadBodyDeclaredLength(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		declared int64
		want     string
		tooLarge bool
	}{
		{"Exact", "12345", 5, "12345", false},
		{"Unknown", "12345", -1, "12345", false},
		{"UnknownOverLimit", "123456789", -1, "", true},
		{"DeclaredShort", "1234567", 3, "1234567", false},
		{"DeclaredShortOverLimit", "1234567890", 3, "", true},
		{"DeclaredLong", "123", 7, "123", false},
		{"Empty", "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(iotest.OneByteReader(strings.NewReader(tt.body))))
			r.ContentLength = tt.declared
			b, err := httpx.ReadBody(r, 8)
			if tt.tooLarge {
				assert.ErrorIs(t, err, httpx.ErrTooLarge)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
		})
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		name, header, token string
		ok                  bool
	}{
		{"OK", "Bearer abc", "abc", true},
		{"SchemeAnyCase", "bEARER abc", "abc", true},
		{"NoHeader", "", "", false},
		{"OtherScheme", "Basic abc", "", false},
		{"Empty", "Bearer ", "", false},
		{"Spaces", "Bearer a b", "", false},
		{"AtCap", "Bearer " + strings.Repeat("a", httpx.MaxCredential), strings.Repeat("a", httpx.MaxCredential), true},
		{"OverCap", "Bearer " + strings.Repeat("a", httpx.MaxCredential+1), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			tok, ok := httpx.Bearer(r)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.token, tok)
		})
	}
}

func TestMatch(t *testing.T) {
	type client struct{ id, secret string }
	creds := httpx.NewCredentials([]client{{"a", "alpha"}, {"b", "beta"}, {"c", "beta"}, {"d", ""}}, func(c client) string { return c.secret })
	c, ok := creds.Match("alpha")
	assert.True(t, ok)
	assert.Equal(t, "a", c.id)
	_, ok = creds.Match("beta")
	assert.False(t, ok, "a secret two clients share identifies neither")
	_, ok = creds.Match("gamma")
	assert.False(t, ok)
	_, ok = creds.Match("")
	assert.False(t, ok, "an empty secret never matches")
	_, ok = creds.Match(strings.Repeat("a", httpx.MaxCredential+1))
	assert.False(t, ok)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer alpha")
	c, ok = creds.Bearer(r)
	assert.True(t, ok)
	assert.Equal(t, "a", c.id)
	r.Header.Set("Authorization", "Basic alpha")
	_, ok = creds.Bearer(r)
	assert.False(t, ok)
	// Secrets longer than what is hashed on the stack match as any other.
	long := strings.Repeat("x", 200)
	creds = httpx.NewCredentials([]client{{"a", "alpha"}, {"l", long}}, func(c client) string { return c.secret })
	c, ok = creds.Match(long)
	assert.True(t, ok)
	assert.Equal(t, "l", c.id)
	_, ok = creds.Match(long[:199])
	assert.False(t, ok)
	assert.True(t, httpx.SecretEqual(long, long))
	assert.False(t, httpx.SecretEqual(long, long[:199]))
	assert.True(t, httpx.HashSecret(long).Equal(long))
	assert.False(t, httpx.SecretEqual(strings.Repeat("a", httpx.MaxCredential+1), strings.Repeat("a", httpx.MaxCredential+1)))
	assert.True(t, httpx.SecretEqual("s3cret", "s3cret"))
}

func TestUnknown(t *testing.T) {
	_, ok := httpx.Unknown(url.Values{"a": {"1"}, "b": {"2"}}, "a", "b")
	assert.False(t, ok)
	name, ok := httpx.Unknown(url.Values{"a": {"1"}, "zz": {"2"}, "attribute_nam": {"3"}}, "a")
	assert.True(t, ok)
	assert.Equal(t, "attribute_nam", name, "the first unknown name in sorted order")
	name, _ = httpx.Unknown(url.Values{strings.Repeat("é", 100): {"1"}})
	assert.LessOrEqual(t, len(name), httpx.MaxNameEcho+len("…"))
	assert.True(t, strings.HasSuffix(name, "…"))

	_, err := httpx.ParseQuery("a=%zz")
	assert.Equal(t, update.Malformed, update.ErrorCode(err))
}

func TestRequestID(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(httpx.RequestIDHeader, "client-id.1")
	w := httptest.NewRecorder()
	assert.Equal(t, "client-id.1", httpx.RequestID(w, r))
	assert.Equal(t, "client-id.1", w.Header().Get(httpx.RequestIDHeader), "the answer carries it")

	r.Header.Set(httpx.RequestIDHeader, "bad id<script>")
	w = httptest.NewRecorder()
	id := httpx.RequestID(w, r)
	assert.Len(t, id, 16, "a fresh id replaces one that is not plain")
	assert.Equal(t, id, httpx.RequestID(w, r), "one request, one id")
}

func TestIsMediaType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"Application/JSON":                  true,
		"application/json; charset=utf-8":   true,
		"application/json;charset=UTF-8":    true,
		"application/jsonx":                 false,
		"text/plain":                        false,
		"":                                  false,
		"application/json; charset=\"utf-8": false,
	} {
		assert.Equal(t, want, httpx.IsMediaType(ct, "application/json"), ct)
	}
}

func TestClientListCheck(t *testing.T) {
	type client struct{ id, secret string }
	check := func(unique bool, cs ...client) error {
		return httpx.ClientList[client]{
			Clients: cs, Noun: "app", SecretNoun: "token", UniqueSecrets: unique,
			ID: func(c client) string { return c.id }, Secret: func(c client) string { return c.secret },
			Reserved: func(id string) string { return httpx.ReservedID(id, "system") },
		}.Check()
	}
	tests := []struct {
		name    string
		unique  bool
		clients []client
		want    string
	}{
		{"OK", true, []client{{"a", "s1"}, {"b", "s2"}}, ""},
		{"NoID", true, []client{{"a", "s1"}, {"", "s2"}}, `app 1 has no id`},
		{"Reserved", true, []client{{"system", "s1"}}, `app "system": the id is reserved`},
		{"Twice", true, []client{{"a", "s1"}, {"a", "s2"}}, `app "a" appears twice`},
		{"NoSecret", true, []client{{"a", ""}}, `app "a" has no token`},
		{"SharedSecret", true, []client{{"a", "s"}, {"b", "s"}}, `app "b" shares its token with another app`},
		{"SharedSecretAllowed", false, []client{{"a", "s"}, {"b", "s"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(tt.unique, tt.clients...)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.NotContains(t, err.Error(), "s1", "a secret is never repeated")
		})
	}
}

// TestRequestIDFresh checks fresh ids are 16 hex digits and do not repeat.
func TestRequestIDFresh(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := httpx.RequestID(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		require.Regexp(t, `^[0-9a-f]{16}$`, id)
		require.False(t, seen[id], "id %s repeated", id)
		seen[id] = true
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(httpx.RequestIDHeader, "abc-1")
	assert.Equal(t, "abc-1", httpx.RequestID(w, r))
	assert.Equal(t, "abc-1", w.Header().Get(httpx.RequestIDHeader))
	assert.Equal(t, "abc-1", httpx.RequestID(w, httptest.NewRequest(http.MethodGet, "/", nil)), "the id already set is kept")
}

func TestSecretHash(t *testing.T) {
	h := httpx.HashSecret("s3cret")
	assert.True(t, h.Equal("s3cret"))
	assert.False(t, h.Equal("s3cre"))
	assert.False(t, h.Equal(""))
	assert.False(t, httpx.HashSecret("").Equal(""), "an empty secret never matches")
	assert.False(t, httpx.SecretHash{}.Equal("anything"), "the zero hash matches nothing")
	long := strings.Repeat("a", httpx.MaxCredential+1)
	assert.False(t, httpx.HashSecret(long).Equal(long))

	// EqualBytes answers as Equal does, for every kind of secret sent.
	for _, got := range []string{"s3cret", "s3cre", "s3cret ", "", long} {
		assert.Equal(t, h.Equal(got), h.EqualBytes([]byte(got)), "%.16q", got)
	}
	assert.True(t, h.EqualBytes([]byte("s3cret")))
	assert.False(t, h.EqualBytes(nil))
	assert.False(t, httpx.HashSecret("").EqualBytes([]byte{}), "an empty secret never matches")
	assert.False(t, httpx.SecretHash{}.EqualBytes([]byte("anything")), "the zero hash matches nothing")
	assert.False(t, httpx.HashSecret(long).EqualBytes([]byte(long)))
}

// TestBuffer: a buffer comes out of the pool empty whatever it held when
// it went back, and one grown past 64 KiB does not go back.
func TestBuffer(t *testing.T) {
	bp := httpx.Buffer()
	*bp = append(*bp, "an earlier answer"...)
	httpx.PutBuffer(bp)
	big := httpx.Buffer()
	*big = append(*big, make([]byte, 64<<10+1)...)
	httpx.PutBuffer(big)
	for range 8 {
		b := httpx.Buffer()
		assert.Empty(t, *b)
		assert.LessOrEqual(t, cap(*b), 64<<10)
		defer httpx.PutBuffer(b)
	}
}
