package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/feed"
	"github.com/idupdate/idupdate/verify"
)

// eventsConsumer is the bookmark under which the events webhook keeps its
// position in the store.
const eventsConsumer = "shimserver/events-webhook"

// eventsTimeout bounds one delivery, response included.
const eventsTimeout = 10 * time.Second

// DeliveryHeader carries the positions of the first and last entry of a
// delivery ("17-42"). A receiver that remembers the last position it
// processed can drop a delivery it already has: delivery is at least
// once, so after a crash or a failed answer entries come again.
const DeliveryHeader = "X-Idupdate-Delivery"

// eventsBody is what the events webhook posts: the entries of the change
// feed in commit order, secret values redacted as in the history.
type eventsBody struct {
	Events []storage.FeedEntry `json:"events"`
}

// startEvents starts delivering the store's change feed to
// -events-webhook, when set, and returns the function that stops the
// delivery and waits for it. Entries are posted as eventsBody, signed with
// the webhook key (verify.SignatureHeader over the body, and
// verify.TimestampHeader), in batches of up to 100; an answer outside 2xx
// or a failed post is retried with backoff from 100ms to 30s. The position
// is saved in the store after each acknowledged batch, so a restart
// resumes there.
func startEvents(ctx context.Context, f flags, getenv func(string) string, store storage.Store, logger *slog.Logger) (func(), error) {
	if f.eventsWebhook == "" {
		return func() {}, nil
	}
	u, err := url.Parse(f.eventsWebhook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: -events-webhook wants an absolute http or https URL", errUsage)
	}
	key, err := webhookKey(f, getenv, "-events-webhook")
	if err != nil {
		return nil, err
	}
	if len(key) < verify.MinKeyLen {
		return nil, fmt.Errorf("webhook key: %d bytes, want at least %d", len(key), verify.MinKeyLen)
	}
	fs, ok := store.(feed.Store)
	if !ok {
		return nil, fmt.Errorf("-events-webhook: the store has no change feed")
	}
	post := &eventPoster{url: u.String(), key: key, client: &http.Client{
		Timeout: eventsTimeout,
		// A redirect would send the changes to a place nobody configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	log := logger.With("consumer", "events-webhook")
	c, err := feed.New(fs, eventsConsumer, post.deliver, feed.WithLogger(log))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	log.Info("delivering changes", "url", u.Redacted())
	return func() { cancel(); <-done }, nil
}

// eventPoster posts batches of feed entries.
type eventPoster struct {
	url    string
	key    []byte
	client *http.Client
}

func (p *eventPoster) deliver(ctx context.Context, es []storage.FeedEntry) error {
	body, err := json.Marshal(eventsBody{Events: es})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(verify.SignatureHeader, verify.Sign(p.key, body))
	req.Header.Set(verify.TimestampHeader, strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set(DeliveryHeader, fmt.Sprintf("%d-%d", es[0].Position, es[len(es)-1].Position))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &verify.StatusError{StatusCode: resp.StatusCode}
	}
	return nil
}

// trimEvery returns how often the feed is trimmed for a retention: a
// tenth of it, between a second and ten minutes.
func trimEvery(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), 10*time.Minute)
}

// startTrim starts deleting change feed entries older than retention, when
// it is positive, and returns the function that stops it and waits. Entries
// a consumer that saved its position has not reached are kept (see
// storage.Trim), so -events-webhook loses nothing to trimming.
func startTrim(ctx context.Context, retention time.Duration, store storage.Store, logger *slog.Logger) (func(), error) {
	if retention <= 0 {
		return func() {}, nil
	}
	tr, ok := store.(storage.FeedTrimmer)
	if !ok {
		return nil, fmt.Errorf("-feed-retention: the store's change feed cannot be trimmed")
	}
	log := logger.With("task", "feed-trim")
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(trimEvery(retention))
		defer t.Stop()
		for {
			n, err := feed.Trim(ctx, tr, storage.Trim{Before: time.Now().Add(-retention)})
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("trimming the change feed failed; trying again later", "err", err)
			case n > 0:
				log.Info("trimmed the change feed", "deleted", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	log.Info("trimming the change feed", "retention", retention, "every", trimEvery(retention))
	return func() { cancel(); <-done }, nil
}
