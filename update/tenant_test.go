package update_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// tenantPolicy has records owned by the tenant at /org: usernames unique
// per tenant (except in the global tenants g1 and g2), emails unique
// across tenants, and grants limited to tenants A, B, or both.
func tenantPolicy() *update.Policy {
	all := update.Grant{Write: true, Create: true, Delete: true, ReturnCode: true}
	limited := func(tenants ...string) update.Grant {
		g := all
		g.Tenants = tenants
		return g
	}
	return &update.Policy{
		Types: map[string]*update.Schema{
			"user": {
				Fields: map[string]*update.Field{
					"/org":      {Type: update.TypeString, Required: true, Mutability: update.SetOnce, Query: &update.Queryable{CaseExact: true}},
					"/username": {Type: update.TypeString, Required: true, Unique: true, Query: &update.Queryable{CaseExact: true}},
					"/email":    {Type: update.TypeString, Unique: true, UniqueScope: update.ScopeGlobal, Normalize: update.NormalizeEmail},
					"/name":     {Type: update.TypeString, Query: &update.Queryable{}},
					"/phone": {Type: update.TypeString, Normalize: update.NormalizePhone, Region: "CH",
						Confirm: &update.Confirm{Channel: "sms", Mode: update.ApplyUnverified, VerifiedPath: "/phoneVerified"}},
					"/phoneVerified": {Type: update.TypeBoolean},
					"/password":      {Secret: &update.Secret{Cost: 4, Reset: &update.Reset{Channel: "sms", To: "/phone"}}},
				},
				Tenant: &update.Tenancy{Path: "/org", Global: []string{"g1", "g2"}},
			},
			"plain": {Fields: map[string]*update.Field{"/name": {Type: update.TypeString}}},
		},
		Grants: map[string]update.Grant{
			"root": all,
			"a":    limited("A"),
			"b":    limited("B"),
			"ab":   limited("A", "B"),
		},
	}
}

// tenantUser creates a user of tenant org as root.
func tenantUser(t *testing.T, f *fixture, id, org, username, email string) {
	t.Helper()
	d := map[string]any{"org": org, "username": username, "name": strings.ToUpper(id), "phone": "+41791234567"}
	if email != "" {
		d["email"] = email
	}
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: id, Client: "root", Doc: d,
		Secrets: map[string]update.SecretValue{"/password": {Plain: "Secret123"}}})
	require.NoError(t, err)
}

// TestTenantUniqueness runs on every backend: a tenant-scoped value may be
// held once per tenant, a global one once in all, and global tenants
// share one namespace.
func TestTenantUniqueness(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), tenantPolicy())
		tenantUser(t, f, "a1", "A", "minnie", "minnie@a.example")
		tenantUser(t, f, "b1", "B", "minnie", "minnie@b.example")
		tenantUser(t, f, "g1-1", "g1", "minnie", "")

		for _, tc := range []struct {
			name, client, org, username, email, field string
		}{
			{"SameTenant", "root", "A", "minnie", "", "/username"},
			{"SameTenantLimitedGrant", "a", "A", "minnie", "", "/username"},
			{"GlobalFieldOtherTenant", "root", "B", "mickey", "minnie@a.example", "/email"},
			{"GlobalTenants", "root", "g2", "minnie", "", "/username"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := map[string]any{"org": tc.org, "username": tc.username}
				if tc.email != "" {
					d["email"] = tc.email
				}
				_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "new", Client: tc.client, Doc: d})
				require.Equal(t, update.NotUnique, update.ErrorCode(err), "%v", err)
				e := update.AsError(err)
				require.NotNil(t, e.Holder)
				assert.Equal(t, tc.field, e.Holder.Key.Name, "the key as the client names it")
				assert.Equal(t, tc.field, e.Fields[0].Path)
				_, err = f.eng.Get(ctx, "user", update.ByID("new"))
				assert.Equal(t, update.NotFound, update.ErrorCode(err), "nothing stored")
			})
		}

		t.Run("HolderConcealedFromLimitedGrant", func(t *testing.T) {
			_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "new", Client: "b",
				Doc: map[string]any{"org": "B", "username": "mickey", "email": "minnie@a.example"}})
			e := update.AsError(err)
			require.NotNil(t, e)
			require.NotNil(t, e.Holder)
			assert.Empty(t, e.Holder.HolderID, "the holder is in another tenant")
			_, err = f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "new", Client: "root",
				Doc: map[string]any{"org": "B", "username": "mickey", "email": "minnie@a.example"}})
			assert.Equal(t, "a1", update.AsError(err).Holder.HolderID, "an unlimited grant sees it")
		})

		t.Run("OtherTenantsAreFree", func(t *testing.T) {
			tenantUser(t, f, "c1", "C", "minnie", "")
			tenantUser(t, f, "a2", "A", "daisy", "")
			_, err := apply(f, update.Request{Type: "user", Locator: update.ByID("a2"), Client: "a", Doc: map[string]any{"username": "minnie"}})
			assert.Equal(t, update.NotUnique, update.ErrorCode(err), "renaming into a held name")
			_, err = apply(f, update.Request{Type: "user", Locator: update.ByID("b1"), Client: "b", Doc: map[string]any{"username": "daisy"}})
			assert.NoError(t, err, "daisy is A's, not B's")
		})

		t.Run("KeysShownWithoutTenant", func(t *testing.T) {
			v := f.get(t, "a1")
			assert.Contains(t, v.Keys, storage.Key{Name: "/username", Value: "minnie"})
			assert.Contains(t, v.Keys, storage.Key{Name: "/email", Value: "minnie@a.example"})
		})
	})
}

