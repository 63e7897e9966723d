package rubiq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/rubiq"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

const (
	byID1001      = "/userentity/dp-keyid/1001/data"
	byExt1001     = "/userentity/ext-key/crm-42/crm/data"
	verify1001    = "/entity/id/1001/verify"
	verifyExt1001 = "/entity/ext-key/crm-42/crm/verify"
)

// The seed document's example body, against a contract of name and email:
// name changes at once, email after verification, id is ignored, and
// nothing else changes.
func TestSeedExampleBody(t *testing.T) {
	e := newEnv(t)
	before := e.doc("1001")

	res := e.put(byID1001+"/account", "seed-example.json")
	assertAnswer(t, res, http.StatusOK, "200.1")
	held := e.doc("1001")
	assert.Equal(t, "John Doe", held["name"])
	assert.Equal(t, "ola@example.com", held["email"], "email waits for its code")

	res = e.verifyCode(verify1001, e.codeFor("mailbox@mailserver.com"))
	assertAnswer(t, res, http.StatusNoContent, "")

	want := map[string]any{}
	for k, v := range before {
		want[k] = v
	}
	want["name"], want["email"] = "John Doe", "mailbox@mailserver.com"
	assert.Equal(t, want, e.doc("1001"))
	assert.NotContains(t, e.doc("1001"), "id")

	h, err := e.eng.History(context.Background(), rubiq.EntityType, update.ByID("1001"))
	require.NoError(t, err)
	var paths []string
	for _, ev := range h[1:] {
		for _, c := range ev.Changes {
			paths = append(paths, c.Path)
		}
	}
	assert.ElementsMatch(t, []string{"/name", "/email"}, paths, "history of the update and the confirm")
}

// Only the members sent change: a merge, not a replace.
func TestUpdateMergesOnlySentFields(t *testing.T) {
	e := newEnv(t)
	before := e.doc("1001")
	res := e.put(byExt1001+"/profile", "city-oslo.json")
	assertAnswer(t, res, http.StatusOK, "200")
	after := e.doc("1001")
	assert.Equal(t, "Oslo", after["city"])
	delete(after, "city")
	assert.Equal(t, before, after)
}

