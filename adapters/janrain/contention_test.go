package janrain_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/janrain"
)

// TestConcurrentAppends has 32 clients append 50 profiles each to one
// record through entity.update with attribute_name=profiles, over HTTP,
// on every backend: every append is acknowledged, none is refused, and
// every acknowledged one is in the record afterwards.
func TestConcurrentAppends(t *testing.T) {
	const clients, appends = 32, 50
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			if testing.Short() && b.Name != "memory" {
				t.Skip("-short: the persistent backends run without -short")
			}
			e := newEnvWith(t, b.Open(t), testConfig())
			var (
				mu      sync.Mutex
				acked   []string
				refused []string
				wg      sync.WaitGroup
			)
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range appends {
						ident := fmt.Sprintf("client%02d-append%02d", c, i)
						stat, answer := appendProfile(e.srv.URL, ident)
						mu.Lock()
						if stat == "ok" {
							acked = append(acked, ident)
						} else {
							refused = append(refused, answer)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			require.Empty(t, refused, "refused appends")
			assert.Len(t, acked, clients*appends)

			profiles, _ := e.view(t, janrain.DemoID).Doc["profiles"].([]any)
			stored := map[string]bool{}
			for _, p := range profiles {
				if m, ok := p.(map[string]any); ok {
					ident, _ := m["identifier"].(string)
					stored[ident] = true
				}
			}
			for _, ident := range acked {
				assert.True(t, stored[ident], "acknowledged append %s is missing", ident)
			}
			assert.Len(t, profiles, len(acked), "nothing but the acknowledged appends")
		})
	}
}

// appendProfile appends one profile to the demo record and returns the
// answer's stat and, for a refusal, the whole answer.
func appendProfile(base, ident string) (string, string) {
	f := url.Values{
		"type_name": {"user"}, "id": {janrain.DemoID}, "attribute_name": {"profiles"},
		"value": {`[{"domain":"example.com","identifier":"` + ident + `"}]`},
	}
	req, err := http.NewRequest(http.MethodPost, base+"/entity.update", strings.NewReader(f.Encode()))
	if err != nil {
		return "", err.Error()
	}
	req.Header.Set("Authorization", basic(ownerID, ownerSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err.Error()
	}
	var body struct{ Stat string }
	if err := json.Unmarshal(raw, &body); err != nil {
		return "", string(raw)
	}
	return body.Stat, string(raw)
}
