package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/druid"
	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/internal/curltest"
	"github.com/idupdate/idupdate/internal/pgtest"
)

// replica is one server process of a replica set.
type replica struct {
	shim
	cmd *exec.Cmd
}

// replicaConfig gives DRUID a second client beside the demo one, for the
// noisy-neighbour check, and a resend cooldown short enough for the
// test's codes to follow one another, and tokens that outlive its load;
// everything else is the demo
// configuration.
const replicaConfig = `{"druid": {"resendCooldown": "1ms", "tokenTTL": "10m", "clients": [
	{"id": "demo-app", "secret": "demo-app-secret", "challengeFlow": true, "assertConfirmed": true, "entryPoints": ["demo-entrypoint"], "scopes": ["update"]},
	{"id": "quiet-app", "secret": "quiet-app-secret", "challengeFlow": true, "entryPoints": ["quiet-entrypoint"], "scopes": ["update"]}
], "userTokens": [{"token": "demo-user-access-token", "client": "demo-app", "user": "druid-user-1"}]}}`

// TestReplicas runs three server processes on one PostgreSQL schema and
// checks that they answer as one server: the vendors' documented
// sessions with each request sent to another replica than the one
// before, concurrent updates and unique races, a code confirmed by 16
// clients at once, one replica killed mid-load, and a noisy client that
// does not starve a quiet one.
func TestReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	if testing.Short() {
		t.Skip("-short: the replica test builds the server and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "shimserver")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(cfgFile, []byte(replicaConfig), 0o600))

	store := "postgres:" + pgtest.SchemaDSN(t, dsn, "idupdate_replicas_")
	rs := []*replica{startReplica(t, bin, "-store", store, "-config", cfgFile)}
	var wg sync.WaitGroup
	more := make([]*replica, 2)
	for i := range more {
		wg.Go(func() { more[i] = startReplica(t, bin, "-store", store, "-config", cfgFile) })
	}
	wg.Wait()
	rs = append(rs, more...)
	for _, r := range rs {
		resp := r.do(t, "GET", "/readyz", nil)
		require.Equal(t, 200, resp.status, "readyz: %s", resp.body)
	}

	t.Run("DocumentedSessionsRoundRobin", func(t *testing.T) {
		for _, doc := range sessionDocs[1:] {
			t.Run(strings.TrimPrefix(doc, "../../"), func(t *testing.T) { replayRoundRobin(t, rs, doc) })
		}
	})
	t.Run("UniqueRaceHasOneWinner", func(t *testing.T) { uniqueRace(t, rs) })
	t.Run("ConfirmRaceHasOneSuccess", func(t *testing.T) {
		code := heldDRUIDUpdate(t, &rs[0].shim, "+34600999001")
		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				r := druidConfirm(t, &rs[i%len(rs)].shim, code)
				if r.status == 200 {
					ok.Add(1)
				} else {
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), ok.Load(), "exactly one confirmation succeeds")
		assert.Equal(t, int32(15), refused.Load())
	})
	t.Run("KillOneMidLoad", func(t *testing.T) { killMidLoad(t, rs) })
	t.Run("NoisyClientDoesNotStarveAQuietOne", func(t *testing.T) { noisyNeighbour(t, rs[:2]) })
}

// startReplica runs the built server with args on a free loopback port
// and waits until it listens; it is killed at the end of the test.
func startReplica(t *testing.T, bin string, args ...string) *replica {
	t.Helper()
	r := &replica{shim: shim{stdout: &syncBuffer{}, stderr: &syncBuffer{}}}
	r.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-log", "json"}, args...)...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	r.cmd.Env = append(os.Environ(), "IDUPDATE_CODE_KEY=")
	require.NoError(t, r.cmd.Start())
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = r.cmd.Process.Kill()
		}
	})
	deadline := time.After(60 * time.Second)
	for r.base == "" {
		select {
		case err := <-done:
			t.Fatalf("replica exited: %v\n%s", err, r.stderr)
		case <-deadline:
			t.Fatalf("replica did not listen within 60s\n%s", r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		sc := bufio.NewScanner(strings.NewReader(r.stderr.String()))
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				r.base = "http://" + l.Addr
			}
		}
	}
	return r
}

// rotation sends each request to the next replica in turn, so no two
// requests in a row go to the same one.
type rotation struct {
	hosts []string
	n     atomic.Uint64
}

func (rt *rotation) RoundTrip(req *http.Request) (*http.Response, error) {
	host := rt.hosts[(rt.n.Add(1)-1)%uint64(len(rt.hosts))]
	r := req.Clone(req.Context())
	r.URL.Host, r.Host = host, host
	return http.DefaultTransport.RoundTrip(r)
}

