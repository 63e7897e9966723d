package janrain_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/sqlite"
)

// TestRateLimit: a client whose bucket is empty gets 510 api_limit_error
// with a Retry-After, and its call does nothing, while another client is
// served; two handlers on one store (replicas) take from the client's
// one bucket, which refills at its rate.
func TestRateLimit(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) storage.Store{
		"memory": func(*testing.T) storage.Store { return memory.New() },
		"sqlite": func(t *testing.T) storage.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "janrain.db"))
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) { testRateLimit(t, open(t)) })
	}
}

func testRateLimit(t *testing.T, store storage.Store) {
	clock := adaptertest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	cfg := testConfig()
	cfg.RateLimit = storage.Bucket{Rate: 0.5, Burst: 3}
	cfg.Now = clock.Now
	a := newEnvClock(t, store, cfg)
	b := newEnvClock(t, store, cfg)
	read := form("type_name", "user", "id", janrain.DemoID)
	ok := func(e *env, what string) {
		t.Helper()
		r := e.post(t, "entity", read)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", what, r.raw)
	}
	throttled := func(e *env, retryAfter string) {
		t.Helper()
		r := e.post(t, "entity.update", form("type_name", "user", "id", janrain.DemoID, "attribute_name", "givenName", "value", `"Over"`))
		assertCaptureError(t, r, http.StatusTooManyRequests, 510, "", "more than 3 calls at once or more than 0.5 a second; try again in "+retryAfter+"s")
		assert.Equal(t, "api_limit_error", r.body["error"])
		assert.Equal(t, retryAfter, r.header.Get("Retry-After"))
	}

	for i, e := range []*env{a, b, a} {
		ok(e, "burst call "+string(rune('1'+i)))
	}
	before := a.snapshot(t, janrain.DemoID)
	throttled(a, "2")
	throttled(b, "2")
	assert.Equal(t, before, a.snapshot(t, janrain.DemoID), "a throttled call changes nothing")

	ct := "application/x-www-form-urlencoded"
	r := b.do(t, http.MethodPost, "entity", basic(readerID, readerSecret), ct, read.Encode())
	assert.Equal(t, http.StatusOK, r.status, "another client is served: %s", r.raw)

	clock.Advance(time.Second)
	throttled(b, "1") // half a call refilled; the refusals before took nothing
	clock.Advance(time.Second)
	ok(b, "a call refilled")
	throttled(a, "2") // the one refilled call was b's, on the shared bucket
	clock.Advance(time.Minute)
	for i := range 3 {
		ok([]*env{a, b}[i%2], "a refilled burst")
	}
	throttled(b, "2")
}

func TestRateLimit_NewRefusesWhatItCannotUse(t *testing.T) {
	for _, bad := range []storage.Bucket{{Rate: 0, Burst: 5}, {Rate: 1, Burst: 0}, {Rate: -1, Burst: 1}} {
		cfg := testConfig()
		cfg.RateLimit = bad
		_, err := janrain.New(cfg, memory.New())
		assert.ErrorContains(t, err, "RateLimit", "%+v", bad)
		assert.ErrorIs(t, err, storage.ErrInvalid, "%+v", bad)
	}

	_, err := janrain.New(testConfig(), countersOnly{memory.New()})
	assert.ErrorContains(t, err, "Limiter")
}

// countersOnly is a store that keeps records and counters but no
// ephemeral state.
type countersOnly struct{ *memory.Store }

func (countersOnly) Take() {} // hides memory's Take: not a storage.Ephemeral
