package zitadel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// fastCase is one raw RPC request of TestGRPCFastPathMatchesConnect.
type fastCase struct {
	name   string
	method string            // RPC method name
	header map[string]string // on top of a gRPC request with the admin token
	body   []byte
	verb   string // HTTP method; POST when empty, brokenBody for a POST whose body fails
	status string // the grpc-status trailer; "" for an HTTP error
}

// frame is msg marshalled into one uncompressed gRPC envelope.
func frame(tb testing.TB, msg proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(msg)
	require.NoError(tb, err)
	return envelope(false, uint32(len(b)), b)
}

// gzipFrame is msg marshalled and gzipped into one envelope.
func gzipFrame(tb testing.TB, msg proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(msg)
	require.NoError(tb, err)
	z := gzipped(tb, b)
	return envelope(true, uint32(len(z)), z)
}

// brokenBody, as a fastCase's verb, sends its body and then fails the read.
const brokenBody = "broken body"

// addUserRequest is an AddHumanUser of a verified user numbered n.
func addUserRequest(n int) *userpb.AddHumanUserRequest {
	id := fmt.Sprintf("fast-%d", n)
	return &userpb.AddHumanUserRequest{
		UserId: &id, Username: &id,
		Profile: &userpb.SetHumanProfile{GivenName: "Given " + id, FamilyName: "Family", DisplayName: str(strings.Repeat("display ", 20))},
		Email:   &userpb.SetHumanEmail{Email: id + "@example.com", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}},
	}
}

// addUser is addUserRequest(n) in one envelope.
func addUser(tb testing.TB, n int) []byte { return frame(tb, addUserRequest(n)) }

