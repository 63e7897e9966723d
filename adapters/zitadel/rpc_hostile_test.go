package zitadel_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// rpcAnswer is a raw RPC answer: the HTTP status, the gRPC status from
// the trailers (gRPC) or the code of the JSON error body (Connect).
type rpcAnswer struct {
	status int
	code   string
	body   string
}

// rawRPC sends body to UpdateHumanUser as the protocol's raw bytes.
func (e *env) rawRPC(tb testing.TB, grpc bool, header map[string]string, body []byte) rpcAnswer {
	tb.Helper()
	return e.rawRPCTo(tb, "UpdateHumanUser", grpc, header, body)
}

// rawRPCTo sends body to method as the protocol's raw bytes.
func (e *env) rawRPCTo(tb testing.TB, method string, grpc bool, header map[string]string, body []byte) rpcAnswer {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+zitadel.RPCPath+method, bytes.NewReader(body))
	require.NoError(tb, err)
	req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	hc := e.srv.Client()
	if grpc {
		hc = h2cClient()
	}
	resp, err := hc.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	a := rpcAnswer{status: resp.StatusCode, body: string(out)}
	if grpc {
		a.code = resp.Trailer.Get("Grpc-Status")
		if a.code == "" { // a trailers-only answer
			a.code = resp.Header.Get("Grpc-Status")
		}
		return a
	}
	var ce struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(out, &ce) == nil {
		a.code = ce.Code
	}
	return a
}

// envelope frames payload as one gRPC message, claiming size bytes.
func envelope(compressed bool, size uint32, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	if compressed {
		b[0] = 1
	}
	binary.BigEndian.PutUint32(b[1:], size)
	return append(b, payload...)
}

func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(tb, err)
	require.NoError(tb, zw.Close())
	return buf.Bytes()
}

// validUpdate is a well-formed UpdateHumanUser that would change the
// demo user.
func validUpdate(tb testing.TB) []byte {
	tb.Helper()
	b, err := proto.Marshal(&userpb.UpdateHumanUserRequest{
		UserId: zitadel.DemoUserID, Profile: &userpb.SetHumanProfile{GivenName: "Hostile", FamilyName: "Input"},
	})
	require.NoError(tb, err)
	return b
}

// TestRPCHostile sends broken and oversized RPC input: each gets a clean
// error and the user stays as it was.
func TestRPCHostile(t *testing.T) {
	grpcHeader := map[string]string{"Content-Type": "application/grpc+proto", "Te": "trailers"}
	connectProto := map[string]string{"Content-Type": "application/proto"}
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for hk, hv := range h {
			out[hk] = hv
		}
		return out
	}
	bomb := make([]byte, 10<<20) // 10 MB of zeros, about 10 KB gzipped
	// A profile with an unknown field 99, nested in a valid request.
	profile, err := proto.Marshal(&userpb.SetHumanProfile{GivenName: "A", FamilyName: "B"})
	require.NoError(t, err)
	profile = protowire.AppendVarint(protowire.AppendTag(profile, 99, protowire.VarintType), 1)
	nested := protowire.AppendString(nil, zitadel.DemoUserID)
	nested = append(protowire.AppendTag(nil, 1, protowire.BytesType), nested...)
	nested = protowire.AppendBytes(protowire.AppendTag(nested, 3, protowire.BytesType), profile)

	cases := []struct {
		name   string
		grpc   bool
		header map[string]string
		body   func(t *testing.T) []byte
		code   string // gRPC status number or Connect code name
		status int    // Connect only
	}{
		// A request stream that ends inside a message is Internal, as
		// grpc-go answers it.
		{"grpc truncated frame", true, grpcHeader, func(t *testing.T) []byte {
			return envelope(false, 100, validUpdate(t)[:10])
		}, "13", 0},
		{"grpc length prefix over the limit", true, grpcHeader, func(t *testing.T) []byte {
			return envelope(false, 1<<30, validUpdate(t))
		}, "8", 0},
		{"grpc gzip bomb", true, with(grpcHeader, "Grpc-Encoding", "gzip"), func(t *testing.T) []byte {
			z := gzipped(t, bomb)
			return envelope(true, uint32(len(z)), z)
		}, "8", 0},
		{"grpc unknown field", true, grpcHeader, func(t *testing.T) []byte {
			return envelope(false, uint32(len(nested)), nested)
		}, "3", 0},
		{"grpc deadline", true, with(grpcHeader, "Grpc-Timeout", "1n"), func(t *testing.T) []byte {
			b := validUpdate(t)
			return envelope(false, uint32(len(b)), b)
		}, "4", 0},
		{"connect wrong content type", false, map[string]string{"Content-Type": "text/plain"}, func(t *testing.T) []byte { return validUpdate(t) }, "", http.StatusUnsupportedMediaType},
		{"connect truncated message", false, connectProto, func(t *testing.T) []byte {
			return validUpdate(t)[:10]
		}, "invalid_argument", http.StatusBadRequest},
		{"connect gzip bomb", false, with(connectProto, "Content-Encoding", "gzip"), func(t *testing.T) []byte {
			return gzipped(t, bomb)
		}, "resource_exhausted", http.StatusTooManyRequests},
		{"connect body over the limit", false, connectProto, func(t *testing.T) []byte {
			return bytes.Repeat([]byte{0}, 10<<20)
		}, "resource_exhausted", http.StatusTooManyRequests},
		{"connect unknown field", false, connectProto, func(t *testing.T) []byte {
			return nested
		}, "invalid_argument", http.StatusBadRequest},
		{"connect json unknown member", false, map[string]string{"Content-Type": "application/json"}, func(t *testing.T) []byte {
			return []byte(`{"userId":"` + zitadel.DemoUserID + `","profile":{"givenName":"A","familyName":"B","bogus":1}}`)
		}, "invalid_argument", http.StatusBadRequest},
		{"connect json not json", false, map[string]string{"Content-Type": "application/json"}, func(t *testing.T) []byte {
			return []byte(`{"userId":`)
		}, "invalid_argument", http.StatusBadRequest},
		{"connect deadline", false, with(connectProto, "Connect-Timeout-Ms", "0"), func(t *testing.T) []byte { return validUpdate(t) }, "deadline_exceeded", http.StatusGatewayTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			a := e.rawRPC(t, tc.grpc, tc.header, tc.body(t))
			if tc.grpc {
				assert.Equal(t, http.StatusOK, a.status, a.body)
			} else {
				assert.Equal(t, tc.status, a.status, a.body)
			}
			assert.Equal(t, tc.code, a.code, a.body)
			assert.NotContains(t, a.body, "Hostile")
			e.assertUnchanged(t, before)
		})
	}
}

// TestRPCLargeMessage sends a 10 MB UpdateHumanUser through the generated
// client on every protocol: ResourceExhausted, nothing changed.
func TestRPCLargeMessage(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			e := newEnv(t)
			before := e.state(t, zitadel.DemoUserID)
			big := strings.Repeat("x", 10<<20)
			_, err := e.client(t, protocol, zitadel.DemoAdminToken).UpdateHumanUser(context.Background(), connect.NewRequest(&userpb.UpdateHumanUserRequest{
				UserId: zitadel.DemoUserID, Profile: &userpb.SetHumanProfile{GivenName: big, FamilyName: "B"},
			}))
			assert.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "%v", err)
			e.assertUnchanged(t, before)
		})
	}
}
