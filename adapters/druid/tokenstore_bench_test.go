package druid_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// BenchmarkTokenStore measures a token request and an update on
// PostgreSQL with the tokens, spent verifiers and token quota in the
// store (what replicas share) beside the same with them in process
// memory (one process only), the records in PostgreSQL either way. The
// target is at most 1.5 times the baseline's time. With the tokens in the
// store, the token is spent in the update's own transaction
// (storage.Spender); in memory, it is spent before the update.
//
// The interleaved sub-benchmark runs both in one loop, alternating which
// goes first, and reports the median and the 10th percentile of each one's
// single round trips and their ratios: on a busy machine, separate runs
// and means are swamped by preemptions and fsync stalls that land on one
// side, and the 10th percentile is the closest to what a quiet machine
// would show.
func BenchmarkTokenStore(b *testing.B) {
	var pg *adaptertest.Backend
	for _, be := range adaptertest.Backends() {
		if be.Name == "postgres" {
			pg = &be
		}
	}
	if pg == nil {
		b.Skipf("%s is not set", adaptertest.PostgresEnv)
	}
	base := fixture(b, "update_datas.json")
	bodies := [][]byte{base, bytes.Replace(base, []byte(`"Janet"`), []byte(`"Jana"`), 1)}
	// setup builds a server whose tokens live in tokens (nil: the
	// records' store) and returns one token request and update on it.
	setup := func(b *testing.B, tokens storage.Ephemeral) func(i int) {
		clk := adaptertest.NewClock(start)
		cfg := testConfig(clk)
		cfg.Tokens = tokens
		cfg.TokenQuota = storage.Quota{Limit: storage.MaxQuotaLimit, Window: time.Minute}
		h, err := druid.New(cfg, pg.Open(b))
		require.NoError(b, err)
		require.NoError(b, druid.SeedDemo(context.Background(), h.Engine()))
		srv := httptest.NewServer(h)
		b.Cleanup(srv.Close)
		e := &env{srv: srv, eng: h.Engine(), clk: clk}
		return func(i int) {
			clk.Advance(10 * time.Millisecond)
			tok, ver := e.demoToken(b)
			resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, bodies[i%2])
			if resp.status != http.StatusOK {
				b.Fatalf("status %d: %s", resp.status, resp.body)
			}
		}
	}
	run := func(b *testing.B, tokens storage.Ephemeral) {
		step := setup(b, tokens)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			step(i)
			i++
		}
	}
	b.Run("baseline-tokens-in-memory", func(b *testing.B) { run(b, memory.New()) })
	b.Run("tokens-in-postgres", func(b *testing.B) { run(b, nil) })
	b.Run("interleaved", func(b *testing.B) {
		steps := [2]func(int){setup(b, memory.New()), setup(b, nil)}
		took := [2][]time.Duration{}
		i := 0
		for b.Loop() {
			for k := range 2 {
				which := (i + k) % 2
				t0 := time.Now()
				steps[which](i)
				took[which] = append(took[which], time.Since(t0))
			}
			i++
		}
		b.StopTimer()
		for _, p := range []struct {
			name string
			at   float64
		}{{"median", 0.5}, {"p10", 0.1}} {
			mem, stored := percentile(took[0], p.at), percentile(took[1], p.at)
			b.ReportMetric(float64(mem.Nanoseconds()), "memory-"+p.name+"-ns")
			b.ReportMetric(float64(stored.Nanoseconds()), "postgres-"+p.name+"-ns")
			b.ReportMetric(float64(stored)/float64(mem), "postgres/memory-"+p.name)
		}
	})
}

// percentile returns the duration below which the fraction p of d lies.
func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[int(p*float64(len(d)-1))]
}
