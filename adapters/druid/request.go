package druid

import (
	"strings"

	"github.com/idupdate/idupdate/update"
)

// Caller says who sends an update: the client the token was issued to, the
// actor recorded in the history (the entry point), and the default region
// phone numbers are read in.
type Caller struct {
	Client string
	Actor  string
	Region string
}

// Request turns u into the engine's replacement of the user, given the
// user as it is now (current, read with the engine's Get) and the caller.
// The request carries Expect.Version of current, so a write between the
// read and the update is a Conflict, not lost. A nil current sets no
// precondition and treats no id as confirmed.
//
// It refuses (Invalid, naming each one) to leave out an email or phone
// number that is confirmed: DRUID lets a confirmed id be replaced, never
// dropped. An id sent with "confirmed": true asks for AlreadyVerified
// delivery unless it is the confirmed value the user already has, which
// restates a fact and needs no permission.
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
		if f.confirmPath == "" || !id.Confirmed {
			continue
		}
		if confirmedIn(current, f) && current.Doc[f.path[1:]] == canonical(f, id.Value, by.Region) {
			continue
		}
		delivery[f.path] = update.Delivery{Kind: update.AlreadyVerified}
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
		Type:          UserType,
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

// canonical returns value as the engine stores it (the profile's
// normalizers), so a restated id compares equal however it is written.
// A value that does not normalize is returned as sent; the engine refuses
// it.
func canonical(f idField, value, region string) string {
	switch f.path {
	case pathEmail:
		v := strings.TrimSpace(value)
		if at := strings.LastIndexByte(v, '@'); at >= 0 {
			return v[:at+1] + strings.ToLower(v[at+1:])
		}
		return v
	case pathPhone:
		if v, err := update.PhoneE164(value, region); err == nil {
			return v
		}
	}
	return value
}
