package update_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// grantPolicy is userPolicy with one client per missing right.
func grantPolicy() *update.Policy {
	p := userPolicy()
	all := update.Grant{Write: true, Create: true, Delete: true, AssertVerified: true, ReturnCode: true}
	without := func(f func(*update.Grant)) update.Grant {
		g := all
		f(&g)
		return g
	}
	p.Grants["nowrite"] = without(func(g *update.Grant) { g.Write = false })
	p.Grants["nocreate"] = without(func(g *update.Grant) { g.Create = false })
	p.Grants["nodelete"] = without(func(g *update.Grant) { g.Delete = false })
	p.Grants["noassert"] = without(func(g *update.Grant) { g.AssertVerified = false })
	p.Grants["noreturn"] = without(func(g *update.Grant) { g.ReturnCode = false })
	p.Grants["other"] = without(func(g *update.Grant) { g.Subject = "someone-else" })
	p.Grants["narrow"] = without(func(g *update.Grant) { g.Paths = []string{"/givenName", "/familyName"} })
	return p
}

// TestGrantAudit walks every engine call that takes a client against every
// right it needs: a client lacking the right gets Forbidden, and nothing
// changes — not the version, the document, the history, the pending
// challenges, the keys, the secrets — and no code goes out.
func TestGrantAudit(t *testing.T) {
	type call func(f *fixture, client, code string) error
	create := func(req update.CreateRequest) call {
		return func(f *fixture, client, _ string) error {
			req.Type, req.Client = "user", client
			if req.ID == "" {
				req.ID = "new1"
			}
			_, err := f.eng.Create(ctx, req)
			return err
		}
	}
	applyAs := func(req update.Request) call {
		return func(f *fixture, client, _ string) error {
			req.Client = client
			_, err := apply(f, req)
			return err
		}
	}
	confirmAs := func(path string) call {
		return func(f *fixture, client, code string) error {
			_, err := f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: client, Path: path, Code: code})
			return err
		}
	}
	resendAs := func(d update.Delivery) call {
		return func(f *fixture, client, _ string) error {
			_, err := f.eng.Resend(ctx, update.ResendRequest{Type: "user", Locator: update.ByID("u1"), Client: client, Path: "/email", Delivery: d})
			return err
		}
	}
	cancelAs := func(f *fixture, client, _ string) error {
		_, err := f.eng.Cancel(ctx, update.CancelRequest{Type: "user", Locator: update.ByID("u1"), Client: client, Path: "/email"})
		return err
	}
	getAs := func(f *fixture, client, _ string) error {
		_, err := f.eng.Get(ctx, "user", update.ByID("u1"), update.AsClient(client))
		return err
	}
	historyAs := func(f *fixture, client, _ string) error {
		_, err := f.eng.History(ctx, "user", update.ByID("u1"), update.AsClient(client))
		return err
	}
	getByKeyAs := func(f *fixture, client, _ string) error {
		_, err := f.eng.Get(ctx, "user", update.ByKey("/username", "mpark"), update.AsClient(client))
		return err
	}
	deleteAs := func(f *fixture, client, _ string) error {
		return f.eng.Delete(ctx, update.DeleteRequest{Type: "user", Locator: update.ByID("u1"), Client: client})
	}
	newDoc := map[string]any{"familyName": "New", "email": "new@example.com"}
	emailChange := map[string]any{"email": "changed@example.com"}
	for _, tc := range []struct {
		name, client string
		call         call
		// control is the code the same call gets from "admin", which has
		// every right: "" for success. It shows the refusal is the grant's.
		control update.Code
	}{
		{"Create without Create", "nocreate", create(update.CreateRequest{Doc: newDoc}), ""},
		{"Create without a grant", "stranger", create(update.CreateRequest{Doc: newDoc}), ""},
		{"Create outside Paths", "narrow", create(update.CreateRequest{Doc: newDoc}), ""},
		{"Create a secret outside Paths", "narrow", create(update.CreateRequest{Doc: map[string]any{"givenName": "A", "familyName": "B"},
			Secrets: map[string]update.SecretValue{"/password": {Plain: "Secret123"}}}), ""},
		{"Create Verified without AssertVerified", "noassert", create(update.CreateRequest{Doc: newDoc, Verified: []string{"/email"}}), ""},
		{"Create AlreadyVerified without AssertVerified", "noassert", create(update.CreateRequest{Doc: newDoc,
			Delivery: map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}}), ""},
		{"Create another Subject", "other", create(update.CreateRequest{Doc: newDoc}), ""},
		{"Create ReturnCode without ReturnCode", "noreturn", create(update.CreateRequest{Doc: newDoc,
			Delivery: map[string]update.Delivery{"/email": {Kind: update.ReturnCode}}}), ""},

		{"Apply without Write", "nowrite", applyAs(update.Request{Doc: map[string]any{"givenName": "X"}}), ""},
		{"Apply without a grant", "stranger", applyAs(update.Request{Doc: map[string]any{"givenName": "X"}}), ""},
		{"Apply outside Paths", "narrow", applyAs(update.Request{Doc: map[string]any{"displayName": "X"}}), ""},
		{"Apply a secret outside Paths", "narrow", applyAs(update.Request{Secrets: map[string]update.SecretValue{"/password": {Plain: "Secret456"}}}), ""},
		{"Apply a patch outside Paths", "narrow", applyAs(update.Request{Mode: update.Patch,
			Ops: []merge.Operation{{Op: "remove", Path: "/displayName"}}}), ""},
		{"Apply a selector outside Paths", "narrow", applyAs(update.Request{Path: "/statuses/[id=5253]", Doc: map[string]any{"status": "active"}}), ""},
		{"Apply AlreadyVerified without AssertVerified", "noassert", applyAs(update.Request{Doc: emailChange,
			Delivery: map[string]update.Delivery{"/email": {Kind: update.AlreadyVerified}}}), ""},
		{"Apply another Subject", "other", applyAs(update.Request{Doc: map[string]any{"givenName": "X"}}), ""},
		{"Apply ReturnCode without ReturnCode", "noreturn", applyAs(update.Request{Doc: map[string]any{"phone": "+41791112233"},
			Delivery: map[string]update.Delivery{"/phone": {Kind: update.ReturnCode}}}), ""},

		{"Confirm without Write", "nowrite", confirmAs("/email"), ""},
		{"Confirm without a grant", "stranger", confirmAs("/email"), ""},
		{"Confirm outside Paths", "narrow", confirmAs("/email"), ""},
		{"Confirm any path outside Paths", "narrow", confirmAs(""), ""},
		{"Confirm another Subject", "other", confirmAs("/email"), ""},

		{"Resend without Write", "nowrite", resendAs(update.Delivery{}), ""},
		{"Resend without a grant", "stranger", resendAs(update.Delivery{}), ""},
		{"Resend outside Paths", "narrow", resendAs(update.Delivery{}), ""},
		{"Resend AlreadyVerified without AssertVerified", "noassert", resendAs(update.Delivery{Kind: update.AlreadyVerified}), update.Malformed},
		{"Resend another Subject", "other", resendAs(update.Delivery{}), ""},
		{"Resend ReturnCode without ReturnCode", "noreturn", resendAs(update.Delivery{Kind: update.ReturnCode}), ""},

		{"Cancel without Write", "nowrite", cancelAs, ""},
		{"Cancel without a grant", "stranger", cancelAs, ""},
		{"Cancel outside Paths", "narrow", cancelAs, ""},
		{"Cancel another Subject", "other", cancelAs, ""},

		{"Delete without Delete", "nodelete", deleteAs, ""},
		{"Delete without a grant", "stranger", deleteAs, ""},
		{"Delete another Subject", "other", deleteAs, ""},

		{"Get without a grant", "stranger", getAs, ""},
		{"Get another Subject", "other", getAs, ""},
		{"Get another Subject by key", "other", getByKeyAs, ""},
		{"History without a grant", "stranger", historyAs, ""},
		{"History another Subject", "other", historyAs, ""},
	} {
		setup := func(t *testing.T) (*fixture, string) {
			f := newFixture(t, nil, grantPolicy())
			f.seed(t)
			// An open challenge whose code the test knows, so a refused
			// Confirm fails for the grant alone.
			res, err := apply(f, update.Request{Client: "admin", Doc: emailChange,
				Delivery: map[string]update.Delivery{"/email": {Kind: update.ReturnCode}}})
			require.NoError(t, err)
			require.Len(t, res.Pending, 1)
			code := res.Pending[0].Code
			f.clock.Advance(3 * time.Minute) // past the resend cooldown
			return f, code
		}
		t.Run(tc.name, func(t *testing.T) {
			f, code := setup(t)
			before := f.snapshot(t, "u1")
			sent := len(f.sent.Messages())

			err := tc.call(f, tc.client, code)
			require.Error(t, err)
			assert.Equal(t, update.Forbidden, update.ErrorCode(err), err.Error())
			assert.Equal(t, before, f.snapshot(t, "u1"), "nothing changed")
			assert.Len(t, f.sent.Messages(), sent, "no code went out")
			_, err = f.eng.Get(ctx, "user", update.ByID("new1"))
			assert.Equal(t, update.NotFound, update.ErrorCode(err), "no record was created")

			f, code = setup(t)
			err = tc.call(f, "admin", code)
			if tc.control == "" {
				assert.NoError(t, err, "the same call with every right succeeds")
			} else {
				assert.Equal(t, tc.control, update.ErrorCode(err), "the same call with every right")
			}
		})
	}
}
