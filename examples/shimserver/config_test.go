package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/examples/internal/shimconfig"
	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/storage"
)

func TestDemoConfigFileReproducesTheBuiltInDemo(t *testing.T) {
	cfg, err := shimconfig.Load("demo-config.json")
	require.NoError(t, err)
	assert.Equal(t, shimconfig.Demo(), cfg)

	s := startShim(t, "-store", "memory", "-config", "demo-config.json")
	t.Run("DemoSeedRequestsWork", func(t *testing.T) {
		replayRubiq(t, s)
	})
	t.Run("BannerHidesConfiguredSecrets", func(t *testing.T) {
		assert.Contains(t, s.stdout.String(), "come from the -config file")
		assert.NotContains(t, s.stdout.String(), "demo-app-secret")
		assert.NotContains(t, s.stdout.String(), rubiqAppToken)
	})
}

func TestConfigFileOverridesTheDemo(t *testing.T) {
	path := filepath.Join("testdata", "config", "override.json")
	cfg, err := shimconfig.Load(path)
	require.NoError(t, err)
	demo := shimconfig.Demo()

	require.Len(t, cfg.Rubiq.Apps, 1, "a client list replaces the demo list")
	assert.Equal(t, "crm-token-123", cfg.Rubiq.Apps[0].Token)
	assert.Equal(t, rubiq.FormatEnvelope, cfg.Rubiq.Apps[0].Format)
	assert.Equal(t, 5*time.Minute, cfg.Rubiq.Cooldown)
	assert.True(t, cfg.Rubiq.ReleasePending)
	assert.Equal(t, "DE", cfg.ZITADEL.DefaultRegion)
	assert.Equal(t, 3, cfg.ZITADEL.MaxSends)
	assert.Equal(t, []string{"80000000000000007"}, cfg.ZITADEL.GlobalUsernameOrgs)
	assert.Equal(t, demo.ZITADEL.Clients, cfg.ZITADEL.Clients, "members left out keep the demo values")
	assert.Equal(t, demo.Janrain, cfg.Janrain, "sections left out keep the demo")
	assert.Equal(t, demo.DRUID, cfg.DRUID)

	s := startShim(t, "-store", "memory", "-config", path)
	t.Run("ConfiguredTokenUpdates", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", []byte(`{"city":"Bergen"}`), bearer("crm-token-123"), jsonType)
		assert.Equal(t, 200, r.status, string(r.body))
		assert.JSONEq(t, `{"status":{"statusCode":200,"statusText":"Account was successfully updated"},"data":null}`, string(r.body), "the app's format is envelope")
	})
	t.Run("DemoTokenIsGone", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", []byte(`{"city":"Bergen"}`), bearer(rubiqAppToken), jsonType)
		assert.Equal(t, 401, r.status, string(r.body))
	})
	t.Run("ContractLimitsTheApp", func(t *testing.T) {
		r := s.do(t, "PUT", "/userentity/dp-keyid/1001/data", []byte(`{"email":"a@example.com"}`), bearer("crm-token-123"), jsonType)
		assert.Equal(t, 400, r.status, string(r.body))
	})
}

// TestConfigFileRefused starts the server with each bad file and compares
// the errors, which name file, line, column, path, expectation and the
// closest valid name, with testdata/config/errors.golden.
func TestConfigFileRefused(t *testing.T) {
	tests := []struct {
		file string
		want error // nil: refused by an adapter, not by the file reader
	}{
		{"bad-duration.json", shimconfig.ErrConfig},
		{"bad-quota.json", shimconfig.ErrConfig},
		{"bad-rate-limit.json", shimconfig.ErrConfig},
		{"client-not-clients.json", shimconfig.ErrConfig},
		{"missing.json", shimconfig.ErrConfig},
		{"negative.json", shimconfig.ErrConfig},
		{"no-demo-client.json", nil},
		{"not-json.yaml", shimconfig.ErrConfig},
		{"number-duration.json", shimconfig.ErrConfig},
		{"old-rate-limit.json", shimconfig.ErrConfig},
		{"syntax-error.json", shimconfig.ErrConfig},
		{"trailing-data.json", shimconfig.ErrConfig},
		{"unknown-class.json", shimconfig.ErrConfig},
		{"unknown-member.json", shimconfig.ErrConfig},
		{"unknown-rubiq-format.json", shimconfig.ErrConfig},
	}
	var got strings.Builder
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "config", tc.file)
			err := run(context.Background(), []string{"-store", "memory", "-addr", "127.0.0.1:0", "-config", path},
				noEnv, io.Discard, io.Discard, func(string) { t.Error("the server started") })
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				var fe *jsonfile.Error
				if tc.file != "missing.json" {
					assert.ErrorAs(t, err, &fe, "a placed error")
				}
			} else {
				assert.False(t, errors.Is(err, shimconfig.ErrConfig), "the file itself reads: %v", err)
			}
			got.WriteString(err.Error() + "\n")
		})
	}
	golden(t, filepath.Join("testdata", "config", "errors.golden"), got.String())
}

func TestConfigWithoutDemoClientsRunsWithoutDemoData(t *testing.T) {
	s := startShim(t, "-store", "memory", "-demo=false", "-config", filepath.Join("testdata", "config", "no-demo-client.json"))
	r := s.do(t, "GET", zitadelPath, nil, bearer("demo-zitadel-admin"))
	assert.Equal(t, 404, r.status, "no demo user: %s", r.body)
	assert.Contains(t, s.stdout.String(), "not loaded (-demo=false)")
}

func noEnv(string) string { return "" }

// TestConfigJanrainRateLimit: the janrain section's rateLimit is each
// client's token bucket: after a burst of two calls the third is 510,
// with a Retry-After of (at most) the two seconds a call takes to refill.
func TestConfigJanrainRateLimit(t *testing.T) {
	path := filepath.Join("testdata", "config", "janrain-rate-limit.json")
	cfg, err := shimconfig.Load(path)
	require.NoError(t, err)
	assert.Equal(t, storage.Bucket{Rate: 0.5, Burst: 2}, cfg.Janrain.RateLimit)

	s := startShim(t, "-store", "memory", "-config", path)
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("demo_reader:demo_reader_secret"))
	form := []byte("type_name=user&id=" + janrain.DemoID)
	for i, want := range []int{200, 200, 429} {
		r := s.do(t, "POST", "/entity", form, auth, "Content-Type: application/x-www-form-urlencoded")
		assert.Equal(t, want, r.status, "call %d: %s", i+1, r.body)
		if want == 429 {
			assert.Contains(t, string(r.body), `"code":510`)
			// The server's clock is real: 2, or 1 had the calls before
			// taken over a second.
			assert.Contains(t, []string{"1", "2"}, r.header.Get("Retry-After"))
		}
	}
}
