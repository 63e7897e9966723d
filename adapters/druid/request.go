package druid

import (
	"github.com/idupdate/idupdate/update"
)

// Caller says who sends an update: the client the token was issued to and
// the actor recorded in the history (the entry point).
type Caller struct {
	Client string
	Actor  string
}

// Request turns u into the engine's replacement of the user for the
// caller. Leaving out an email or phone number that is confirmed is
// refused by the engine (Confirm.KeepVerified, inside its transaction):
// DRUID lets a confirmed id be replaced, never dropped. An id sent with
// "confirmed": true asks for AlreadyVerified delivery; the engine treats the confirmed value the user
// already has, in any spelling, as a restated fact that needs no
// permission.
func (u *Update) Request(by Caller) update.Request {
	doc := map[string]any{}
	delivery := map[string]update.Delivery{}
	for _, f := range idFields {
		id, sent := u.IDs[f.name]
		if !sent {
			continue
		}
		doc[f.path[1:]] = id.Value
		if f.confirmPath != "" && id.Confirmed {
			delivery[f.path] = update.Delivery{Kind: update.AlreadyVerified}
		}
	}
	if u.Datas != nil {
		doc[pathDatas[1:]] = u.Datas
	}
	if u.Assertions != nil {
		doc[pathAssertions[1:]] = u.Assertions
	}
	if u.Addresses != nil {
		doc[pathAddresses[1:]] = u.Addresses
	}
	req := update.Request{
		Type:          EntityType,
		Locator:       update.ByID(u.UserID),
		Client:        by.Client,
		Actor:         by.Actor,
		Mode:          update.Replace,
		Doc:           doc,
		IncludeRecord: true,
	}
	if len(delivery) > 0 {
		req.Delivery = delivery
	}
	if u.Password != nil {
		req.Secrets = map[string]update.SecretValue{pathPassword: {Plain: *u.Password}}
	}
	return req
}
