package druid

import (
	"time"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// User is a DRUID user as responses show it. It never carries the
// password.
type User struct {
	ObjectType string            `json:"objectType"`
	ID         string            `json:"id"`
	IDs        map[string]UserID `json:"ids"`
	Datas      map[string]any    `json:"datas,omitempty"`
	Assertions map[string]any    `json:"assertions,omitempty"`
	Addresses  []any             `json:"addresses,omitempty"`
	// Confirmed is derived: true once at least one id is confirmed.
	Confirmed bool   `json:"confirmed"`
	CreatedOn string `json:"createdOn"`
	UpdatedOn string `json:"updatedOn"`
}

// UserID is one id of a User.
type UserID struct {
	ObjectType string `json:"objectType"`
	Value      string `json:"value"`
	// Confirmed is set for confirmable ids (email, phone_number) only.
	Confirmed *bool `json:"confirmed,omitempty"`
}

// Body is DRUID's success document.
type Body struct {
	Result Outcome `json:"result"`
	Object *User   `json:"object,omitempty"`
}

// Outcome is the result member of a success document.
type Outcome struct {
	Status int `json:"status"`
	// Pending names the ids waiting for confirmation ("email",
	// "phone_number"); absent when none waits.
	Pending []string `json:"pending,omitempty"`
}

// EncodeUser returns the user v shows. Established values only: a value
// waiting for confirmation is not shown until it is confirmed.
func EncodeUser(v *update.View) *User {
	u := &User{
		ObjectType: "user",
		ID:         v.ID,
		IDs:        map[string]UserID{},
		CreatedOn:  v.Created.UTC().Format(time.RFC3339),
		UpdatedOn:  v.Updated.UTC().Format(time.RFC3339),
	}
	for _, f := range idFields {
		val, ok := v.Doc[f.path[1:]].(string)
		if !ok {
			continue
		}
		id := UserID{ObjectType: "user_id", Value: val}
		if f.confirmPath != "" {
			c, _ := v.Doc[f.confirmPath[1:]].(bool)
			id.Confirmed = &c
			u.Confirmed = u.Confirmed || c
		}
		u.IDs[f.name] = id
	}
	u.Datas, _ = v.Doc[pathDatas[1:]].(map[string]any)
	u.Assertions, _ = v.Doc[pathAssertions[1:]].(map[string]any)
	u.Addresses, _ = v.Doc[pathAddresses[1:]].([]any)
	return u
}

// EncodeResult returns the status and body answering an update: 304 and
// no body when nothing changed, else 200 with the user after the change
// and the ids waiting for confirmation, those this request opened and
// those still open from before.
func EncodeResult(res *update.Result) (int, *Body) {
	if res.Unchanged {
		return statusNotModified, nil
	}
	body := &Body{Result: Outcome{Status: statusOK}}
	waiting := map[string]bool{}
	for _, p := range res.Pending {
		if p.Held && p.State == verify.Pending {
			waiting[p.Path] = true
		}
	}
	if res.Record != nil {
		body.Object = EncodeUser(res.Record)
		for _, p := range res.Record.Pending {
			if p.Held && p.State == verify.Pending {
				waiting[p.Path] = true
			}
		}
	}
	for _, f := range idFields {
		if waiting[f.path] {
			body.Result.Pending = append(body.Result.Pending, f.name)
		}
	}
	return statusOK, body
}

// TokenResponse is the answer of /oauth2/token.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}
