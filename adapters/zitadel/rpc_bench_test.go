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

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/storage/memory"
)

// BenchmarkUpdateWire compares one UpdateHumanUser on each wire format,
// in process on the memory store: REST JSON (the baseline), Connect
// binary, Connect JSON and gRPC. Two profiles alternate so every request
// changes the record.
func BenchmarkUpdateWire(b *testing.B) {
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
		require.NoError(b, err)
		binaries[i] = m
		grpcFrames[i] = binary.BigEndian.AppendUint32([]byte{0}, uint32(len(m)))
		grpcFrames[i] = append(grpcFrames[i], m...)
	}
	newHandler := func(b *testing.B) *zitadel.Handler {
		h, err := zitadel.New(zitadel.DemoConfig(), memory.New())
		require.NoError(b, err)
		require.NoError(b, zitadel.SeedDemo(context.Background(), h.Engine()))
		return h
	}
	run := func(b *testing.B, method, path, contentType string, bodies [][]byte, http2 bool, ok func(*httptest.ResponseRecorder) bool) {
		h := newHandler(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest(method, path, bytes.NewReader(bodies[i%2]))
			req.Header.Set("Authorization", "Bearer "+zitadel.DemoAdminToken)
			req.Header.Set("Content-Type", contentType)
			if http2 {
				req.ProtoMajor, req.ProtoMinor, req.Proto = 2, 0, "HTTP/2.0"
				req.Header.Set("Te", "trailers")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !ok(rec) {
				b.Fatal(rec.Code, rec.Header(), rec.Body.String())
			}
			i++
		}
	}
	status200 := func(rec *httptest.ResponseRecorder) bool { return rec.Code == http.StatusOK }
	rpc := zitadel.RPCPath + "UpdateHumanUser"
	b.Run("baseline-rest-json", func(b *testing.B) {
		run(b, http.MethodPut, "/v2/users/human/"+zitadel.DemoUserID, "application/json", rest, false, status200)
	})
	b.Run("connect-proto", func(b *testing.B) {
		run(b, http.MethodPost, rpc, "application/proto", binaries, false, status200)
	})
	b.Run("connect-json", func(b *testing.B) {
		run(b, http.MethodPost, rpc, "application/json", connectJSON, false, status200)
	})
	b.Run("grpc", func(b *testing.B) {
		run(b, http.MethodPost, rpc, "application/grpc+proto", grpcFrames, true, func(rec *httptest.ResponseRecorder) bool {
			// The status trailer, read where the handler wrote it:
			// rec.Result() would copy every header to find it, a cost
			// the other arms' checks do not pay.
			return rec.Code == http.StatusOK && rec.Header().Get(http.TrailerPrefix+"Grpc-Status") == "0"
		})
	})
}