// fastCases are the requests the fast path answers itself (every method,
// success and each kind of call error, both content types, gzip either
// way, deadlines) and those it leaves to connect-go (broken framing,
// unknown fields, bad compression, bad timeouts, other methods and verbs).
func fastCases(tb testing.TB) (own, left []fastCase) {
	update := func(given string) *userpb.UpdateHumanUserRequest {
		return &userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: &userpb.SetHumanProfile{GivenName: given, FamilyName: "Mouse"}}
	}
	gz := map[string]string{"Grpc-Encoding": "gzip"}
	acceptGz := map[string]string{"Grpc-Accept-Encoding": "gzip"}
	plain := map[string]string{"Content-Type": "application/grpc"}
	valid := frame(tb, update("Valid"))
	bomb := gzipped(tb, make([]byte, 10<<20))
	unknownField := protowire.AppendVarint(protowire.AppendTag(validUpdate(tb), 99, protowire.VarintType), 7)
	notGzip := []byte("this is not gzip")
	own = []fastCase{
		{"update", "UpdateHumanUser", nil, frame(tb, update("Mini")), "", "0"},
		{"update again, no change", "UpdateHumanUser", nil, frame(tb, update("Mini")), "", "0"},
		{"update, application/grpc", "UpdateHumanUser", plain, frame(tb, update("Minnie")), "", "0"},
		{"update, gzipped answer", "UpdateHumanUser", acceptGz, frame(tb, update("Gz")), "", "0"},
		{"update, accept list", "UpdateHumanUser", map[string]string{"Grpc-Accept-Encoding": "deflate, br,gzip"}, frame(tb, update("List")), "", "0"},
		{"update, accept without gzip", "UpdateHumanUser", map[string]string{"Grpc-Accept-Encoding": "deflate,identity"}, frame(tb, update("NoGz")), "", "0"},
		{"update, gzipped request", "UpdateHumanUser", gz, gzipFrame(tb, update("Zipped")), "", "0"},
		{"update, identity encoding", "UpdateHumanUser", map[string]string{"Grpc-Encoding": "identity"}, frame(tb, update("Ident")), "", "0"},
		{"update, generous timeout", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "30S"}, frame(tb, update("Timed")), "", "0"},
		{"update, deadline passed", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "1n"}, frame(tb, update("Late")), "", "4"},
		{"update, unknown user", "UpdateHumanUser", nil, frame(tb, &userpb.UpdateHumanUserRequest{UserId: "nobody", Profile: &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B"}}), "", "5"},
		{"update, bad email", "UpdateHumanUser", nil, frame(tb, &userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Email: &userpb.SetHumanEmail{Email: "not an address"}}), "", "3"},
		{"update, no token", "UpdateHumanUser", map[string]string{"Authorization": ""}, valid, "", "16"},
		{"update, wrong token", "UpdateHumanUser", map[string]string{"Authorization": "Bearer nope"}, valid, "", "16"},
		{"update, self token verifies", "UpdateHumanUser", map[string]string{"Authorization": "Bearer " + zitadel.DemoSelfToken}, frame(tb, &userpb.UpdateHumanUserRequest{
			UserId: zitadel.DemoUserID, Email: &userpb.SetHumanEmail{Email: "self@example.com", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}},
		}), "", "7"},
		{"update, empty message", "UpdateHumanUser", nil, envelope(false, 0, nil), "", "5"},
		{"get user", "GetUserByID", nil, frame(tb, &userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID}), "", "0"},
		{"get user, gzipped answer", "GetUserByID", acceptGz, frame(tb, &userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID}), "", "0"},
		{"get unknown user", "GetUserByID", nil, frame(tb, &userpb.GetUserByIDRequest{UserId: "nobody"}), "", "5"},
		{"update user", "UpdateUser", nil, frame(tb, &userpb.UpdateUserRequest{UserId: zitadel.DemoUserID, UserType: &userpb.UpdateUserRequest_Human_{Human: &userpb.UpdateUserRequest_Human{Profile: &userpb.UpdateUserRequest_Human_Profile{NickName: str("Mo")}}}}), "", "0"},
		{"update user, machine", "UpdateUser", nil, frame(tb, &userpb.UpdateUserRequest{UserId: zitadel.DemoUserID, UserType: &userpb.UpdateUserRequest_Machine_{Machine: &userpb.UpdateUserRequest_Machine{Name: str("m")}}}), "", "12"},
		{"verify email, wrong code", "VerifyEmail", nil, frame(tb, &userpb.VerifyEmailRequest{UserId: zitadel.DemoUserID, VerificationCode: "WRONG1"}), "", "9"},
		{"verify phone, no code open", "VerifyPhone", nil, frame(tb, &userpb.VerifyPhoneRequest{UserId: zitadel.DemoUserID, VerificationCode: "ABCDEF"}), "", "9"},
		{"resend email code", "ResendEmailCode", nil, frame(tb, &userpb.ResendEmailCodeRequest{UserId: zitadel.DemoUserID}), "", "9"},
		{"resend phone code, too soon", "ResendPhoneCode", nil, frame(tb, &userpb.ResendPhoneCodeRequest{UserId: zitadel.DemoUserID}), "", "9"},
		{"remove phone", "RemovePhone", nil, frame(tb, &userpb.RemovePhoneRequest{UserId: zitadel.DemoUserID}), "", "0"},
		{"set password, wrong current", "SetPassword", nil, frame(tb, &userpb.SetPasswordRequest{
			UserId: zitadel.DemoUserID, NewPassword: &userpb.Password{Password: "N3w-Secret!pass"},
			Verification: &userpb.SetPasswordRequest_CurrentPassword{CurrentPassword: "wrong"},
		}), "", "3"},
		{"password reset, sms refused", "PasswordReset", nil, frame(tb, &userpb.PasswordResetRequest{
			UserId: zitadel.DemoUserID, Medium: &userpb.PasswordResetRequest_SendLink{SendLink: &userpb.SendPasswordResetLink{NotificationType: userpb.NotificationType_NOTIFICATION_TYPE_SMS}},
		}), "", "3"},
		{"list users", "ListUsers", nil, frame(tb, &userpb.ListUsersRequest{Query: &objectpb.ListQuery{Limit: 10}}), "", "0"},
		{"add user", "AddHumanUser", nil, addUser(tb, 1), "", "0"},
		{"add user, gzipped both ways", "AddHumanUser", map[string]string{"Grpc-Encoding": "gzip", "Grpc-Accept-Encoding": "gzip"}, gzipFrame(tb, addUserRequest(2)), "", "0"},
		{"add user 3", "AddHumanUser", nil, addUser(tb, 3), "", "0"},
		{"add user 4", "AddHumanUser", nil, addUser(tb, 4), "", "0"},
		{"add user, taken username", "AddHumanUser", nil, addUser(tb, 4), "", "9"},
		{"list users, large answer", "ListUsers", nil, frame(tb, &userpb.ListUsersRequest{Query: &objectpb.ListQuery{Limit: 10}}), "", "0"},
		{"list users, large gzipped answer", "ListUsers", acceptGz, frame(tb, &userpb.ListUsersRequest{Query: &objectpb.ListQuery{Limit: 10}}), "", "0"},
		{"add user, self token", "AddHumanUser", map[string]string{"Authorization": "Bearer " + zitadel.DemoSelfToken}, frame(tb, &userpb.AddHumanUserRequest{}), "", "7"},
		{"add user, metadata", "AddHumanUser", nil, frame(tb, &userpb.AddHumanUserRequest{Metadata: []*userpb.SetMetadataEntry{{Key: "k", Value: []byte("v")}}}), "", "3"},
	}
	left = []fastCase{
		{"truncated frame", "UpdateHumanUser", nil, envelope(false, 100, validUpdate(tb)[:10]), "", "13"},
		{"short prefix", "UpdateHumanUser", nil, []byte{0, 0, 0}, "", "13"},
		{"empty body", "UpdateHumanUser", nil, nil, "", "12"},
		{"length prefix over the limit", "UpdateHumanUser", nil, envelope(false, 1<<30, validUpdate(tb)), "", "8"},
		{"stream over the limit", "UpdateHumanUser", nil, bytes.Repeat([]byte{0}, 10<<20), "", "12"},
		{"two messages", "UpdateHumanUser", nil, append(append([]byte{}, valid...), valid...), "", "12"},
		{"trailing bytes", "UpdateHumanUser", nil, append(append([]byte{}, valid...), 0, 0), "", "13"},
		{"unknown field", "UpdateHumanUser", nil, envelope(false, uint32(len(unknownField)), unknownField), "", "3"},
		{"not protobuf", "UpdateHumanUser", nil, envelope(false, 3, []byte{0xff, 0xff, 0xff}), "", "3"},
		{"gzip bomb", "UpdateHumanUser", gz, envelope(true, uint32(len(bomb)), bomb), "", "8"},
		{"not gzip", "UpdateHumanUser", gz, envelope(true, uint32(len(notGzip)), notGzip), "", "3"},
		{"compressed flag without encoding", "UpdateHumanUser", nil, envelope(true, uint32(len(validUpdate(tb))), validUpdate(tb)), "", "13"},
		{"empty compressed message", "UpdateHumanUser", gz, envelope(true, 0, nil), "", "5"},
		{"trailer flag", "UpdateHumanUser", nil, append([]byte{0x80}, valid[1:]...), "", "13"},
		{"unknown encoding", "UpdateHumanUser", map[string]string{"Grpc-Encoding": "br"}, valid, "", "12"},
		{"timeout without unit", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "100"}, valid, "", "3"},
		{"timeout of nine digits", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "123456789S"}, valid, "", "3"},
		{"timeout of too many hours", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "99999999H"}, frame(tb, update("Hours")), "", "0"},
		{"timeout with a sign", "UpdateHumanUser", map[string]string{"Grpc-Timeout": "+5S"}, frame(tb, update("Signed")), "", "0"},
		{"grpc+json", "UpdateHumanUser", map[string]string{"Content-Type": "application/grpc+json"}, envelope(false, 2, []byte("{}")), "", "5"},
		{"content type with parameters", "UpdateHumanUser", map[string]string{"Content-Type": "application/grpc; charset=utf-8"}, frame(tb, update("Param")), "", ""},
		{"wrong content type", "UpdateHumanUser", map[string]string{"Content-Type": "text/plain"}, valid, "", ""},
		{"unimplemented method", "DeleteUser", nil, frame(tb, &userpb.DeleteUserRequest{UserId: zitadel.DemoUserID}), "", "12"},
		{"GET", "UpdateHumanUser", nil, nil, http.MethodGet, ""},
		{"body cut off", "UpdateHumanUser", nil, valid[:8], brokenBody, "2"},
	}
	return own, left
}

