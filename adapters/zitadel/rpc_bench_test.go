package zitadel_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/internal/adaptertest"
	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/storage/memory"
)

// wireArm is one wire format of an UpdateHumanUser: the request it
// sends (two bodies alternate so every request changes the record) and
// the check of its answer.
type wireArm struct {
	name, method, path, contentType string
	bodies                          [][]byte
	http2                           bool
	ok                              func(*httptest.ResponseRecorder) bool
}

// wireArms are the formats BenchmarkUpdateWire and
// BenchmarkUpdateWireInterleaved compare: REST JSON (the baseline),
// Connect binary, Connect JSON and gRPC.
func wireArms(tb testing.TB) []wireArm {
	profiles := []*userpb.SetHumanProfile{
		{GivenName: "Minnie", FamilyName: "Mouse", NickName: str("Mini")},
		{GivenName: "Minnie", FamilyName: "Mouse", NickName: str("Min")},
	}
	rest := [][]byte{
		[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"}}`),
		[]byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Min"}}`),
	}
	connectJSON := [][]byte{
		[]byte(`{"userId":"` + zitadel.DemoUserID + `","profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"}}`),
		[]byte(`{"userId":"` + zitadel.DemoUserID + `","profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Min"}}`),
	}
	binaries := make([][]byte, len(profiles))
	grpcFrames := make([][]byte, len(profiles))
	for i, p := range profiles {
		m, err := proto.Marshal(&userpb.UpdateHumanUserRequest{UserId: zitadel.DemoUserID, Profile: p})
		require.NoError(tb, err)
		binaries[i] = m
		grpcFrames[i] = binary.BigEndian.AppendUint32([]byte{0}, uint32(len(m)))
		grpcFrames[i] = append(grpcFrames[i], m...)
	}
	status200 := adaptertest.Status200
	rpc := zitadel.RPCPath + "UpdateHumanUser"
	return []wireArm{
		{"baseline-rest-json", http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID, "application/json", rest, false, status200},
		{"connect-proto", http.MethodPost, rpc, "application/proto", binaries, false, status200},
		{"connect-json", http.MethodPost, rpc, "application/json", connectJSON, false, status200},
		{"grpc", http.MethodPost, rpc, "application/grpc+proto", grpcFrames, true, func(rec *httptest.ResponseRecorder) bool {
			// The status trailer, read where the handler wrote it, by
			// its canonical key: rec.Result() would copy every header
			// to find it, and Header.Get canonicalize the key, costs
			// the other arms' checks do not pay.
			st := rec.Header()[http.TrailerPrefix+"Grpc-Status"]
			return rec.Code == http.StatusOK && len(st) == 1 && st[0] == "0"
		}},
	}
}

// newWireHandler is a handler on a fresh memory store holding the demo
// user.
func newWireHandler(tb testing.TB) *zitadel.Handler {
	h, err := zitadel.New(zitadel.DemoConfig(), memory.New())
	require.NoError(tb, err)
	require.NoError(tb, zitadel.SeedDemo(context.Background(), h.Engine()))
	return h
}

// step is the arm as a benchmark step serving h: its i-th request, as a
// client of the handler would build it, is built ahead by
// adaptertest.Serve, so what is measured is the handler from request to
// recorded answer.
func (a wireArm) step(h http.Handler) adaptertest.Step {
	return adaptertest.Serve(a.name, h, func(_ testing.TB, i int) *http.Request {
		req := httptest.NewRequest(a.method, a.path, bytes.NewReader(a.bodies[i%2]))
		req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
		req.Header.Set("Content-Type", a.contentType)
		if a.http2 {
			req.ProtoMajor, req.ProtoMinor, req.Proto = 2, 0, "HTTP/2.0"
			req.Header.Set("Te", "trailers")
		}
		return req
	}, a.ok)
}

// BenchmarkUpdateWire compares one UpdateHumanUser on each wire format,
// in process on the memory store: REST JSON (the baseline), Connect
// binary, Connect JSON and gRPC. Two profiles alternate so every request
// changes the record.
func BenchmarkUpdateWire(b *testing.B) {
	for _, a := range wireArms(b) {
		b.Run(a.name, func(b *testing.B) {
			adaptertest.Interleave(b, a.step(newWireHandler(b)))
		})
	}
}

// BenchmarkUpdateWireInterleaved runs the formats of BenchmarkUpdateWire
// in turn within one loop, each on its own handler and store, so a busy
// machine slows every format alike, in orders that change every
// iteration (adaptertest.Interleave). Besides each format's wall time
// and, where the platform has it, the CPU time of the benchmark's thread
// per request, it reports each format's times over REST's (ns/op is the
// sum over the formats).
func BenchmarkUpdateWireInterleaved(b *testing.B) {
	arms := wireArms(b)
	steps := make([]adaptertest.Step, len(arms))
	for j, a := range arms {
		steps[j] = a.step(newWireHandler(b))
	}
	adaptertest.Interleave(b, steps[0], steps[1:]...)
}
