package verify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The headers a Webhook sets besides Content-Type.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body under the shared key; see VerifySignature.
	SignatureHeader = "X-Idupdate-Signature"
	// TimestampHeader carries the send time in Unix seconds. It is not
	// covered by the signature.
	TimestampHeader = "X-Idupdate-Timestamp"
)

// DefaultWebhookTimeout bounds one delivery, response included.
const DefaultWebhookTimeout = 5 * time.Second

// maxResponseRead is how much of a response body is read (and discarded)
// so the connection can be reused; the rest is dropped with it.
const maxResponseRead = 64 << 10

const signaturePrefix = "sha256="

// ErrWebhookURL is returned by NewWebhook for a URL it cannot post to.
var ErrWebhookURL = errors.New("verify: invalid webhook url")

// StatusError reports a webhook receiver's answer outside 2xx. It names
// the status only, never the response body or the message.
type StatusError struct {
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("verify: webhook answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// Webhook is a Dispatcher that POSTs each Message as JSON (code included;
// see Message.MarshalJSON) to a URL, signed with a shared key so the
// receiver can tell it came from us. A Webhook is safe for concurrent use.
type Webhook struct {
	url     string
	key     []byte
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

var _ Dispatcher = (*Webhook)(nil)

// WebhookOption configures a Webhook.
type WebhookOption func(*Webhook)

// WithTimeout bounds each delivery, response included; d <= 0 keeps the
// default, DefaultWebhookTimeout.
func WithTimeout(d time.Duration) WebhookOption {
	return func(w *Webhook) {
		if d > 0 {
			w.timeout = d
		}
	}
}

// WithHTTPClient sends through c instead of the default client, which
// does not follow redirects (a redirect would re-send the code to a place
// nobody configured). A nil c keeps the default.
func WithHTTPClient(c *http.Client) WebhookOption {
	return func(w *Webhook) {
		if c != nil {
			w.client = c
		}
	}
}

// WithClock sets where the timestamp header's time comes from; nil keeps
// time.Now.
func WithClock(now func() time.Time) WebhookOption {
	return func(w *Webhook) {
		if now != nil {
			w.now = now
		}
	}
}

// NewWebhook returns a Webhook posting to rawURL, an absolute http or
// https URL (ErrWebhookURL otherwise), signing with a copy of key, at
// least MinKeyLen bytes (ErrShortKey otherwise).
func NewWebhook(rawURL string, key []byte, opts ...WebhookOption) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: want an absolute http or https url", ErrWebhookURL)
	}
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrShortKey, len(key), MinKeyLen)
	}
	w := &Webhook{
		url: u.String(),
		key: append([]byte(nil), key...),
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		timeout: DefaultWebhookTimeout,
		now:     time.Now,
	}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// Dispatch posts m. It returns a *StatusError for a non-2xx answer, and a
// wrapped transport error (context.DeadlineExceeded on timeout) when the
// post fails; neither contains the code.
func (w *Webhook) Dispatch(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("verify: encode webhook body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("verify: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.key, body))
	req.Header.Set(TimestampHeader, strconv.FormatInt(w.now().Unix(), 10))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("verify: webhook post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{StatusCode: resp.StatusCode}
	}
	return nil
}

// Sign returns the signature header value for body under key:
// "sha256=" followed by the hex HMAC-SHA256.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is the signature of body under
// key, as a webhook receiver checks it. The comparison is constant time;
// a header of the wrong form is false without being decoded.
func VerifySignature(key, body []byte, header string) bool {
	if len(header) != len(signaturePrefix)+2*sha256.Size || !strings.HasPrefix(header, signaturePrefix) {
		return false
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
