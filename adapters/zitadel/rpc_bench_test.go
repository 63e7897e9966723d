package zitadel_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/internal/cputime"
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
	status200 := func(rec *httptest.ResponseRecorder) bool { return rec.Code == http.StatusOK }
	rpc := zitadel.RPCPath + "UpdateHumanUser"
	return []wireArm{
		{"baseline-rest-json", http.MethodPut, "/v2/users/human/" + zitadel.DemoUserID, "application/json", rest, false, status200},
		{"connect-proto", http.MethodPost, rpc, "application/proto", binaries, false, status200},
		{"connect-json", http.MethodPost, rpc, "application/json", connectJSON, false, status200},
		{"grpc", http.MethodPost, rpc, "application/grpc+proto", grpcFrames, true, func(rec *httptest.ResponseRecorder) bool {
			// The status trailer, read where the handler wrote it:
			// rec.Result() would copy every header to find it, a cost
			// the other arms' checks do not pay.
			return rec.Code == http.StatusOK && rec.Header().Get(http.TrailerPrefix+"Grpc-Status") == "0"
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

// do sends the arm's i-th request to h, as a client of the handler
// would build it.
func (a wireArm) do(tb testing.TB, h http.Handler, i int) {
	req := httptest.NewRequest(a.method, a.path, bytes.NewReader(a.bodies[i%2]))
	req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
	req.Header.Set("Content-Type", a.contentType)
	if a.http2 {
		req.ProtoMajor, req.ProtoMinor, req.Proto = 2, 0, "HTTP/2.0"
		req.Header.Set("Te", "trailers")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !a.ok(rec) {
		tb.Fatal(rec.Code, rec.Header(), rec.Body.String())
	}
}

// BenchmarkUpdateWire compares one UpdateHumanUser on each wire format,
// in process on the memory store: REST JSON (the baseline), Connect
// binary, Connect JSON and gRPC. Two profiles alternate so every request
// changes the record.
func BenchmarkUpdateWire(b *testing.B) {
	for _, a := range wireArms(b) {
		b.Run(a.name, func(b *testing.B) {
			h := newWireHandler(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a.do(b, h, i)
				i++
			}
		})
	}
}

// BenchmarkUpdateWireInterleaved runs the formats of BenchmarkUpdateWire
// in turn within one loop, each on its own handler and store, so a busy
// machine slows every format alike. It reports each format's wall time
// and, where the platform has it, the CPU time of the benchmark's thread
// per request (ns/op is the sum over the formats).
func BenchmarkUpdateWireInterleaved(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	arms := wireArms(b)
	handlers := make([]http.Handler, len(arms))
	for j := range arms {
		handlers[j] = newWireHandler(b)
	}
	wall := make([]time.Duration, len(arms))
	cpu := make([]time.Duration, len(arms))
	_, cpuOK := cputime.Thread()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for j, a := range arms {
			start, startCPU := time.Now(), cpuNow()
			a.do(b, handlers[j], i)
			wall[j] += time.Since(start)
			cpu[j] += cpuNow() - startCPU
		}
		i++
	}
	n := float64(b.N)
	for j, a := range arms {
		b.ReportMetric(float64(wall[j].Nanoseconds())/n, a.name+"-ns/op")
		if cpuOK {
			b.ReportMetric(float64(cpu[j].Nanoseconds())/n, a.name+"-cpu-ns/op")
		}
	}
}

// cpuNow is the benchmark thread's CPU time, or 0 where unknown.
func cpuNow() time.Duration {
	d, _ := cputime.Thread()
	return d
}
