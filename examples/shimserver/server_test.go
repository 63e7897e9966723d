package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/verify"
)

func TestHealthzAndUnknownPaths(t *testing.T) {
	s := startShim(t, "-store", "memory")
	t.Run("HealthzIsOK", func(t *testing.T) {
		r := s.do(t, "GET", "/healthz", nil)
		assert.Equal(t, 200, r.status)
		assert.JSONEq(t, `{"status":"ok"}`, string(r.body))
		assert.NotEmpty(t, r.header.Get("X-Request-Id"))
	})
	t.Run("UnknownPathIs404", func(t *testing.T) {
		assert.Equal(t, 404, s.do(t, "GET", "/nowhere", nil).status)
	})
	t.Run("PlainRequestIDIsKeptOthersReplaced", func(t *testing.T) {
		assert.Equal(t, "trace-1.a_b", s.do(t, "GET", "/healthz", nil, "X-Request-Id: trace-1.a_b").header.Get("X-Request-Id"))
		got := s.do(t, "GET", "/healthz", nil, "X-Request-Id: bad id<script>").header.Get("X-Request-Id")
		assert.Regexp(t, `^[0-9a-f]{16}$`, got)
	})
}

func TestBannerShowsAddressStoreAndDemoCurls(t *testing.T) {
	s := startShim(t, "-store", "memory")
	out := s.stdout.String()
	assert.Contains(t, out, "listening  "+s.base)
	assert.Contains(t, out, "store      memory")
	assert.Contains(t, out, "DEVELOPMENT MODE")
	for _, want := range []string{
		"demo_reader:demo_reader_secret", "demo-app / demo-app-secret", "demo-rubiq-app", "demo-zitadel-admin",
		"user id 5252", "druid-user-1", "entity 1001", "69629026806489455",
		"curl -s -u demo_reader:demo_reader_secret --data-urlencode type_name=user --data-urlencode id=5252 " + s.base + "/entity",
		s.base + "/userentity/dp-keyid/1001/data",
		s.base + "/v2/users/69629026806489455",
		s.base + "/oauth2/token",
	} {
		assert.Contains(t, out, want)
	}
}

func TestBadCommandLinesAreRefused(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	require.NoError(t, os.WriteFile(short, []byte(hex.EncodeToString(make([]byte, 16))), 0o600))
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want error
	}{
		{"UnknownStore", []string{"-store", "redis:x"}, nil, storeopen.ErrSpec},
		{"SQLiteWithoutPath", []string{"-store", "sqlite:"}, nil, storeopen.ErrSpec},
		{"PostgresWithoutDSN", []string{"-store", "postgres"}, nil, storeopen.ErrSpec},
		{"UnknownLogFormat", []string{"-log", "xml"}, nil, errUsage},
		{"UnknownFlag", []string{"-bogus"}, nil, errUsage},
		{"StrayArgument", []string{"extra"}, nil, errUsage},
		{"WebhookWithoutKey", []string{"-webhook", "http://127.0.0.1:1/hook"}, nil, errUsage},
		{"NegativeFeedRetention", []string{"-feed-retention", "-1s"}, nil, errUsage},
		{"MissingCodeKeyFile", []string{"-code-key-file", filepath.Join(dir, "none")}, nil, storeopen.ErrCodeKey},
		{"ShortCodeKeyFile", []string{"-code-key-file", short}, nil, storeopen.ErrCodeKey},
		{"CodeKeyEnvNotHex", nil, map[string]string{"IDUPDATE_CODE_KEY": "not hex"}, storeopen.ErrCodeKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-store", "memory", "-addr", "127.0.0.1:0"}, tc.args...)
			getenv := func(k string) string { return tc.env[k] }
			err := run(context.Background(), args, getenv, io.Discard, io.Discard, func(string) { t.Error("the server started") })
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestCodeKey(t *testing.T) {
	dir := t.TempDir()
	t.Run("SQLiteKeyFileIsCreatedPrivateAndReused", func(t *testing.T) {
		spec := storeopen.Spec{Kind: "sqlite", Arg: filepath.Join(dir, "a.db")}
		first, err := storeopen.StoreKey(spec)
		require.NoError(t, err)
		info, err := os.Stat(spec.Arg + ".key")
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		assert.Len(t, first.Key, storeopen.CodeKeyBytes)
		assert.False(t, first.Ephemeral)

		again, err := storeopen.StoreKey(spec)
		require.NoError(t, err)
		assert.Equal(t, first.Key, again.Key)
	})
	t.Run("EnvironmentWinsOverTheKeyFile", func(t *testing.T) {
		want := bytes.Repeat([]byte{7}, 32)
		got, ok, err := storeopen.ExplicitKey("", hex.EncodeToString(want))
		require.True(t, ok)
		require.NoError(t, err)
		assert.Equal(t, want, got.Key)
		assert.NoFileExists(t, filepath.Join(dir, "b.db.key"))
	})
	t.Run("FlagWinsOverTheEnvironment", func(t *testing.T) {
		want := bytes.Repeat([]byte{9}, 40)
		file := filepath.Join(dir, "flag.key")
		require.NoError(t, os.WriteFile(file, []byte(hex.EncodeToString(want)+"\n"), 0o600))
		got, ok, err := storeopen.ExplicitKey(file, hex.EncodeToString(bytes.Repeat([]byte{1}, 32)))
		require.True(t, ok)
		require.NoError(t, err)
		assert.Equal(t, want, got.Key)
	})
	t.Run("SharedStoreHoldsOneKey", func(t *testing.T) {
		st, err := sqlite.Open(filepath.Join(dir, "shared.db"))
		require.NoError(t, err)
		defer st.Close()
		keys := make([]storeopen.KeySource, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := storeopen.SharedKey(context.Background(), st)
				assert.NoError(t, err)
				keys[i] = k
			})
		}
		wg.Wait()
		require.Len(t, keys[0].Key, storeopen.CodeKeyBytes)
		for _, k := range keys[1:] {
			assert.Equal(t, keys[0].Key, k.Key, "every process starting at once gets the first one's key")
		}
		again, err := storeopen.SharedKey(context.Background(), st)
		require.NoError(t, err)
		assert.Equal(t, keys[0].Key, again.Key, "and every later start")
		assert.False(t, again.Ephemeral)
	})
	t.Run("MemoryGetsAFreshKeyEachStart", func(t *testing.T) {
		for _, kind := range []string{"memory"} {
			a, err := storeopen.StoreKey(storeopen.Spec{Kind: kind})
			require.NoError(t, err)
			b, err := storeopen.StoreKey(storeopen.Spec{Kind: kind})
			require.NoError(t, err)
			assert.True(t, a.Ephemeral)
			assert.Len(t, a.Key, storeopen.CodeKeyBytes)
			assert.NotEqual(t, a.Key, b.Key)
		}
	})
}