// TestTenantLookups finds a user by key within a tenant.
func TestTenantLookups(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), tenantPolicy())
		tenantUser(t, f, "a1", "A", "minnie", "minnie@a.example")
		tenantUser(t, f, "b1", "B", "minnie", "minnie@b.example")
		tenantUser(t, f, "g1-1", "g1", "goofy", "")
		missing := func(t *testing.T, err error) {
			t.Helper()
			// Exactly the error of a key no record holds.
			_, none := f.eng.Get(ctx, "user", update.ByKey("/email", "nobody@example.com"), update.AsClient("root"))
			require.Error(t, none)
			require.Error(t, err)
			assert.Equal(t, none.Error(), err.Error())
			assert.Equal(t, update.AsError(none).Reason, update.AsError(err).Reason)
		}

		for _, tc := range []struct {
			name, client string
			loc          update.Locator
			want         string
		}{
			{"InA", "root", update.ByKey("/username", "minnie").In("A"), "a1"},
			{"InB", "root", update.ByKey("/username", "minnie").In("B"), "b1"},
			{"GrantsTenant", "a", update.ByKey("/username", "minnie"), "a1"},
			{"GrantsOtherTenant", "b", update.ByKey("/username", "minnie"), "b1"},
			{"OneOfTheGrantsTenants", "ab", update.ByKey("/username", "minnie").In("B"), "b1"},
			{"GlobalField", "root", update.ByKey("/email", "minnie@b.example"), "b1"},
			{"GlobalTenant", "root", update.ByKey("/username", "goofy").In("g1"), "g1-1"},
			{"ByIDInTenant", "root", update.ByID("a1").In("A"), "a1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				v, err := f.eng.Get(ctx, "user", tc.loc, update.AsClient(tc.client))
				require.NoError(t, err)
				assert.Equal(t, tc.want, v.ID)
			})
		}
		t.Run("NoTenantNamed", func(t *testing.T) {
			for _, client := range []string{"root", "ab"} {
				_, err := f.eng.Get(ctx, "user", update.ByKey("/username", "minnie"), update.AsClient(client))
				assert.Equal(t, update.Malformed, update.ErrorCode(err))
				assert.Equal(t, update.RuleTenant, update.ErrorFields(err)[0].Rule)
			}
		})
		t.Run("OutsideTheGrant", func(t *testing.T) {
			for _, tc := range []struct {
				client string
				loc    update.Locator
			}{
				{"a", update.ByKey("/username", "minnie").In("B")},
				{"a", update.ByKey("/email", "minnie@b.example")},
				{"a", update.ByID("b1")},
				{"root", update.ByID("b1").In("A")},
				{"root", update.ByKey("/email", "minnie@b.example").In("A")},
				{"b", update.ByKey("/username", "goofy").In("g1")},
			} {
				_, err := f.eng.Get(ctx, "user", tc.loc, update.AsClient(tc.client))
				missing(t, err)
			}
		})
		t.Run("TypeWithoutTenants", func(t *testing.T) {
			_, err := f.eng.Get(ctx, "plain", update.ByID("x").In("A"))
			assert.Equal(t, update.Malformed, update.ErrorCode(err))
			_, err = f.eng.Get(ctx, "plain", update.ByID("x"), update.AsClient("a"))
			assert.Equal(t, update.Forbidden, update.ErrorCode(err), "a grant limited to tenants has no business there")
		})
	})
}

