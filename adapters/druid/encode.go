package druid

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
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
		IDs:        make(map[string]UserID, len(idFields)),
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
	waiting := func(path string, pending []update.PendingInfo) bool {
		return slices.ContainsFunc(pending, func(p update.PendingInfo) bool {
			return p.Path == path && p.Held && p.State == verify.Pending
		})
	}
	var record []update.PendingInfo
	if res.Record != nil {
		body.Object = EncodeUser(res.Record)
		record = res.Record.Pending
	}
	for _, f := range idFields {
		if waiting(f.path, res.Pending) || waiting(f.path, record) {
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

// AppendJSON appends b's JSON text, the bytes json.Marshal writes for it,
// and json.Marshal's error for a value a document cannot hold: the answer
// of every update, written without reflection.
func (b *Body) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"result":{"status":`...)
	dst = strconv.AppendInt(dst, int64(b.Result.Status), 10)
	if len(b.Result.Pending) > 0 {
		dst = append(dst, `,"pending":`...)
		dst = httpx.AppendStrings(dst, b.Result.Pending)
	}
	dst = append(dst, '}')
	if b.Object != nil {
		dst = append(dst, `,"object":`...)
		var err error
		if dst, err = b.Object.appendJSON(dst); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendJSON appends u's JSON text, the bytes json.Marshal writes for it.
func (u *User) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"objectType":`...)
	dst = httpx.AppendString(dst, u.ObjectType)
	dst = append(dst, `,"id":`...)
	dst = httpx.AppendString(dst, u.ID)
	dst = append(dst, `,"ids":`...)
	if u.IDs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '{')
		names := idNamesSorted
		if !onlyKnownIDs(u.IDs) {
			names = slices.Sorted(maps.Keys(u.IDs))
		}
		first := true
		for _, name := range names {
			id, ok := u.IDs[name]
			if !ok {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = httpx.AppendString(dst, name)
			dst = append(dst, `:{"objectType":`...)
			dst = httpx.AppendString(dst, id.ObjectType)
			dst = append(dst, `,"value":`...)
			dst = httpx.AppendString(dst, id.Value)
			if id.Confirmed != nil {
				dst = append(dst, `,"confirmed":`...)
				dst = strconv.AppendBool(dst, *id.Confirmed)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	var err error
	if len(u.Datas) > 0 { // omitempty, as for the two below
		if dst, err = httpx.AppendJSON(append(dst, `,"datas":`...), u.Datas); err != nil {
			return dst, err
		}
	}
	if len(u.Assertions) > 0 {
		if dst, err = httpx.AppendJSON(append(dst, `,"assertions":`...), u.Assertions); err != nil {
			return dst, err
		}
	}
	if len(u.Addresses) > 0 {
		if dst, err = httpx.AppendJSON(append(dst, `,"addresses":`...), u.Addresses); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `,"confirmed":`...)
	dst = strconv.AppendBool(dst, u.Confirmed)
	dst = append(dst, `,"createdOn":`...)
	dst = httpx.AppendString(dst, u.CreatedOn)
	dst = append(dst, `,"updatedOn":`...)
	dst = httpx.AppendString(dst, u.UpdatedOn)
	return append(dst, '}'), nil
}

// idNamesSorted are the names of idFields in the order json.Marshal
// writes map keys.
var idNamesSorted = func() []string {
	names := make([]string, len(idFields))
	for i, f := range idFields {
		names[i] = f.name
	}
	slices.Sort(names)
	return names
}()

// onlyKnownIDs reports whether every id in ids is one of idFields, as
// every id EncodeUser makes is.
func onlyKnownIDs(ids map[string]UserID) bool {
	for name := range ids {
		if _, known := idByName(name); !known {
			return false
		}
	}
	return true
}