func TestStoreSpec(t *testing.T) {
	tests := []struct {
		in, env, kind, arg, shown string
	}{
		{"memory", "", "memory", "", "memory"},
		{"sqlite:data/x.db", "", "sqlite", "data/x.db", "sqlite:data/x.db"},
		{"postgres:postgres://u:pw@db/app", "", "postgres", "postgres://u:pw@db/app", "postgres (postgres://u:xxxxx@db/app)"},
		{"postgres", "host=db password=pw dbname=app", "postgres", "host=db password=pw dbname=app", "postgres (host=db password=xxxxx dbname=app)"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			spec, err := storeopen.ParseSpec(tc.in, tc.env)
			require.NoError(t, err)
			assert.Equal(t, tc.kind, spec.Kind)
			assert.Equal(t, tc.arg, spec.Arg)
			assert.Equal(t, tc.shown, spec.String())
		})
	}
}

// hookReceiver is a webhook endpoint that checks signatures and keeps the
// messages.
type hookReceiver struct {
	key []byte
	mu  sync.Mutex
	got []verify.Message
	bad int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	defer h.mu.Unlock()
	if !verify.VerifySignature(h.key, body, r.Header.Get(verify.SignatureHeader)) {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m verify.Message
	if err := json.Unmarshal(body, &m); err != nil {
		h.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.got = append(h.got, m)
}

func (h *hookReceiver) messages() ([]verify.Message, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]verify.Message(nil), h.got...), h.bad
}

func TestWebhookReceivesSignedCodes(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	hook := &hookReceiver{key: key}
	receiver := httptest.NewServer(hook)
	t.Cleanup(receiver.Close)

	s := startShimEnv(t, map[string]string{"IDUPDATE_WEBHOOK_KEY": hex.EncodeToString(key)},
		"-store", "memory", "-webhook", receiver.URL)
	rubiqSeedUpdate(t, s)

	msgs, bad := hook.messages()
	assert.Zero(t, bad, "every delivery is signed with the key")
	require.Len(t, msgs, 1)
	assert.Equal(t, "mailbox@mailserver.com", msgs[0].To)
	r := rubiqVerify(t, s, msgs[0].Code)
	assert.Equal(t, 204, r.status, string(r.body))

	assert.NotContains(t, s.stderr.String(), "verification code", "nothing is logged in webhook mode")
	assert.NotContains(t, s.stderr.String(), msgs[0].Code)
	assert.NotContains(t, s.stdout.String(), "DEVELOPMENT MODE")
	assert.Contains(t, s.stdout.String(), "sent to the webhook "+receiver.URL)
}

// TestShutdownFinishesInFlightRequests stops the server while a request
// body is still arriving: the request completes, the change is made, and
// new connections are refused.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shim.db")
	s := startShim(t, "-store", "sqlite:"+db)

	// Expect: 100-continue holds the body back until the handler starts
	// reading it, so once the first bytes are taken the request is in
	// flight inside the server.
	pr, pw := io.Pipe()
	req, err := http.NewRequest("PUT", s.base+"/userentity/dp-keyid/1001/data", pr)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+rubiqAppToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	answered := make(chan response, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			answered <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- response{status: resp.StatusCode, body: body}
	}()
	_, err = pw.Write([]byte(`{"city":`))
	require.NoError(t, err)

	s.cancel()
	require.Eventually(t, func() bool { return strings.Contains(s.stderr.String(), `"msg":"shutting down"`) },
		10*time.Second, 10*time.Millisecond)
	_, err = http.Get(s.base + "/healthz")
	assert.Error(t, err, "no new connections during shutdown")

	_, err = pw.Write([]byte(`"Tromsø"}`))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	r := <-answered
	assert.Equal(t, 200, r.status, string(r.body))
	s.stop(t)

	city := stored(t, "sqlite:"+db, rubiq.Policy(rubiq.DemoConfig()), rubiq.EntityType, "1001").Doc["city"]
	assert.Equal(t, "Tromsø", city, "committed before the store closed")
}