// TestTenantGrants checks every call of a grant limited to tenant B on a
// record of tenant A: each answers exactly as for a missing record, and
// nothing changes — no version, history, pending code or message.
func TestTenantGrants(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), tenantPolicy())
		tenantUser(t, f, "a1", "A", "minnie", "minnie@a.example")
		tenantUser(t, f, "b1", "B", "minnie", "minnie@b.example")
		f.clock.Advance(time.Hour) // past every cooldown
		// An open challenge whose code the test knows.
		res, err := apply(f, update.Request{Type: "user", Locator: update.ByID("a1"), Client: "root",
			Doc: map[string]any{"phone": "+41797654321"}, Delivery: map[string]update.Delivery{"/phone": {Kind: update.ReturnCode}}})
		require.NoError(t, err)
		code := res.Pending[0].Code
		f.clock.Advance(time.Hour)

		calls := map[string]func(client string, loc update.Locator) error{
			"Get": func(client string, loc update.Locator) error {
				_, err := f.eng.Get(ctx, "user", loc, update.AsClient(client))
				return err
			},
			"History": func(client string, loc update.Locator) error {
				_, err := f.eng.History(ctx, "user", loc, update.AsClient(client))
				return err
			},
			"Apply": func(client string, loc update.Locator) error {
				_, err := apply(f, update.Request{Type: "user", Locator: loc, Client: client, Doc: map[string]any{"name": "Mallory"}})
				return err
			},
			"ApplySecret": func(client string, loc update.Locator) error {
				_, err := apply(f, update.Request{Type: "user", Locator: loc, Client: client,
					Secrets: map[string]update.SecretValue{"/password": {Plain: "Other123", Current: "Secret123"}}})
				return err
			},
			"Confirm": func(client string, loc update.Locator) error {
				_, err := f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: loc, Client: client, Path: "/phone", Code: code})
				return err
			},
			"Resend": func(client string, loc update.Locator) error {
				_, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: loc, Client: client, Path: "/phone",
					Delivery: update.Delivery{Kind: update.ReturnCode}})
				return err
			},
			"Reset": func(client string, loc update.Locator) error {
				_, err := f.eng.Reset(ctx, update.ResetRequest{Type: "user", Locator: loc, Client: client, Path: "/password",
					Delivery: update.Delivery{Kind: update.ReturnCode}})
				return err
			},
			"Cancel": func(client string, loc update.Locator) error {
				_, err := f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Locator: loc, Client: client, Path: "/phone"})
				return err
			},
			"Delete": func(client string, loc update.Locator) error {
				return f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Locator: loc, Client: client})
			},
			"DeleteExpect": func(client string, loc update.Locator) error {
				v := uint64(2)
				return f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Locator: loc, Client: client, Expect: update.Expect{Version: &v}})
			},
		}
		for name, call := range calls {
			t.Run(name, func(t *testing.T) {
				before, sent := f.snapshot(t, "a1"), len(f.sent.Messages())
				absent := call("b", update.ByID("nobody"))
				require.Equal(t, update.NotFound, update.ErrorCode(absent), "%v", absent)
				for _, loc := range []update.Locator{update.ByID("a1"), update.ByKey("/email", "minnie@a.example")} {
					err := call("b", loc)
					require.Error(t, err, "%v", loc)
					assert.Equal(t, absent.Error(), err.Error(), "another tenant's record is a missing one")
					assert.Equal(t, update.AsError(absent).Reason, update.AsError(err).Reason)
				}
				err := call("root", update.ByID("a1").In("B"))
				require.Error(t, err)
				assert.Equal(t, absent.Error(), err.Error(), "a locator's tenant limits an unlimited grant too")
				assert.Equal(t, before, f.snapshot(t, "a1"))
				assert.Len(t, f.sent.Messages(), sent, "no code went out")
			})
		}

		t.Run("CreateInAnotherTenant", func(t *testing.T) {
			_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "new", Client: "b",
				Doc: map[string]any{"org": "A", "username": "daisy"}})
			assert.Equal(t, update.Forbidden, update.ErrorCode(err))
			assert.Equal(t, []update.FieldError{{Path: "/org", Rule: update.RuleGrant, Message: "names a tenant the client may not create records in"}},
				update.ErrorFields(err))
			_, err = f.eng.Get(ctx, "user", update.ByID("new"))
			assert.Equal(t, update.NotFound, update.ErrorCode(err))
		})

		t.Run("OwnTenantWorks", func(t *testing.T) {
			// The same calls on B's own record succeed for b, and ab reaches both.
			_, err := apply(f, update.Request{Type: "user", Locator: update.ByKey("/username", "minnie"), Client: "b", Doc: map[string]any{"name": "Minnie B"}})
			require.NoError(t, err)
			_, err = f.eng.Get(ctx, "user", update.ByID("a1"), update.AsClient("ab"))
			require.NoError(t, err)
			require.NoError(t, f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Locator: update.ByID("b1"), Client: "b"}))
		})

		t.Run("TenantIsImmutable", func(t *testing.T) {
			_, err := apply(f, update.Request{Type: "user", Locator: update.ByID("a1"), Client: "root", Doc: map[string]any{"org": "B"}})
			assert.Equal(t, update.Immutable, update.ErrorCode(err))
		})
	})
}