// grpcRequest is a gRPC call as a client sends it: over HTTP/2, binary
// protobuf, trailers accepted, with the admin token.
func grpcRequest(verb, target string, body io.Reader) *http.Request {
	req := httptest.NewRequest(verb, target, body)
	req.ProtoMajor, req.ProtoMinor, req.Proto = 2, 0, "HTTP/2.0"
	req.Header.Set("Content-Type", "application/grpc+proto")
	req.Header.Set("Te", "trailers")
	req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
	return req
}

// fastAndSlow returns two demo handlers, each on its own store and clock
// starting at the same instant: fast with the gRPC fast path, slow serving
// every call through connect-go.
func fastAndSlow(t *testing.T) (fast, slow *zitadel.Handler) {
	t.Helper()
	newHandler := func(fast bool) *zitadel.Handler {
		cfg := zitadel.DemoConfig()
		cfg.Now = adaptertest.NewClock(time.Date(2025, 3, 25, 16, 0, 34, 438_000_000, time.UTC)).Now
		h, err := zitadel.New(cfg, memory.New())
		require.NoError(t, err)
		require.NoError(t, zitadel.SeedDemo(context.Background(), h.Engine()))
		if !fast {
			zitadel.WithoutGRPCFastPath(h)
		}
		return h
	}
	return newHandler(true), newHandler(false)
}

