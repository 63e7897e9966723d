package druid

import (
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// Caller says who sends an update: the client the token was issued to and
// the actor recorded in the history (the entry point).
type Caller struct {
	Client string
	Actor  string
	// Subject is the user a user's own access token names; "" for an
	// administrative (challenge-code) token. When set, the request runs
	// under the client's self grant (Policy), which reaches that user
	// alone, and names that user when object.id was left out.
	Subject string

	// spend, when set, is the challenge-code token still to be spent,
	// in the update's own transaction (update.Request.Spend); Client is
	// the client the token names until then.
	spend *storage.Spend
}

// grantee is the engine client a caller acts as: the client itself, or
// for a user's own token the client's self grant.
func (by Caller) grantee() string {
	if by.Subject != "" {
		return selfGrant(by.Client)
	}
	return by.Client
}

// locator names the user: object.id when sent, else the token's user.
func (by Caller) locator(userID string) update.Locator {
	if userID == "" {
		return update.ByID(by.Subject)
	}
	return update.ByID(userID)
}

// Patch is a decoded partial update: the merge document of what changes,
// in the engine's paths, with null for what is removed.
type Patch struct {
	// Actor is the app_id in actor.id.
	Actor  string
	Verb   string
	Source string
	// UserID is object.id; "" when left out of a self update.
	UserID string
	// Password is object.password, nil when not sent.
	Password *string
	// Doc is the change as an RFC 7386 merge document over the stored
	// user ("/email" as "email", datas, assertions, addresses).
	Doc map[string]any
	// Confirmed lists the paths of the confirmable ids sent with
	// "confirmed": true.
	Confirmed []string
}

// Request turns p into the engine's merge of the user for the caller.
// Removing a confirmed email or phone number is refused by the engine
// (Confirm.KeepVerified); replacing one holds the new value until it is
// confirmed while the old one stays.
func (p *Patch) Request(by Caller) update.Request {
	req := update.Request{
		Type:          EntityType,
		Locator:       by.locator(p.UserID),
		Client:        by.grantee(),
		Actor:         by.Actor,
		Subject:       by.Subject,
		Spend:         by.spend,
		Mode:          update.Merge,
		Doc:           p.Doc,
		IncludeRecord: true,
	}
	if len(p.Confirmed) > 0 {
		req.Delivery = make(map[string]update.Delivery, len(p.Confirmed))
		for _, path := range p.Confirmed {
			req.Delivery[path] = update.Delivery{Kind: update.AlreadyVerified}
		}
	}
	if p.Password != nil {
		req.Secrets = map[string]update.SecretValue{pathPassword: {Plain: *p.Password}}
	}
	return req
}

// Request turns u into the engine's replacement of the user for the
// caller. Leaving out an email or phone number that is confirmed is
// refused by the engine (Confirm.KeepVerified, inside its transaction):
// DRUID lets a confirmed id be replaced, never dropped. An id sent with
// "confirmed": true asks for AlreadyVerified delivery; the engine treats the confirmed value the user
// already has, in any spelling, as a restated fact that needs no
// permission.
func (u *Update) Request(by Caller) update.Request {
	doc := make(map[string]any, len(u.IDs)+3)
	var delivery map[string]update.Delivery
	for _, f := range idFields {
		id, sent := u.IDs[f.name]
		if !sent {
			continue
		}
		doc[f.path[1:]] = id.Value
		if f.confirmPath != "" && id.Confirmed {
			if delivery == nil {
				delivery = make(map[string]update.Delivery, 2)
			}
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
		Locator:       by.locator(u.UserID),
		Client:        by.grantee(),
		Actor:         by.Actor,
		Subject:       by.Subject,
		Spend:         by.spend,
		Mode:          update.Replace,
		Doc:           doc,
		IncludeRecord: true,
	}
	req.Delivery = delivery // nil when no id is sent confirmed
	if u.Password != nil {
		req.Secrets = map[string]update.SecretValue{pathPassword: {Plain: *u.Password}}
	}
	return req
}
