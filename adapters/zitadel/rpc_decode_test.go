package zitadel

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// BenchmarkDecodeWire compares decoding one UpdateHumanUser into the
// engine request on each wire format: the REST JSON decoder (the
// baseline), and the RPC path of the binary codec (unmarshal, the
// unknown-field check, the typed request), of the gRPC fast path's
// one-pass reader and of the JSON codec.
func BenchmarkDecodeWire(b *testing.B) {
	rest := []byte(`{"profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"},"email":{"email":"mini@mouse.com","returnCode":{}}}`)
	connectJSON := []byte(`{"userId":"` + DemoUserID + `","profile":{"givenName":"Minnie","familyName":"Mouse","nickName":"Mini"},"email":{"email":"mini@mouse.com","returnCode":{}}}`)
	nick := "Mini"
	bin, err := proto.Marshal(&userpb.UpdateHumanUserRequest{
		UserId:  DemoUserID,
		Profile: &userpb.SetHumanProfile{GivenName: "Minnie", FamilyName: "Mouse", NickName: &nick},
		Email:   &userpb.SetHumanEmail{Email: "mini@mouse.com", Verification: &userpb.SetHumanEmail_ReturnCode{ReturnCode: &userpb.ReturnEmailVerificationCode{}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	t := Target{UserID: DemoUserID, OrgID: DemoOrgID, Client: "c", DefaultURLTemplate: DefaultEmailTemplate}
	b.Run("baseline-rest-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := DecodeUpdate(rest, 8)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Request(t); err != nil {
				b.Fatal(err)
			}
		}
	})
	rpc := func(codec interface {
		Unmarshal([]byte, any) error
	}, body []byte) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m userpb.UpdateHumanUserRequest
				if err := codec.Unmarshal(body, &m); err != nil {
					b.Fatal(err)
				}
				p := updateBodyPB(&m)
				if err := p.Check(); err != nil {
					b.Fatal(err)
				}
				if _, err := p.Request(t); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("rpc-proto", rpc(protoCodec{}, bin))
	b.Run("rpc-proto-one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, p, ok := readUpdatePB(bin)
			if !ok {
				b.Fatal("not read")
			}
			if err := p.Check(); err != nil {
				b.Fatal(err)
			}
			if _, err := p.Request(t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rpc-json", rpc(jsonCodec{}, connectJSON))
}

// TestParseTimeAgreesWithTimeParse holds the RPC encoder's time reader to
// time.Parse on what formatTime writes and on near misses.
func TestParseTimeAgreesWithTimeParse(t *testing.T) {
	in := []string{
		"2026-12-01T00:38:57.123Z", "2024-02-29T23:59:59.999Z", "2023-02-29T10:00:00.000Z",
		"2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z", "2026-04-31T00:00:00.000Z",
		"2026-12-01T24:00:00.000Z", "2026-12-01T00:60:00.000Z", "2026-12-01T00:00:60.000Z",
		"2026-12-01 00:38:57.123Z", "2026-12-01T00:38:57.12xZ", "", "0001-01-01T00:00:00.000Z",
	}
	for i := range 2000 {
		in = append(in, formatTime(time.Unix(int64(i)*7919*3607, int64(i)*1234567).UTC()))
	}
	for _, s := range in {
		want, werr := time.Parse(timeLayout, s)
		got, ok := parseTime(s)
		if ok && (werr != nil || !got.Equal(want)) {
			t.Errorf("%q: parseTime %v, time.Parse %v %v", s, got, want, werr)
		}
		if !ok && werr == nil && len(s) == len(timeLayout) && s[10] == 'T' {
			t.Errorf("%q: parseTime refused what time.Parse reads as %v", s, want)
		}
	}
}