// TestGRPCFastPathMatchesConnect sends the same requests, in the same
// order, to a handler with the gRPC fast path and to one serving every
// call through connect-go, each on its own store and clock: every answer
// (status, headers, trailers, body bytes) and every resulting record must
// be the same.
func TestGRPCFastPathMatchesConnect(t *testing.T) {
	fast, slow := fastAndSlow(t)
	viaConnect := zitadel.CountConnectCalls(fast)
	own, left := fastCases(t)
	for i, tc := range append(own, left...) {
		send := func(h http.Handler) *httptest.ResponseRecorder {
			verb := tc.verb
			if verb == "" {
				verb = http.MethodPost
			}
			body := io.Reader(bytes.NewReader(tc.body))
			if tc.verb == brokenBody {
				// The client goes away after sending part of the body.
				verb, body = http.MethodPost, io.MultiReader(body, iotest.ErrReader(errors.New("connection reset")))
			}
			req := grpcRequest(verb, zitadel.RPCPath+tc.method, body)
			for k, v := range tc.header {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		before := *viaConnect
		want, got := send(slow), send(fast)
		assert.Equal(t, i >= len(own), *viaConnect > before, "%s: served by connect-go", tc.name)
		assert.Equal(t, tc.status, got.Header().Get(http.TrailerPrefix+"Grpc-Status"), "%s: grpc-status", tc.name)
		assert.Equal(t, want.Code, got.Code, tc.name)
		assert.Equal(t, want.Header(), got.Header(), tc.name)
		assert.Equal(t, want.Body.Bytes(), got.Body.Bytes(), tc.name)
		if t.Failed() {
			t.FailNow()
		}
	}
	for _, id := range []string{zitadel.DemoUserID} {
		w, err := slow.Engine().Get(context.Background(), zitadel.EntityType, update.ByID(id))
		require.NoError(t, err)
		g, err := fast.Engine().Get(context.Background(), zitadel.EntityType, update.ByID(id))
		require.NoError(t, err)
		assert.Equal(t, w.Doc, g.Doc)
		assert.Equal(t, w.Version, g.Version)
	}
}

// TestGRPCPercentEncode checks grpc-message escaping against the gRPC
// spec's rule: printable ASCII but '%' as is, every other byte %XX.
func TestGRPCPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"User not found (x)": "User not found (x)",
		"100%":               "100%25",
		"line\nbreak\t":      "line%0Abreak%09",
		"Grüße ~":            "Gr%C3%BC%C3%9Fe ~",
		"\x7f\x00":           "%7F%00",
	} {
		assert.Equal(t, want, zitadel.GRPCPercentEncode(in), "%q", in)
	}
}

// TestParseGRPCTimeout checks which grpc-timeout values the fast path
// takes itself; the others go to connect-go.
func TestParseGRPCTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":          -1,
		"1n":        time.Nanosecond,
		"250u":      250 * time.Microsecond,
		"30m":       30 * time.Millisecond,
		"10S":       10 * time.Second,
		"2M":        2 * time.Minute,
		"99999999M": 99999999 * time.Minute,
		"1H":        time.Hour,
		"0S":        0,
	} {
		got, ok := zitadel.ParseGRPCTimeout(in)
		assert.True(t, ok, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"1", "S", "1s", "+1S", "-1S", "1.5S", "123456789S", "99999999H", " 1S", "1 S"} {
		_, ok := zitadel.ParseGRPCTimeout(in)
		assert.False(t, ok, "%q", in)
	}
}

