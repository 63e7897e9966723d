package druid_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
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
// memory (one process only), the records in PostgreSQL either way.
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
	run := func(b *testing.B, tokens storage.Ephemeral) {
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
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			clk.Advance(10 * time.Millisecond)
			tok, ver := e.demoToken(b)
			resp := e.update(b, updateHeader(tok, druid.DemoEntryPoint), ver, bodies[i%2])
			if resp.status != http.StatusOK {
				b.Fatalf("status %d: %s", resp.status, resp.body)
			}
			i++
		}
	}
	b.Run("baseline-tokens-in-memory", func(b *testing.B) { run(b, memory.New()) })
	b.Run("tokens-in-postgres", func(b *testing.B) { run(b, nil) })
}
