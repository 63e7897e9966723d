package zitadel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// Two more organisations beside the demo one (which holds the demo user
// "minnie"), each with an admin token, and two whose usernames are unique
// in the whole instance.
const (
	orgB, tokenB = "80000000000000002", "org-b-admin-token"
	orgC, tokenC = "80000000000000003", "org-c-admin-token"
	orgG, tokenG = "80000000000000007", "org-g-admin-token"
	orgH, tokenH = "80000000000000008", "org-h-admin-token"
)

func tenantEnv(t *testing.T, b adaptertest.Backend) *env {
	t.Helper()
	cfg := zitadel.DemoConfig()
	cfg.Clients = append(cfg.Clients,
		zitadel.Client{ID: "org-b-admin", Token: tokenB, OrgID: orgB},
		zitadel.Client{ID: "org-c-admin", Token: tokenC, OrgID: orgC},
		zitadel.Client{ID: "org-g-admin", Token: tokenG, OrgID: orgG},
		zitadel.Client{ID: "org-h-admin", Token: tokenH, OrgID: orgH},
	)
	cfg.GlobalUsernameOrgs = []string{orgG, orgH}
	return newEnvOn(t, cfg, b.Open(t))
}

// addBody is an AddHumanUser body for username in org.
func addBody(t *testing.T, id, username, org string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"userId": id, "username": username, "organization": map[string]any{"orgId": org},
		"profile": map[string]any{"givenName": "Minnie", "familyName": "Mouse"},
		"email":   map[string]any{"email": id + "@example.com"},
	})
	require.NoError(t, err)
	return b
}

func addRPC(id, username, org string) *userpb.AddHumanUserRequest {
	return &userpb.AddHumanUserRequest{
		UserId:       str(id),
		Username:     str(username),
		Organization: &objectpb.Organization{Org: &objectpb.Organization_OrgId{OrgId: org}},
		Profile:      &userpb.SetHumanProfile{GivenName: "Minnie", FamilyName: "Mouse"},
		Email:        &userpb.SetHumanEmail{Email: id + "@example.com"},
	}
}

// TestOrganisationsAreTenants runs on every backend: a username is unique
// within its organisation, two organisations may each have a "minnie"
// (over REST and over the generated Connect client), and organisations
// whose policy makes usernames global share one namespace.
func TestOrganisationsAreTenants(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := tenantEnv(t, b)
			ctx := context.Background()

			// The demo organisation has minnie; organisation B gets its own
			// over REST, organisation C over Connect.
			status, body := e.do(t, http.MethodPost, "/v2/users/human", tokenB, addBody(t, "b-minnie", "minnie", orgB))
			require.Equal(t, http.StatusCreated, status, string(body))
			var add zitadel.AddResponse
			require.NoError(t, json.Unmarshal(body, &add))
			assert.Equal(t, orgB, add.Details.ResourceOwner)
			res, err := e.client(t, "connect-json", tokenC).AddHumanUser(ctx, connect.NewRequest(addRPC("c-minnie", "minnie", orgC)))
			require.NoError(t, err)
			assert.Equal(t, orgC, res.Msg.GetDetails().GetResourceOwner())

			// Each organisation's admin reads its own minnie.
			for _, tc := range []struct{ token, id, org string }{
				{zitadel.DemoAdminToken, zitadel.DemoUserID, zitadel.DemoOrgID}, {tokenB, "b-minnie", orgB}, {tokenC, "c-minnie", orgC},
			} {
				status, body := e.do(t, http.MethodGet, "/v2/users/"+tc.id, tc.token, nil)
				require.Equal(t, http.StatusOK, status, string(body))
				var u zitadel.UserResponse
				require.NoError(t, json.Unmarshal(body, &u))
				assert.Equal(t, "minnie", u.User.Username)
				assert.Equal(t, tc.org, u.User.Details.ResourceOwner)
			}

			// The same username twice in one organisation is 409, in any
			// case and on either wire; nothing is stored.
			for _, name := range []string{"minnie", "MINNIE", " minnie "} {
				status, body := e.do(t, http.MethodPost, "/v2/users/human", tokenB, addBody(t, "b-dup", name, orgB))
				assert.Equal(t, http.StatusConflict, status, name)
				zerror(t, body, 6, "IDUPD-USER01")
			}
			_, err = e.client(t, "grpc", tokenC).AddHumanUser(ctx, connect.NewRequest(addRPC("c-dup", "minnie", orgC)))
			rpcError(t, err, connect.CodeAlreadyExists, "IDUPD-USER01")
			for _, id := range []string{"b-dup", "c-dup"} {
				status, _ := e.do(t, http.MethodGet, "/v2/users/"+id, zitadel.DemoAdminToken, nil)
				assert.Equal(t, http.StatusNotFound, status)
			}

			// Renaming into a name the organisation holds is 409; a name
			// only another organisation holds is free.
			status, body = e.do(t, http.MethodPost, "/v2/users/human", tokenB, addBody(t, "b-daisy", "daisy", orgB))
			require.Equal(t, http.StatusCreated, status, string(body))
			status, body = e.do(t, http.MethodPut, "/v2/users/human/b-daisy", tokenB, []byte(`{"username":"minnie"}`))
			assert.Equal(t, http.StatusConflict, status, string(body))
			status, body = e.update(t, zitadel.DemoAdminToken, []byte(`{"username":"daisy"}`))
			assert.Equal(t, http.StatusOK, status, string(body))

			// Global organisations: the first minnie there takes the name in
			// every global organisation, and not in the others.
			status, body = e.do(t, http.MethodPost, "/v2/users/human", tokenG, addBody(t, "g-minnie", "minnie", orgG))
			require.Equal(t, http.StatusCreated, status, string(body))
			status, body = e.do(t, http.MethodPost, "/v2/users/human", tokenH, addBody(t, "h-minnie", "minnie", orgH))
			assert.Equal(t, http.StatusConflict, status, string(body))
			zerror(t, body, 6, "IDUPD-USER01")
			status, body = e.do(t, http.MethodPost, "/v2/users/human", tokenH, addBody(t, "h-mickey", "mickey", orgH))
			assert.Equal(t, http.StatusCreated, status, string(body))
		})
	}
}