// UpdateHumanUser's one-pass reader and direct encoder answer as
// connect-go does over every section, with codes returned, and hand
// messages they do not take to the checked path: each request goes to a
// handler with the fast path and to one without, each on its own store.
// Codes are random, so they are compared by presence; the rest of each
// answer byte for byte.
func TestGRPCUpdateHumanUserOnePassMatchesConnect(t *testing.T) {
	fast, slow := fastAndSlow(t)
	viaConnect := zitadel.CountConnectCalls(fast)
	msg := func(m *userpb.UpdateHumanUserRequest) []byte {
		m.UserId = zitadel.DemoUserID
		return frame(t, m)
	}
	repeated := protowire.AppendString(protowire.AppendTag([]byte{0x0a, 0x01, 'x', 0x1a, 0x00}, 1, protowire.BytesType), zitadel.DemoUserID)
	returnEmail := &userpb.SetHumanEmail_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}}
	returnPhone := &userpb.SetHumanPhone_ReturnCode{ReturnCode: &userpb.ReturnPhoneVerificationCode{}}
	cases := []struct {
		name       string
		body       []byte
		viaConnect bool
		status     string
	}{
		{"username", msg(&userpb.UpdateHumanUserRequest{Username: str("minnie.m")}), false, "0"},
		{"whole profile", msg(&userpb.UpdateHumanUserRequest{Profile: &userpb.SetHumanProfile{GivenName: "Mînnie", FamilyName: "Mouse",
			NickName: str("M"), DisplayName: str("Minnie M."), PreferredLanguage: str("de"), Gender: userpb.Gender_GENDER_FEMALE.Enum()}}), false, "0"},
		{"email, code returned", msg(&userpb.UpdateHumanUserRequest{Email: &userpb.SetHumanEmail{Email: "mini@mouse.example", Verification: returnEmail}}), false, "0"},
		{"phone, code returned", msg(&userpb.UpdateHumanUserRequest{Phone: &userpb.SetHumanPhone{Phone: "+41791234567", Verification: returnPhone}}), false, "0"},
		{"email and phone, both codes", msg(&userpb.UpdateHumanUserRequest{
			Email: &userpb.SetHumanEmail{Email: "m2@mouse.example", Verification: returnEmail},
			Phone: &userpb.SetHumanPhone{Phone: "+41791234568", Verification: returnPhone}}), false, "0"},
		{"email verified", msg(&userpb.UpdateHumanUserRequest{Email: &userpb.SetHumanEmail{Email: "m3@mouse.example", Verification: &userpb.SetHumanEmail_IsVerified{IsVerified: true}}}), false, "0"},
		{"email sent with a template", msg(&userpb.UpdateHumanUserRequest{Email: &userpb.SetHumanEmail{Email: "m4@mouse.example",
			Verification: &userpb.SetHumanEmail_SendCode{SendCode: &userpb.SendEmailVerificationCode{UrlTemplate: str("https://x.example/{{.Code}}")}}}}), false, "0"},
		{"password", msg(&userpb.UpdateHumanUserRequest{Password: &userpb.SetPassword{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "N3w-Secret!pass", ChangeRequired: true}}}}), false, "0"},
		{"password too short", msg(&userpb.UpdateHumanUserRequest{Password: &userpb.SetPassword{PasswordType: &userpb.SetPassword_Password{Password: &userpb.Password{Password: "x"}}}}), false, "3"},
		{"unknown gender", msg(&userpb.UpdateHumanUserRequest{Profile: &userpb.SetHumanProfile{GivenName: "A", FamilyName: "B", Gender: userpb.Gender(9).Enum()}}), false, "3"},
		// The checked path reads this one without connect-go: the second
		// user id wins.
		{"field repeated, last wins", envelope(false, uint32(len(repeated)), repeated), false, "0"},
		{"unknown field", envelope(false, 2, []byte{0x78, 0x01}), true, "3"},
		{"string not UTF-8", envelope(false, 5, []byte{0x12, 0x01, 0xff, 0x0a, 0x00}), true, "3"},
	}
	// The cases the one-pass reader leaves to the checked path; it reads
	// every other one itself.
	checked := map[string]bool{"unknown gender": true, "field repeated, last wins": true, "unknown field": true, "string not UTF-8": true}
	for _, tc := range cases {
		send := func(h http.Handler) *httptest.ResponseRecorder {
			req := grpcRequest(http.MethodPost, zitadel.RPCPath+"UpdateHumanUser", bytes.NewReader(tc.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		assert.Equal(t, !checked[tc.name], zitadel.ReadUpdatePBOK(tc.body[5:]), "%s: read in one pass", tc.name)
		before := *viaConnect
		want, got := send(slow), send(fast)
		assert.Equal(t, tc.viaConnect, *viaConnect > before, "%s: served by connect-go", tc.name)
		if tc.status != "" {
			assert.Equal(t, tc.status, got.Header().Get(http.TrailerPrefix+"Grpc-Status"), "%s: grpc-status", tc.name)
		}
		assert.Equal(t, want.Code, got.Code, tc.name)
		assert.Equal(t, want.Header(), got.Header(), tc.name)
		wantBody, gotBody := want.Body.Bytes(), got.Body.Bytes()
		if len(wantBody) > 5 && len(gotBody) > 5 {
			var w, g userpb.UpdateHumanUserResponse
			require.NoError(t, proto.Unmarshal(wantBody[5:], &w), tc.name)
			require.NoError(t, proto.Unmarshal(gotBody[5:], &g), tc.name)
			assert.Equal(t, w.EmailCode != nil, g.EmailCode != nil, "%s: email code", tc.name)
			assert.Equal(t, w.PhoneCode != nil, g.PhoneCode != nil, "%s: phone code", tc.name)
			if w.EmailCode != nil || w.PhoneCode != nil {
				// Each code is as long in both answers, so blanking them
				// keeps the envelopes' lengths comparable.
				blank := func(s *string) {
					if s != nil {
						*s = strings.Repeat("x", len(*s))
					}
				}
				blank(w.EmailCode)
				blank(w.PhoneCode)
				blank(g.EmailCode)
				blank(g.PhoneCode)
				wb, err := proto.Marshal(&w)
				require.NoError(t, err)
				gb, err := proto.Marshal(&g)
				require.NoError(t, err)
				wantBody, gotBody = append(wantBody[:5:5], wb...), append(gotBody[:5:5], gb...)
			}
		}
		assert.Equal(t, wantBody, gotBody, tc.name)
		if t.Failed() {
			t.FailNow()
		}
	}
	w, err := slow.Engine().Get(context.Background(), zitadel.EntityType, update.ByID(zitadel.DemoUserID))
	require.NoError(t, err)
	g, err := fast.Engine().Get(context.Background(), zitadel.EntityType, update.ByID(zitadel.DemoUserID))
	require.NoError(t, err)
	assert.Equal(t, w.Version, g.Version)
	assert.Equal(t, w.Doc, g.Doc)
}

// TestRPCRoutesMatchMux sends the same requests to a Handler, which
// serves a served method's exact path without its mux, and to a mux the
// other handler registered its patterns on, each on its own store: every
// answer, and the pattern the request is left naming, must be the same,
// for exact method paths and for paths the mux cleans, redirects or does
// not know.
func TestRPCRoutesMatchMux(t *testing.T) {
	direct, _ := fastAndSlow(t)
	other, _ := fastAndSlow(t)
	mux := http.NewServeMux()
	other.Register(mux)
	get := frame(t, &userpb.GetUserByIDRequest{UserId: zitadel.DemoUserID})
	update := frame(t, &userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: &userpb.SetHumanProfile{GivenName: "Route", FamilyName: "Mouse"}})
	for _, tc := range []struct {
		verb, target string
		body         []byte
	}{
		{http.MethodPost, zitadel.RPCPath + "GetUserByID", get},
		{http.MethodPost, zitadel.RPCPath + "UpdateHumanUser", update},
		{http.MethodPost, zitadel.RPCPath + "Update%48umanUser", update},
		{http.MethodPost, zitadel.RPCPath + "UpdateHumanUser/", update},
		{http.MethodPost, zitadel.RPCPath + "./UpdateHumanUser", update},
		{http.MethodPost, "/zitadel.user.v2.UserService//UpdateHumanUser", update},
		{http.MethodPost, zitadel.RPCPath + "UpdateHumanUser?x=1", update},
		{http.MethodPost, zitadel.RPCPath + "DeleteUser", get},
		{http.MethodPost, zitadel.RPCPath, get},
		{http.MethodGet, zitadel.RPCPath + "GetUserByID", nil},
		{http.MethodPut, zitadel.RPCPath + "UpdateHumanUser", update},
		{http.MethodGet, "/v2/users/" + zitadel.DemoUserID, nil},
	} {
		send := func(h http.Handler) (*httptest.ResponseRecorder, string) {
			req := grpcRequest(tc.verb, tc.target, bytes.NewReader(tc.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec, req.Pattern
		}
		want, wantPattern := send(mux)
		got, gotPattern := send(direct)
		name := tc.verb + " " + tc.target
		// What a middleware around the handler reads as the route.
		assert.Equal(t, wantPattern, gotPattern, name)
		assert.Equal(t, want.Code, got.Code, name)
		assert.Equal(t, want.Header(), got.Header(), name)
		assert.Equal(t, want.Body.Bytes(), got.Body.Bytes(), name)
	}
}
