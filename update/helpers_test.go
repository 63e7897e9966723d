package update_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// clock is a settable clock; tests never sleep.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// userPolicy is a representative schema: plain fields with rules, a nested
// object, an upsert plural, a confirmable email held until verified, a
// confirmable phone applied unverified, a password, server-owned fields.
func userPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {
			Fields: map[string]*update.Field{
				"/id":                     {Mutability: update.ReadOnly},
				"/createdBy":              {Type: update.TypeString, Keep: true},
				"/givenName":              {Type: update.TypeString, Rules: "max=20"},
				"/familyName":             {Type: update.TypeString, Required: true, Rules: "min=1,max=20"},
				"/displayName":            {Type: update.TypeString, Rules: "max=40"},
				"/nickName":               {Type: update.TypeString},
				"/age":                    {Type: update.TypeInteger, Rules: "gte=0,lte=150"},
				"/username":               {Type: update.TypeString, Unique: true, Mutability: update.SetOnce},
				"/note":                   {Type: update.TypeString, Mutability: update.WriteOnly},
				"/primaryAddress/city":    {Type: update.TypeString, Rules: "max=30"},
				"/primaryAddress/country": {Type: update.TypeString, Rules: "len=2"},
				"/email": {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail,
					Confirm: &update.Confirm{Channel: "email", Mode: update.Hold, VerifiedPath: "/emailVerified",
						Cooldown: update.Duration(2 * time.Minute), MaxSends: 3, Window: update.Duration(time.Hour), ReservePending: true}},
				"/emailVerified": {Type: update.TypeBoolean},
				"/phone": {Type: update.TypeString, Normalize: update.NormalizePhone, Region: "CH",
					Confirm: &update.Confirm{Channel: "sms", Mode: update.ApplyUnverified, VerifiedPath: "/phoneVerified",
						Code: update.CodeSpec{Length: 6, Alphabet: verify.Digits}}},
				"/phoneVerified": {Type: update.TypeBoolean},
				"/statuses": {Type: update.TypeArray, Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id",
					KeyGen: update.KeyGenInt, LocallyUnique: []string{"status"}}},
				"/statuses/*/status": {Type: update.TypeString, Required: true, Rules: "oneof=active inactive new"},
				"/tags":              {Type: update.TypeArray, Plural: &update.Plural{Mode: update.PluralAppend}},
				"/password": {Secret: &update.Secret{Cost: 4, AcceptHashed: []string{"bcrypt"}, MinCost: 4, MaxCost: 12,
					Complexity: update.Complexity{MinLength: 8, Upper: true, Digit: true}}},
			},
			Limits: update.Limits{MaxDepth: 8, MaxPlural: 20, MaxString: 200},
		}},
		Grants: map[string]update.Grant{
			"admin":    {Write: true, Create: true, Delete: true, AssertVerified: true, ReturnCode: true},
			"app":      {Write: true, ReturnCode: true},
			"reader":   {},
			"profiler": {Write: true, Paths: []string{"/givenName", "/primaryAddress/city"}},
		},
	}
}

type fixture struct {
	eng   *update.Engine
	store storage.Store
	clock *clock
	sent  *verify.Recorder
}

func newFixture(t testing.TB, store storage.Store, pol *update.Policy, opts ...update.Option) *fixture {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	if pol == nil {
		pol = userPolicy()
	}
	f := &fixture{store: store, clock: newClock(), sent: &verify.Recorder{}}
	ids := 0
	var mu sync.Mutex
	opts = append([]update.Option{
		update.WithClock(f.clock.Now), update.WithDispatcher(f.sent),
		update.WithIDGenerator(func() string {
			mu.Lock()
			defer mu.Unlock()
			ids++
			return "id" + strconv.Itoa(ids)
		}),
	}, opts...)
	eng, err := update.New(store, pol, opts...)
	require.NoError(t, err)
	f.eng = eng
	t.Cleanup(func() { _ = store.Close() })
	return f
}

// seed creates the standard test user "u1".
func (f *fixture) seed(t testing.TB) {
	t.Helper()
	_, err := f.eng.Create(context.Background(), update.CreateRequest{
		Type: "user", ID: "u1", Client: "admin",
		Server: map[string]any{"id": "u1"},
		Doc: doc(t, `{"createdBy":"seed","givenName":"Matthew","familyName":"Park","displayName":"Matt P",
			"username":"mpark","email":"mparker@example.com","phone":"+41791234567",
			"primaryAddress":{"city":"Bern","country":"CH"},
			"statuses":[{"id":5253,"status":"inactive"}],"tags":["a"]}`),
		Verified: []string{"/email", "/phone"},
		Secrets:  map[string]update.SecretValue{"/password": {Plain: "Secret123"}},
	})
	require.NoError(t, err)
}

// snapshot is everything a failed request must leave as it was.
func (f *fixture) snapshot(t testing.TB, id string) string {
	t.Helper()
	rec, err := f.store.Get(context.Background(), "user", id)
	require.NoError(t, err)
	hist, err := f.store.History(context.Background(), "user", id)
	require.NoError(t, err)
	b, err := json.Marshal(struct {
		R *storage.Record
		H []storage.Event
	}{rec, hist})
	require.NoError(t, err)
	return string(b)
}

func (f *fixture) get(t testing.TB, id string) *update.View {
	t.Helper()
	v, err := f.eng.Get(context.Background(), "user", update.ByID(id))
	require.NoError(t, err)
	return v
}

func doc(t testing.TB, s string) map[string]any {
	t.Helper()
	v, err := merge.Decode([]byte(s), merge.DecodeLimits{})
	require.NoError(t, err)
	m, ok := v.(map[string]any)
	require.True(t, ok, "not an object: %s", s)
	return m
}

func val(t testing.TB, s string) any {
	t.Helper()
	v, err := merge.Decode([]byte(s), merge.DecodeLimits{})
	require.NoError(t, err)
	return v
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
