package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

func webhookKey() []byte { return bytes.Repeat([]byte("k"), verify.MinKeyLen) }

func newWebhook(tb testing.TB, url string, opts ...verify.WebhookOption) *verify.Webhook {
	tb.Helper()
	w, err := verify.NewWebhook(url, webhookKey(), opts...)
	require.NoError(tb, err)
	return w
}

func TestNewWebhook(t *testing.T) {
	tests := []struct {
		name string
		url  string
		key  []byte
		want error
	}{
		{"ErrRelativeURL", "/hook", webhookKey(), verify.ErrWebhookURL},
		{"ErrSchemeFTP", "ftp://example.com/hook", webhookKey(), verify.ErrWebhookURL},
		{"ErrNoHost", "https:///hook", webhookKey(), verify.ErrWebhookURL},
		{"ErrUnparsable", "http://[::1", webhookKey(), verify.ErrWebhookURL},
		{"ErrShortKey", "https://example.com/hook", []byte("short"), verify.ErrShortKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := verify.NewWebhook(tt.url, tt.key)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, w)
		})
	}
}

func TestWebhookDelivers(t *testing.T) {
	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	clock := func() time.Time { return t0 }

	err := newWebhook(t, srv.URL, verify.WithClock(clock)).Dispatch(context.Background(), sampleMessage())

	require.NoError(t, err)
	r := <-got
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, "1772366400", r.header.Get(verify.TimestampHeader))
	assert.True(t, verify.VerifySignature(webhookKey(), r.body, r.header.Get(verify.SignatureHeader)), "signature must verify")
	var m verify.Message
	require.NoError(t, json.Unmarshal(r.body, &m))
	assert.Equal(t, sampleMessage(), m)
}

func TestWebhookErrors(t *testing.T) {
	t.Run("ErrStatus", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "internal detail "+secretCode, http.StatusBadGateway)
		}))
		defer srv.Close()

		err := newWebhook(t, srv.URL).Dispatch(context.Background(), sampleMessage())

		var se *verify.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, http.StatusBadGateway, se.StatusCode)
		assert.Contains(t, err.Error(), "502")
		assert.NotContains(t, err.Error(), "internal detail")
		assert.NotContains(t, err.Error(), secretCode)
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)

		err := newWebhook(t, srv.URL, verify.WithTimeout(50*time.Millisecond)).Dispatch(context.Background(), sampleMessage())

		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotContains(t, err.Error(), secretCode)
	})
	t.Run("ErrRedirectNotFollowed", func(t *testing.T) {
		var hits atomic.Int32
		elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		defer elsewhere.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		}))
		defer srv.Close()

		err := newWebhook(t, srv.URL).Dispatch(context.Background(), sampleMessage())

		var se *verify.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, http.StatusTemporaryRedirect, se.StatusCode)
		assert.Zero(t, hits.Load(), "the code must not be re-sent to the redirect target")
	})
}

func TestWebhookHTTPClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()

	t.Run("ErrDefaultClientDistrustsTestCert", func(t *testing.T) {
		assert.Error(t, newWebhook(t, srv.URL).Dispatch(context.Background(), sampleMessage()))
	})
	t.Run("CustomClientUsed", func(t *testing.T) {
		assert.NoError(t, newWebhook(t, srv.URL, verify.WithHTTPClient(srv.Client())).Dispatch(context.Background(), sampleMessage()))
	})
}

// countingTransport counts the response body bytes its caller reads.
type countingTransport struct{ read atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestWebhookBoundedResponseRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	tr := &countingTransport{}

	err := newWebhook(t, srv.URL, verify.WithHTTPClient(&http.Client{Transport: tr})).Dispatch(context.Background(), sampleMessage())

	require.NoError(t, err)
	assert.LessOrEqual(t, tr.read.Load(), int64(64<<10), "an endless response must be cut off")
	assert.Positive(t, tr.read.Load())
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"code":"K7Q2XZ"}`)
	good := verify.Sign(webhookKey(), body)
	require.True(t, strings.HasPrefix(good, "sha256="))
	tests := []struct {
		name   string
		key    []byte
		body   []byte
		header string
		want   bool
	}{
		{"Valid", webhookKey(), body, good, true},
		{"WrongKey", bytes.Repeat([]byte("j"), verify.MinKeyLen), body, good, false},
		{"TamperedBody", webhookKey(), []byte(`{"code":"K7Q2XY"}`), good, false},
		{"NoPrefix", webhookKey(), body, strings.TrimPrefix(good, "sha256="), false},
		{"OtherAlgorithm", webhookKey(), body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"Truncated", webhookKey(), body, good[:len(good)-2], false},
		{"NotHex", webhookKey(), body, good[:len(good)-2] + "zz", false},
		{"Empty", webhookKey(), body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, verify.VerifySignature(tt.key, tt.body, tt.header))
		})
	}
}
