package zitadel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/update"
)

const (
	otherOrg   = "80000000000000001"
	otherToken = "other-org-admin"
)

// listEnv is an env over store with the demo user, three more users in
// the demo organisation and one in another organisation.
func listEnv(t *testing.T, b adaptertest.Backend) *env {
	t.Helper()
	cfg := zitadel.DemoConfig()
	cfg.Clients = append(cfg.Clients, zitadel.Client{ID: "other-admin", Token: otherToken, OrgID: otherOrg})
	e := newEnvOn(t, cfg, b.Open(t))
	users := []struct{ id, org, client, user, given, family, email string }{
		{"u-alice", zitadel.DemoOrgID, "zitadel-admin", "alice", "Alice", "Liddell", "alice@example.org"},
		{"u-daisy", zitadel.DemoOrgID, "zitadel-admin", "daisy", "Daisy", "Duck", "daisy@example.org"},
		{"u-mickey", zitadel.DemoOrgID, "zitadel-admin", "mickey", "Mickey", "Mouse", "mickey@example.com"},
		{"u-minnie2", otherOrg, "other-admin", "minnie2", "Minnie", "Mouse", "minnie@example.org"},
	}
	for _, u := range users {
		_, err := e.eng.Create(context.Background(), update.CreateRequest{
			Type: zitadel.EntityType, ID: u.id, Client: u.client, Actor: "seed",
			Doc: map[string]any{
				"orgId": u.org, "username": u.user,
				"profile": map[string]any{"givenName": u.given, "familyName": u.family},
				"email":   map[string]any{"email": u.email},
			},
			Verified: []string{"/email/email"},
		})
		require.NoError(t, err)
	}
	return e
}

func (e *env) list(t *testing.T, token, body string) (int, zitadel.ListResponse, []byte) {
	t.Helper()
	status, raw := e.do(t, http.MethodPost, "/v2/users", token, []byte(body))
	var out zitadel.ListResponse
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	}
	return status, out, raw
}

func ids(out zitadel.ListResponse) []string {
	var s []string
	for _, u := range out.Result {
		s = append(s, u.UserID)
	}
	return s
}

// TestListUsers runs ListUsers' queries on every backend: each answer is
// the storage query's, the same on all of them.
func TestListUsers(t *testing.T) {
	for _, b := range adaptertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := listEnv(t, b)
			status, out, raw := e.listFixture(t, fixture(t, "list_users.json"))
			require.Equal(t, http.StatusOK, status, string(raw))
			assert.Equal(t, []string{"u-alice", "u-mickey", zitadel.DemoUserID}, ids(out))
			assert.Equal(t, "3", out.Details.TotalResult)
			assert.Equal(t, "USER_FIELD_NAME_FIRST_NAME", out.SortingColumn)

			tests := []struct {
				name, body string
				want       []string
				total      string
			}{
				{"All", ``, []string{zitadel.DemoUserID, "u-alice", "u-daisy", "u-mickey"}, "4"},
				{"UserNameFolded", `{"queries":[{"userNameQuery":{"userName":"ALICE"}}]}`, []string{"u-alice"}, "1"},
				{"EmailEquals", `{"queries":[{"emailQuery":{"emailAddress":"Mickey@Example.com"}}]}`, []string{"u-mickey"}, "1"},
				{"Contains", `{"queries":[{"firstNameQuery":{"firstName":"i","method":"TEXT_QUERY_METHOD_CONTAINS"}}]}`, []string{zitadel.DemoUserID, "u-alice", "u-daisy", "u-mickey"}, "4"},
				{"And", `{"queries":[{"andQuery":{"queries":[{"lastNameQuery":{"lastName":"Mouse"}},{"firstNameQuery":{"firstName":"Mi","method":"TEXT_QUERY_METHOD_STARTS_WITH"}}]}}]}`, []string{zitadel.DemoUserID, "u-mickey"}, "2"},
				{"InEmails", `{"queries":[{"inUserEmailsQuery":{"userEmails":["daisy@example.org","minnie@example.org"]}}]}`, []string{"u-daisy"}, "1"},
				{"OtherOrgInvisible", `{"queries":[{"organizationIdQuery":{"organizationId":"` + otherOrg + `"}}]}`, nil, "0"},
				{"PageSortedDesc", `{"query":{"offset":"1","limit":2},"sortingColumn":"USER_FIELD_NAME_USER_NAME"}`, []string{"mickey", "daisy"}, "4"},
				{"SortByEmailAsc", `{"query":{"asc":true},"sortingColumn":"USER_FIELD_NAME_EMAIL"}`, []string{"u-alice", "u-daisy", "u-mickey", zitadel.DemoUserID}, "4"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					status, out, raw := e.list(t, zitadel.DemoAdminToken, tc.body)
					require.Equal(t, http.StatusOK, status, string(raw))
					got := ids(out)
					if strings.HasPrefix(tc.name, "PageSorted") {
						got = nil
						for _, u := range out.Result {
							got = append(got, u.Username)
						}
					}
					assert.Equal(t, tc.want, got)
					assert.Equal(t, tc.total, out.Details.TotalResult)
				})
			}

			// The other organisation's admin sees only its own user.
			status, out, raw = e.list(t, otherToken, `{}`)
			require.Equal(t, http.StatusOK, status, string(raw))
			assert.Equal(t, []string{"u-minnie2"}, ids(out))
			// A user's own token sees only itself.
			status, out, raw = e.list(t, zitadel.DemoSelfToken, `{}`)
			require.Equal(t, http.StatusOK, status, string(raw))
			assert.Equal(t, []string{zitadel.DemoUserID}, ids(out))
		})
	}
}