// replayRoundRobin replays doc's sessions with each request sent to the
// next replica, and checks every answer as the single-server test does.
func replayRoundRobin(t *testing.T, rs []*replica, doc string) {
	md, err := os.ReadFile(doc)
	require.NoError(t, err)
	steps := curltest.Steps(string(md))
	require.NotEmpty(t, steps)
	rt := &rotation{}
	for _, r := range rs {
		rt.hosts = append(rt.hosts, strings.TrimPrefix(r.base, "http://"))
	}
	sh := &curltest.Shell{Base: rs[0].base, Client: &http.Client{Transport: rt}}
	seen := 0
	latestCode(t, rs, &seen) // count the codes earlier sessions logged
	sh.Placeholder = func(name, comment string) string {
		switch {
		case strings.Contains(comment, "from your log"):
			code := latestCode(t, rs, &seen)
			require.NotEmpty(t, code, "no replica logged a code")
			return code
		case strings.Contains(comment, "of your answer"):
			var v map[string]any
			require.NoError(t, json.Unmarshal(sh.Last, &v))
			code, _ := v["emailCode"].(string)
			return code
		}
		return ""
	}
	for _, st := range steps {
		got := sh.Run(t, st.Script)
		if st.Output != "" {
			curltest.Equal(t, st.Output, got, fmt.Sprintf("%s:%d", doc, st.Line))
		}
	}
	assert.GreaterOrEqual(t, rt.n.Load(), uint64(len(rs)), "every replica served part of the session")
}

// latestCode returns the code logged last by any replica. A replica's
// log reaches the test through a pipe, maybe after its answer did, so it
// waits a moment for a code newer than the one it returned before.
func latestCode(t *testing.T, rs []*replica, seen *int) string {
	t.Helper()
	code := ""
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := 0
		at := time.Time{}
		for _, r := range rs {
			for _, l := range r.logLines(t) {
				if l["msg"] != "verification code" {
					continue
				}
				n++
				ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(l["time"]))
				if !ts.Before(at) {
					code, _ = l["code"].(string)
					at = ts
				}
			}
		}
		if n > *seen || time.Now().After(deadline) {
			*seen = n
			break
		}
	}
	return code
}

// replicaCode returns the code s logged for the address to, waiting for
// the log line to come through the pipe.
func replicaCode(t *testing.T, s *shim, to string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for _, l := range s.logLines(t) {
			if l["msg"] == "verification code" && l["to"] == to {
				code, _ := l["code"].(string)
				return code
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no code logged for %s", to)
		}
	}
}

// uniqueRace has 16 clients create a Janrain user with one email, spread
// over the replicas: exactly one succeeds.
func uniqueRace(t *testing.T, rs []*replica) {
	var won, lost atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			r := rs[i%len(rs)].do(t, "POST", "/entity.create",
				formBody("type_name", "user", "attributes", `{"email":"unique.race@example.com"}`),
				basicAuth(janrainOwner2), "Content-Type: application/x-www-form-urlencoded")
			if r.json(t)["stat"] == "ok" {
				won.Add(1)
			} else {
				lost.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), won.Load())
	assert.Equal(t, int32(15), lost.Load())
}

// heldDRUIDUpdate sends the demo user a new, held phone number through s
// and returns the code s logged for it. (The documented session has used
// up the email's sends for the day.)
func heldDRUIDUpdate(t *testing.T, s *shim, phone string) string {
	t.Helper()
	body := strings.Replace(string(fixture(t, "seed/druid-update.json")),
		`"value": "+34600111222", "confirmed": true`, `"value": "`+phone+`", "confirmed": false`, 1)
	r := druidUpdate(t, s, []byte(body))
	require.Equal(t, 200, r.status, string(r.body))
	return replicaCode(t, s, phone)
}