// Every status of the 1003 table, each produced by a request.
func TestUpdateStatuses(t *testing.T) {
	tests := []struct {
		name    string
		adjust  func(*rubiq.Config)
		setup   func(e *env)
		token   string
		path    string
		body    string
		status  int
		answer  string
		changed bool // whether 1001 changes
	}{
		{name: "200/Updated", path: byID1001, body: "city-oslo.json", status: http.StatusOK, answer: "200", changed: true},
		{name: "200/SameValueChangesNothing", path: byID1001, body: "name-same.json", status: http.StatusOK, answer: "200"},
		{name: "200.1/EmailDispatched", path: byID1001, body: "email-new.json", status: http.StatusOK, answer: "200.1", changed: true},
		{name: "200.1/MobileDispatchedByExtKey", path: byExt1001, body: "mobile-new.json", status: http.StatusOK, answer: "200.1", changed: true},
		{
			name: "200.2/WindowLimit", adjust: func(c *rubiq.Config) { c.MaxSends = 1 },
			setup: func(e *env) {
				assertAnswer(e.tb, e.put(byID1001, "email-first.json"), http.StatusOK, "200.1")
				e.clk.Advance(10 * time.Minute)
			},
			path: byID1001, body: "email-new.json", status: http.StatusOK, answer: "200.2", changed: true,
		},
		{
			name: "200.3/Cooldown",
			setup: func(e *env) {
				assertAnswer(e.tb, e.put(byID1001, "email-first.json"), http.StatusOK, "200.1")
				e.clk.Advance(119 * time.Second)
			},
			path: byID1001, body: "email-new.json", status: http.StatusOK, answer: "200.3", changed: true,
		},
		{
			name: "200.3/StillInProgress",
			setup: func(e *env) {
				assertAnswer(e.tb, e.put(byID1001, "email-new.json"), http.StatusOK, "200.1")
				e.clk.Advance(10 * time.Minute)
			},
			path: byID1001, body: "email-new.json", status: http.StatusOK, answer: "200.3",
		},
		{
			name:  "200.3/DispatchFailed",
			setup: func(e *env) { e.rec.FailWith(errors.New("sms gateway down")) },
			path:  byID1001, body: "mobile-new.json", status: http.StatusOK, answer: "200.3", changed: true,
		},
		{name: "400/InvalidEmail", path: byID1001, body: "email-invalid.json", status: http.StatusBadRequest, answer: "400-email"},
		{
			name: "400.2/EmailHeldByAnother",
			setup: func(e *env) {
				e.create("2001", map[string]any{"name": "Kari", "email": "kari@example.com"}, storage.Active)
			},
			path: "/userentity/dp-keyid/2001/data", body: "email-ola.json", status: http.StatusBadRequest, answer: "400.2",
		},
		{name: "400.3/MobileFormat", path: byID1001, body: "mobile-garbage.json", status: http.StatusBadRequest, answer: "400.3"},
		{
			name:  "400.4/MobileHeldByActive",
			setup: func(e *env) { e.create("2001", map[string]any{"name": "Kari"}, storage.Active) },
			path:  "/userentity/dp-keyid/2001/data", body: "mobile-ola.json", status: http.StatusBadRequest, answer: "400.4",
		},
		{
			name: "400.4/MobilePendingOnActive",
			setup: func(e *env) {
				e.create("2001", map[string]any{"name": "Kari"}, storage.Active)
				assertAnswer(e.tb, e.put("/userentity/dp-keyid/2001/data", "mobile-new.json"), http.StatusOK, "200.1")
			},
			path: byID1001, body: "mobile-new.json", status: http.StatusBadRequest, answer: "400.4",
		},
		{name: "400.5/MobileHeldByInactive", path: byID1001, body: "mobile-inactive.json", status: http.StatusBadRequest, answer: "400.5"},
		{name: "404.1/UnknownDPKeyID", path: "/userentity/dp-keyid/9999/data", body: "city-oslo.json", status: http.StatusNotFound, answer: "404.1"},
		{name: "404.2/UnknownExtKey", path: "/userentity/ext-key/crm-99/crm/data", body: "city-oslo.json", status: http.StatusNotFound, answer: "404.2"},
		{name: "404.2/UnknownExtType", path: "/userentity/ext-key/crm-42/erp/data", body: "city-oslo.json", status: http.StatusNotFound, answer: "404.2"},
		{name: "412/NoUpdatePermission", token: readonlyToken, path: byID1001, body: "city-oslo.json", status: http.StatusPreconditionFailed, answer: "412"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var adjust []func(*rubiq.Config)
			if tc.adjust != nil {
				adjust = append(adjust, tc.adjust)
			}
			e := newEnv(t, adjust...)
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.snapshot("1001")
			token := tc.token
			if token == "" {
				token = appToken
			}
			res := e.do(http.MethodPut, tc.path, token, fixture(t, "requests/"+tc.body))
			assertAnswer(t, res, tc.status, tc.answer)
			after := e.snapshot("1001")
			if tc.changed {
				assert.Greater(t, after.Version, before.Version)
			} else {
				assert.Equal(t, before, after)
			}
		})
	}
}

// Sending the established value while a new one waits withdraws the new
// one: the entity keeps what it has and nothing is left to verify.
func TestUpdateBackToCurrentValueWithdrawsPending(t *testing.T) {
	e := newEnv(t)
	assertAnswer(t, e.put(byID1001, "email-new.json"), http.StatusOK, "200.1")
	code := e.codeFor("ola.new@example.com")
	assertAnswer(t, e.put(byExt1001, "email-ola.json"), http.StatusOK, "200")
	assertAnswer(t, e.verifyCode(verify1001, code), http.StatusNotImplemented, "501.2")
	assert.Equal(t, "ola@example.com", e.doc("1001")["email"])
}

// Entities racing for one mobile number: exactly one holds it (pending),
// every other gets 400.4.
func TestRaceForOneMobile(t *testing.T) {
	e := newEnv(t)
	const n = 20
	for i := range n {
		e.create(fmt.Sprintf("30%02d", i), map[string]any{"name": "racer"}, storage.Active)
	}
	body := fixture(t, "requests/mobile-new.json")
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.try(http.MethodPut, fmt.Sprintf("/userentity/dp-keyid/30%02d/data", i), appToken, body)
			var b rubiq.Body
			if err != nil || json.Unmarshal(res.body, &b) != nil {
				codes <- fmt.Sprintf("broken: %v %s", err, res.body)
				return
			}
			codes <- b.Status.Code
		}()
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[string]int{"200.1": 1, "400.4": n - 1}, count)
}