// TestTenantListing keeps List and Count within the grant's tenants and a
// request's tenant, on every backend.
func TestTenantListing(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		f := newFixture(t, open(t), tenantPolicy())
		tenantUser(t, f, "a1", "A", "minnie", "")
		tenantUser(t, f, "a2", "A", "daisy", "")
		tenantUser(t, f, "b1", "B", "minnie", "")
		tenantUser(t, f, "c1", "C", "minnie", "")
		tenantUser(t, f, "g1-1", "g1", "minnie", "")
		minnie := &storage.Filter{Op: storage.Eq, Path: "/username", Value: "minnie"}
		ids := func(t *testing.T, client, tenant string, f0 *storage.Filter) []string {
			t.Helper()
			res, err := f.eng.List(ctx, update.ListRequest{Type: "user", Client: client, Tenant: tenant, Filter: f0, Total: true})
			require.NoError(t, err)
			var out []string
			for _, v := range res.Views {
				out = append(out, v.ID)
			}
			assert.Equal(t, len(out), res.Total)
			n, err := f.eng.Count(ctx, update.CountRequest{Type: "user", Client: client, Tenant: tenant, Filter: f0})
			require.NoError(t, err)
			assert.Equal(t, len(out), n, "Count agrees with List")
			return out
		}
		assert.Equal(t, []string{"a1", "a2"}, ids(t, "a", "", nil))
		assert.Equal(t, []string{"a1"}, ids(t, "a", "", minnie))
		assert.Equal(t, []string{"a1", "a2", "b1"}, ids(t, "ab", "", nil))
		assert.Equal(t, []string{"a1", "b1"}, ids(t, "ab", "", minnie))
		assert.Equal(t, []string{"b1"}, ids(t, "ab", "B", minnie))
		assert.Empty(t, ids(t, "a", "B", nil), "a tenant outside the grant lists nothing")
		assert.Equal(t, []string{"a1", "b1", "c1", "g1-1"}, ids(t, "root", "", minnie))
		assert.Equal(t, []string{"c1"}, ids(t, "root", "C", minnie))
		assert.Equal(t, []string{"g1-1"}, ids(t, "root", "g1", minnie))
		// A bad filter is refused whatever the tenant.
		_, err := f.eng.List(ctx, update.ListRequest{Type: "user", Client: "a", Tenant: "B",
			Filter: &storage.Filter{Op: storage.Eq, Path: "/password", Value: "x"}})
		assert.Equal(t, update.Malformed, update.ErrorCode(err))
		// Asking for another tenant by filter does not widen the grant.
		assert.Empty(t, ids(t, "a", "", &storage.Filter{Op: storage.Eq, Path: "/org", Value: "B"}))
	})
}