// listFixture lists with the admin token and a fixture body.
func (e *env) listFixture(t *testing.T, body []byte) (int, zitadel.ListResponse, []byte) {
	t.Helper()
	return e.list(t, zitadel.DemoAdminToken, string(body))
}

// nest returns n notQuery levels around a userNameQuery.
func nest(n int) string {
	q := `{"userNameQuery":{"userName":"x"}}`
	for i := 0; i < n; i++ {
		q = `{"notQuery":{"query":` + q + `}}`
	}
	return q
}

func TestListUsersHostile(t *testing.T) {
	cfg := zitadel.DemoConfig()
	cfg.MaxDepth = 64
	e := newEnvWith(t, cfg)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf(`{"userNameQuery":{"userName":"u%d"}}`, i)
	}
	tests := []struct {
		name, body string
		status     int
		id         string
	}{
		{"LimitTooLarge", `{"query":{"limit":1001}}`, 400, "IDUPD-ARG01"},
		{"OffsetTooLarge", `{"query":{"offset":"100001"}}`, 400, "IDUPD-ARG01"},
		{"TooDeep", `{"queries":[` + nest(5) + `]}`, 400, "IDUPD-ARG01"},
		{"TooMany", `{"queries":[` + strings.Join(many, ",") + `]}`, 400, "IDUPD-ARG01"},
		{"TooManyEmails", `{"queries":[{"inUserEmailsQuery":{"userEmails":[` + strings.Repeat(`"a@b.c",`, 100) + `"a@b.c"]}}]}`, 400, "IDUPD-ARG01"},
		{"Unsupported", `{"queries":[{"stateQuery":{"state":"USER_STATE_ACTIVE"}}]}`, 400, "IDUPD-ARG01"},
		{"UnsupportedSort", `{"sortingColumn":"USER_FIELD_NAME_STATE"}`, 400, "IDUPD-ARG01"},
		{"EmptyQuery", `{"queries":[{}]}`, 400, "IDUPD-ARG01"},
		{"EmptyOr", `{"queries":[{"orQuery":{"queries":[]}}]}`, 400, "IDUPD-ARG01"},
		{"Unknown", `{"queries":[],"extra":true}`, 400, "IDUPD-BODY01"},
		{"WrongType", `{"query":{"limit":"many"}}`, 400, "IDUPD-BODY01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, raw := e.list(t, zitadel.DemoAdminToken, tc.body)
			require.Equal(t, tc.status, status, string(raw))
			zerror(t, raw, 3, tc.id)
		})
	}
	// Nesting within the bound is served.
	status, _, raw := e.list(t, zitadel.DemoAdminToken, `{"queries":[`+nest(4)+`]}`)
	require.Equal(t, http.StatusOK, status, string(raw))
	// Without a token nothing is listed.
	status, _, raw = e.list(t, "", `{}`)
	require.Equal(t, http.StatusUnauthorized, status, string(raw))
}

// TestRPCListUsers runs ListUsers over every RPC protocol and compares it
// with the REST answer.
func TestRPCListUsers(t *testing.T) {
	e := listEnv(t, adaptertest.Backends()[0])
	_, rest, _ := e.listFixture(t, fixture(t, "list_users.json"))
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			users := e.client(t, protocol, zitadel.DemoAdminToken)
			req := &userpb.ListUsersRequest{
				Query:         &objectpb.ListQuery{Limit: 100, Asc: true},
				SortingColumn: userpb.UserFieldName_USER_FIELD_NAME_FIRST_NAME,
				Queries: []*userpb.SearchQuery{
					{Query: &userpb.SearchQuery_OrQuery{OrQuery: &userpb.OrQuery{Queries: []*userpb.SearchQuery{
						{Query: &userpb.SearchQuery_EmailQuery{EmailQuery: &userpb.EmailQuery{EmailAddress: "@example.org", Method: objectpb.TextQueryMethod_TEXT_QUERY_METHOD_ENDS_WITH}}},
						{Query: &userpb.SearchQuery_LastNameQuery{LastNameQuery: &userpb.LastNameQuery{LastName: "mouse", Method: objectpb.TextQueryMethod_TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE}}},
					}}}},
					{Query: &userpb.SearchQuery_NotQuery{NotQuery: &userpb.NotQuery{Query: &userpb.SearchQuery{
						Query: &userpb.SearchQuery_UserNameQuery{UserNameQuery: &userpb.UserNameQuery{UserName: "dai", Method: objectpb.TextQueryMethod_TEXT_QUERY_METHOD_STARTS_WITH}},
					}}}},
				},
			}
			res, err := users.ListUsers(context.Background(), connect.NewRequest(req))
			require.NoError(t, err)
			var got []string
			for _, u := range res.Msg.GetResult() {
				got = append(got, u.GetUserId())
				assert.NotEmpty(t, u.GetHuman().GetEmail().GetEmail())
			}
			assert.Equal(t, ids(rest), got)
			assert.EqualValues(t, 3, res.Msg.GetDetails().GetTotalResult())

			_, err = users.ListUsers(context.Background(), connect.NewRequest(&userpb.ListUsersRequest{Query: &objectpb.ListQuery{Limit: 5000}}))
			rpcError(t, err, connect.CodeInvalidArgument, "IDUPD-ARG01")
		})
	}
}
