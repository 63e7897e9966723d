package janrain_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// TestRateLimit: a client past its limit gets 510 api_limit_error and
// its call does nothing, while another client is served; two handlers on
// one store (replicas) count the client's calls together.
func TestRateLimit(t *testing.T) {
	store := memory.New()
	cfg := testConfig()
	cfg.RateLimit = storage.Quota{Limit: 3, Window: time.Hour}
	a := newEnvWith(t, store, cfg)
	b := newEnvWith(t, store, cfg)
	read := form("type_name", "user", "id", janrain.DemoID)
	for i, e := range []*env{a, b, a} {
		r := e.post(t, "entity", read)
		require.Equal(t, http.StatusOK, r.status, "call %d: %s", i+1, r.raw)
	}
	before := a.snapshot(t, janrain.DemoID)
	for _, e := range []*env{a, b} {
		r := e.post(t, "entity.update", form("type_name", "user", "id", janrain.DemoID, "attribute_name", "givenName", "value", `"Over"`))
		assertCaptureError(t, r, http.StatusTooManyRequests, 510, "", "more than 3 calls")
		assert.Equal(t, "api_limit_error", r.body["error"])
	}
	assert.Equal(t, before, a.snapshot(t, janrain.DemoID), "a throttled call changes nothing")

	ct := "application/x-www-form-urlencoded"
	r := b.do(t, http.MethodPost, "entity", basic(readerID, readerSecret), ct, read.Encode())
	assert.Equal(t, http.StatusOK, r.status, "another client is served: %s", r.raw)
}

func TestRateLimit_NewRefusesWhatItCannotUse(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit = storage.Quota{Limit: 0, Window: time.Minute}
	_, err := janrain.New(cfg, memory.New())
	assert.ErrorContains(t, err, "RateLimit")

	_, err = janrain.New(testConfig(), countersOnly{memory.New()})
	assert.ErrorContains(t, err, "Limiter")
}

// countersOnly is a store that keeps records and counters but no
// ephemeral state.
type countersOnly struct{ *memory.Store }

func (countersOnly) Hit() {} // hides memory's Hit: not a storage.Ephemeral