// TestOrganisationLimitsGrants checks that an admin token of another
// organisation reaches none of the demo organisation's users, over REST
// and every RPC protocol: each call answers as for a missing user and
// changes nothing, and ListUsers shows only the caller's organisation.
func TestOrganisationLimitsGrants(t *testing.T) {
	e := tenantEnv(t, adaptertest.Backends()[0])
	ctx := context.Background()
	status, body := e.do(t, http.MethodPost, "/v2/users/human", tokenB, addBody(t, "b-minnie", "minnie", orgB))
	require.Equal(t, http.StatusCreated, status, string(body))
	demo, bMinnie := e.state(t, zitadel.DemoUserID), e.state(t, "b-minnie")
	sent := len(e.rec.Messages()) // b-minnie's first code

	t.Run("REST", func(t *testing.T) {
		for _, tc := range []struct{ method, path, body string }{
			{http.MethodGet, "/v2/users/" + zitadel.DemoUserID, ""},
			{http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID, `{"profile":{"givenName":"Mallory","familyName":"Mouse"}}`},
			{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/email/verify", `{"verificationCode":"ABC123"}`},
			{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/email/resend", `{"returnCode":{}}`},
			{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/phone/resend", `{"returnCode":{}}`},
			{http.MethodDelete, "/v2/users/" + zitadel.DemoUserID + "/phone", ""},
			{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/password", `{"newPassword":{"password":"An0ther-Pass!"}}`},
			{http.MethodPost, "/v2/users/" + zitadel.DemoUserID + "/password_reset", `{"returnCode":{}}`},
		} {
			var b []byte
			if tc.body != "" {
				b = []byte(tc.body)
			}
			status, body := e.do(t, tc.method, tc.path, tokenB, b)
			assert.Equal(t, http.StatusNotFound, status, "%s %s: %s", tc.method, tc.path, body)
			zerror(t, body, 5, "COMMAND-ugjs0upun6")
		}
		// The other way round too.
		status, body := e.do(t, http.MethodGet, "/v2/users/b-minnie", zitadel.DemoAdminToken, nil)
		assert.Equal(t, http.StatusNotFound, status, string(body))
		e.assertUnchanged(t, demo)
		assert.Equal(t, bMinnie, e.state(t, "b-minnie"))
		assert.Len(t, e.rec.Messages(), sent, "no code went out")

		// ListUsers: each admin sees its own organisation only, even when
		// it asks for the other one.
		status, out, raw := e.list(t, tokenB, `{}`)
		require.Equal(t, http.StatusOK, status, string(raw))
		assert.Equal(t, []string{"b-minnie"}, ids(out))
		assert.Equal(t, "1", out.Details.TotalResult)
		status, out, raw = e.list(t, tokenB, `{"queries":[{"userNameQuery":{"userName":"minnie"}}]}`)
		require.Equal(t, http.StatusOK, status, string(raw))
		assert.Equal(t, []string{"b-minnie"}, ids(out))
		status, out, raw = e.list(t, tokenB, `{"queries":[{"organizationIdQuery":{"organizationId":"`+zitadel.DemoOrgID+`"}}]}`)
		require.Equal(t, http.StatusOK, status, string(raw))
		assert.Empty(t, ids(out))
		assert.Equal(t, "0", out.Details.TotalResult)
		status, out, raw = e.list(t, zitadel.DemoAdminToken, `{"queries":[{"userNameQuery":{"userName":"minnie"}}]}`)
		require.Equal(t, http.StatusOK, status, string(raw))
		assert.Equal(t, []string{zitadel.DemoUserID}, ids(out))
	})

	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			users := e.client(t, protocol, tokenB)
			id := zitadel.DemoUserID
			calls := map[string]func() error{
				"GetUserByID": func() error {
					_, err := users.GetUserByID(ctx, connect.NewRequest(&userpb.GetUserByIDRequest{UserId: id}))
					return err
				},
				"UpdateHumanUser": func() error {
					_, err := users.UpdateHumanUser(ctx, connect.NewRequest(&userpb.UpdateHumanUserRequest{UserId: id,
						Profile: &userpb.SetHumanProfile{GivenName: "Mallory", FamilyName: "Mouse"}}))
					return err
				},
				"VerifyEmail": func() error {
					_, err := users.VerifyEmail(ctx, connect.NewRequest(&userpb.VerifyEmailRequest{UserId: id, VerificationCode: "ABC123"}))
					return err
				},
				"ResendEmailCode": func() error {
					_, err := users.ResendEmailCode(ctx, connect.NewRequest(&userpb.ResendEmailCodeRequest{UserId: id,
						Verification: &userpb.ResendEmailCodeRequest_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}}}))
					return err
				},
				"RemovePhone": func() error {
					_, err := users.RemovePhone(ctx, connect.NewRequest(&userpb.RemovePhoneRequest{UserId: id}))
					return err
				},
				"SetPassword": func() error {
					_, err := users.SetPassword(ctx, connect.NewRequest(&userpb.SetPasswordRequest{UserId: id,
						NewPassword: &userpb.Password{Password: "An0ther-Pass!"}}))
					return err
				},
				"PasswordReset": func() error {
					_, err := users.PasswordReset(ctx, connect.NewRequest(&userpb.PasswordResetRequest{UserId: id,
						Medium: &userpb.PasswordResetRequest_ReturnCode{ReturnCode: &userpb.ReturnPasswordResetCode{}}}))
					return err
				},
			}
			for name, call := range calls {
				t.Run(name, func(t *testing.T) { rpcError(t, call(), connect.CodeNotFound, "COMMAND-ugjs0upun6") })
			}
			res, err := users.ListUsers(ctx, connect.NewRequest(&userpb.ListUsersRequest{Queries: []*userpb.SearchQuery{
				{Query: &userpb.SearchQuery_UserNameQuery{UserNameQuery: &userpb.UserNameQuery{UserName: "minnie"}}},
			}}))
			require.NoError(t, err)
			require.Len(t, res.Msg.GetResult(), 1)
			assert.Equal(t, "b-minnie", res.Msg.GetResult()[0].GetUserId())
			e.assertUnchanged(t, demo)
			assert.Len(t, e.rec.Messages(), sent, "no code went out")
		})
	}
}