// killMidLoad has 32 clients append 50 Janrain profiles each to one
// record, each client moving to the next replica for every request, and
// kills the third replica with SIGKILL a third of the way in. Requests to
// the dead replica fail and are not acknowledged; every acknowledged
// append must be stored, nothing unsent may be, and the others keep
// answering. A token, a code and a challenge the killed replica issued
// work on the others afterwards.
func killMidLoad(t *testing.T, rs []*replica) {
	const clients, appends = 32, 50
	victim := rs[2]
	tok, verifier := druidToken(t, &victim.shim)
	code := heldDRUIDUpdate(t, &victim.shim, "+34600999002")

	var (
		mu         sync.Mutex
		acked      []string
		sent       = map[string]bool{}
		refused    []string
		total      atomic.Int32
		killed     atomic.Bool
		wg         sync.WaitGroup
		afterAcked atomic.Int32
	)
	for c := range clients {
		wg.Go(func() {
			for i := range appends {
				r := rs[(c+i)%len(rs)]
				if killed.Load() && r == victim {
					r = rs[(c+i+1)%2]
				}
				ident := fmt.Sprintf("replica-client%02d-append%02d", c, i)
				mu.Lock()
				sent[ident] = true
				mu.Unlock()
				if total.Add(1) == clients*appends/3 {
					assert.NoError(t, victim.cmd.Process.Signal(syscall.SIGKILL))
					killed.Store(true)
				}
				stat, answer := appendProfile(r.base, ident)
				mu.Lock()
				switch {
				case stat == "ok":
					acked = append(acked, ident)
					if killed.Load() && r != victim {
						afterAcked.Add(1)
					}
				case r != victim:
					refused = append(refused, answer)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.True(t, killed.Load())
	assert.Empty(t, refused, "the live replicas refused appends")
	assert.Greater(t, int(afterAcked.Load()), clients*appends/2, "the others kept answering after the kill")

	rec := janrainRecord(t, &rs[0].shim, janrain.DemoID)
	profiles, _ := rec["profiles"].([]any)
	stored := map[string]bool{}
	for _, p := range profiles {
		m, _ := p.(map[string]any)
		ident, _ := m["identifier"].(string)
		if strings.HasPrefix(ident, "replica-client") {
			stored[ident] = true
			assert.True(t, sent[ident], "%s is stored but was never sent", ident)
		}
	}
	for _, ident := range acked {
		assert.True(t, stored[ident], "acknowledged append %s is lost", ident)
	}

	t.Run("KilledReplicasCodeWorksElsewhere", func(t *testing.T) {
		r := druidConfirm(t, &rs[0].shim, code)
		assert.Equal(t, 200, r.status, string(r.body))
	})
	t.Run("KilledReplicasTokenWorksElsewhere", func(t *testing.T) {
		r := rs[1].do(t, "POST", druid.PathUpdate+"?code_verifier="+verifier, fixture(t, "seed/druid-update.json"),
			bearer(tok), jsonType, "Accept: application/json", "From: "+druid.DemoEntryPoint)
		assert.Contains(t, []int{200, 304}, r.status, string(r.body))
		r = rs[0].do(t, "POST", druid.PathUpdate+"?code_verifier="+verifier, fixture(t, "seed/druid-update.json"),
			bearer(tok), jsonType, "Accept: application/json", "From: "+druid.DemoEntryPoint)
		assert.Equal(t, 401, r.status, "spent on one replica, spent on all: %s", r.body)
	})
}

// appendProfile appends one profile to the Janrain demo record through
// base and returns the answer's stat, and the answer for a refusal.
func appendProfile(base, ident string) (string, string) {
	f := url.Values{
		"type_name": {"user"}, "id": {janrain.DemoID}, "attribute_name": {"profiles"},
		"value": {`[{"domain":"example.com","identifier":"` + ident + `"}]`},
	}
	req, err := http.NewRequest(http.MethodPost, base+"/entity.update", strings.NewReader(f.Encode()))
	if err != nil {
		return "", err.Error()
	}
	req.Header.Set("Authorization", strings.TrimPrefix(basicAuth(janrainOwner2), "Authorization: "))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err.Error()
	}
	defer resp.Body.Close()
	var body struct{ Stat string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err.Error()
	}
	return body.Stat, body.Stat
}

// noisyNeighbour sends 10,000 token requests of one client in a burst
// over the replicas and, in the middle of it, one of another client:
// the other client's request succeeds, and the noisy client is answered
// 200 or 429, never 503.
func noisyNeighbour(t *testing.T, rs []*replica) {
	const burst, workers = 10000, 32
	var next, ok, throttled atomic.Int32
	var other []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	form := func(client, secret string) []byte {
		return formBody("grant_type", "urn:druid:oauth2:grant-type:code_challenge",
			"client_id", client, "client_secret", secret,
			"code_challenge", druid.S256Challenge(strings.Repeat("v", 43)), "code_challenge_method", "S256")
	}
	for range workers {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > burst {
					return
				}
				r := rs[int(n)%len(rs)]
				if n%1000 == 0 {
					q := r.do(t, "POST", druid.PathToken, form("quiet-app", "quiet-app-secret"), "Content-Type: application/x-www-form-urlencoded")
					mu.Lock()
					other = append(other, q.status)
					mu.Unlock()
				}
				a := r.do(t, "POST", druid.PathToken, form(druid.DemoClientID, druid.DemoSecret), "Content-Type: application/x-www-form-urlencoded")
				switch a.status {
				case 200:
					ok.Add(1)
				case 429:
					throttled.Add(1)
				default:
					t.Errorf("noisy client answered %d: %s", a.status, a.body)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(burst), ok.Load()+throttled.Load())
	assert.Positive(t, throttled.Load(), "the noisy client went past its quota")
	require.Len(t, other, burst/1000)
	for _, s := range other {
		assert.Equal(t, 200, s, "the quiet client is served during the burst")
	}
}
