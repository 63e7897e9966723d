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

// NeedsRead reports whether Request needs the user as it is: only when
// the update leaves out a confirmable id (email, phone_number), to refuse
// dropping a confirmed one. An update that sends both needs no read.
func (u *Update) NeedsRead() bool {
	for _, f := range idFields {
		if _, sent := u.IDs[f.name]; f.confirmPath != "" && !sent {
			return true
		}
	}
	return false
}

// Request turns u into the engine's replacement of the user for the
// caller. current is the user as it is now, read with the engine's Get
// when NeedsRead reports so, else nil; the request then carries
// Expect.Version of current, so a write between the read and the update
// is a Conflict, not a confirmed id lost.
//
// It refuses (Invalid, naming each one) to leave out an email or phone
// number that is confirmed in current: DRUID lets a confirmed id be
// replaced, never dropped. An id sent with "confirmed": true asks for
// AlreadyVerified delivery; the engine treats the confirmed value the user
// already has, in any spelling, as a restated fact that needs no
// permission.
func (u *Update) Request(current *update.View, by Caller) (update.Request, error) {
	var fe fieldErrors
	doc := map[string]any{}
	delivery := map[string]update.Delivery{}
	for _, f := range idFields {
		id, sent := u.IDs[f.name]
		if !sent {
			if f.confirmPath != "" && confirmedIn(current, f) {
				fe.add("object.ids."+f.name, update.RuleRequired, "is confirmed and cannot be removed, only replaced")
			}
			continue
		}
		doc[f.path[1:]] = id.Value
		if f.confirmPath != "" && id.Confirmed {
			delivery[f.path] = update.Delivery{Kind: update.AlreadyVerified}
		}
	}
	if err := fe.err(); err != nil {
		return update.Request{}, err
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
	if current != nil {
		v := current.Version
		req.Expect.Version = &v
	}
	if len(delivery) > 0 {
		req.Delivery = delivery
	}
	if u.Password != nil {
		req.Secrets = map[string]update.SecretValue{pathPassword: {Plain: *u.Password}}
	}
	return req, nil
}

// confirmedIn reports whether the user has a confirmed value for f.
func confirmedIn(v *update.View, f idField) bool {
	if v == nil || f.confirmPath == "" {
		return false
	}
	val, ok := v.Doc[f.path[1:]].(string)
	flag, _ := v.Doc[f.confirmPath[1:]].(bool)
	return ok && val != "" && flag
}
