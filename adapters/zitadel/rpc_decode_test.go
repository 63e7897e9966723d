package zitadel

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
)

// BenchmarkDecodeWire compares decoding one UpdateHumanUser into the
// engine request on each wire format: the REST JSON decoder (the
// baseline), and the RPC path of the binary codec (unmarshal, the
// unknown-field check, the typed request) and of the JSON codec.
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
				p, err := decodeUpdatePB(&m)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Request(t); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("rpc-proto", rpc(protoCodec{}, bin))
	b.Run("rpc-json", rpc(jsonCodec{}, connectJSON))
}