// TestTenantRekey moves a store written without tenants to per-tenant
// keys: after Rekey the same username can exist in another tenant.
func TestTenantRekey(t *testing.T) {
	each(t, func(t *testing.T, open opener) {
		store := open(t)
		before := tenantPolicy()
		before.Types["user"].Tenant = nil
		before.Types["user"].Fields["/email"].UniqueScope = ""
		old, err := update.New(store, before, update.WithDispatcher(&verify.Recorder{}))
		require.NoError(t, err)
		_, err = old.Create(context.Background(), update.CreateRequest{Type: "user", ID: "a1", Client: "root",
			Doc: map[string]any{"org": "A", "username": "minnie"}})
		require.NoError(t, err)

		f := newFixture(t, store, tenantPolicy())
		rep, err := f.eng.Rekey(ctx, "user", false)
		require.NoError(t, err)
		assert.True(t, rep.Clean())
		assert.Equal(t, 1, rep.Rekeyed)
		tenantUser(t, f, "b1", "B", "minnie", "")
		v, err := f.eng.Get(ctx, "user", update.ByKey("/username", "minnie").In("A"))
		require.NoError(t, err)
		assert.Equal(t, "a1", v.ID)
	})
}

// TestTenantPolicyErrors refuses tenancy the engine cannot honour.
func TestTenantPolicyErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*update.Policy)
		want string
	}{
		"PathNotDeclared": {func(p *update.Policy) { p.Types["user"].Tenant.Path = "/tenant" }, "not a declared field"},
		"NotRequired":     {func(p *update.Policy) { p.Types["user"].Fields["/org"].Required = false }, "required string"},
		"Mutable":         {func(p *update.Policy) { p.Types["user"].Fields["/org"].Mutability = "" }, "immutable or readOnly"},
		"Unique":          {func(p *update.Policy) { p.Types["user"].Fields["/org"].Unique = true }, "cannot be unique"},
		"BadGlobalTenant": {func(p *update.Policy) { p.Types["user"].Tenant.Global = []string{"a\nb"} }, "control characters"},
		"ScopeWithoutTenancy": {func(p *update.Policy) {
			p.Types["plain"].Fields["/name"].Unique, p.Types["plain"].Fields["/name"].UniqueScope = true, update.ScopeTenant
		}, "uniqueScope needs"},
		"ScopeNotUnique":   {func(p *update.Policy) { p.Types["user"].Fields["/name"].UniqueScope = update.ScopeGlobal }, "uniqueScope needs"},
		"UnknownScope":     {func(p *update.Policy) { p.Types["user"].Fields["/username"].UniqueScope = "planet" }, "not tenant or global"},
		"EmptyGrantTenant": {func(p *update.Policy) { p.Grants["x"] = update.Grant{Tenants: []string{""}} }, "1 to 128 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			p := tenantPolicy()
			tc.edit(p)
			_, err := update.New(storage.Store(nil), p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestTenantValue refuses a tenant value unfit to scope keys by, changing
// nothing.
func TestTenantValue(t *testing.T) {
	f := newFixture(t, nil, tenantPolicy())
	for _, org := range []string{"", "a\x1fb", strings.Repeat("x", 129)} {
		_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "new", Client: "root",
			Doc: map[string]any{"org": org, "username": "minnie"}})
		assert.Equal(t, update.Invalid, update.ErrorCode(err), "%q", org)
		assert.Equal(t, update.RuleTenant, update.ErrorFields(err)[0].Rule)
	}
}
