package druid

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// The values DRUID's activities may carry.
var (
	verbsUpdate = []string{"update", "create"} // "create" is the seed's table, kept as an alias
	sourceIDs   = []string{"unknown", "pc", "mobile", "tablet", "game_console", "itv"}
)

// maxNameLen bounds ids, entry points and member names of datas and
// assertions.
const maxNameLen = 128

// Update is a decoded DRUID user update: the user it names and the user
// as the request states it. Nil maps and slices mean the member was not
// sent (or was null), which a replacement treats as "remove".
type Update struct {
	// Actor is the app_id in actor.id; the handler checks it against the
	// token's client.
	Actor  string
	Verb   string
	Source string
	// UserID is object.id.
	UserID string
	// Password is object.password, nil when not sent.
	Password *string
	// IDs holds object.ids by name ("email", "phone_number", ...).
	IDs        map[string]ID
	Datas      map[string]any
	Assertions map[string]any
	Addresses  []any
}

// ID is one user id as sent.
type ID struct {
	Value string
	// Confirmed is what the request says: true claims the value is already
	// confirmed, false (or absent) asks for confirmation.
	Confirmed bool
}

// fieldErrors collects every problem of one request, so a client learns
// all of them at once.
type fieldErrors []update.FieldError

func (f *fieldErrors) add(path, rule, format string, args ...any) {
	*f = append(*f, update.FieldError{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	// Members come from maps; sorting makes the answer the same every time.
	slices.SortStableFunc(f, func(a, b update.FieldError) int { return strings.Compare(a.Path, b.Path) })
	return &update.Error{Code: update.Invalid, Message: "invalid data", Fields: f}
}

// DecodeUpdate reads a DRUID update activity from its decoded JSON body
// (the map[string]any, []any, string, json.Number, bool, nil of a bounded
// decode). Every structural problem is reported as one Invalid error
// listing each failing member by its vendor name; values are left for the
// engine's rules. It does not look at authorization. object.id is
// required: an administrative update names its user.
func DecodeUpdate(body any) (*Update, error) { return decodeUpdate(body, false) }

// DecodeSelfUpdate is DecodeUpdate for an update sent with a user's own
// access token: the token names the user, so object.id may be left out
// (when sent, the engine refuses any user but the token's).
func DecodeSelfUpdate(body any) (*Update, error) { return decodeUpdate(body, true) }

func decodeUpdate(body any, self bool) (*Update, error) {
	var fe fieldErrors
	u := &Update{}
	obj, err := decodeActivity(&fe, body, &u.Actor, &u.Verb, &u.Source)
	if err != nil {
		return nil, err
	}
	if obj != nil {
		decodeUser(&fe, obj, u, self)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return u, nil
}

// decodeActivity reads the envelope every update activity shares (actor,
// verb, source) and returns its object member, nil when missing.
func decodeActivity(fe *fieldErrors, body any, actor, verb, source *string) (map[string]any, error) {
	root, ok := body.(map[string]any)
	if !ok {
		return nil, failure(update.Malformed, "the body must be a JSON object")
	}
	onlyMembers(fe, "", root, "actor", "verb", "object", "source")
	if a := object(fe, root, "", "actor", true); a != nil {
		onlyMembers(fe, "actor.", a, "id", "objectType")
		*actor = str(fe, a, "actor.", "id", true)
		constant(fe, a, "actor.", "objectType", "application")
	}
	*verb = str(fe, root, "", "verb", true)
	if *verb != "" && !slices.Contains(verbsUpdate, *verb) {
		fe.add("verb", "oneof", "must be \"update\"")
	}
	if src := object(fe, root, "", "source", true); src != nil {
		onlyMembers(fe, "source.", src, "id", "objectType")
		*source = str(fe, src, "source.", "id", true)
		if *source != "" && !slices.Contains(sourceIDs, *source) {
			fe.add("source.id", "oneof", "must be one of %s", strings.Join(sourceIDs, ", "))
		}
		constant(fe, src, "source.", "objectType", "device")
	}
	return object(fe, root, "", "object", true), nil
}

// userMembers reads what a replacement and a partial update share of the
// object member: its members' names, objectType and id. self lets id be
// left out.
func userMembers(fe *fieldErrors, obj map[string]any, self bool) (userID string) {
	for k := range obj {
		switch k {
		case "objectType", "id", "password", "ids", "datas", "assertions", "addresses":
		case "createdOn", "updatedOn", "confirmed":
			fe.add("object."+k, update.RuleReadOnly, "is set by the server and cannot be sent")
		default:
			fe.add("object."+clip(k), update.RuleUnknown, "is not a user member")
		}
	}
	constant(fe, obj, "object.", "objectType", "user")
	userID = str(fe, obj, "object.", "id", !self)
	if len(userID) > maxNameLen {
		fe.add("object.id", "max", "must be at most %d bytes", maxNameLen)
	}
	return userID
}

// decodeUser reads the object member: the user as it should be.
func decodeUser(fe *fieldErrors, obj map[string]any, u *Update, self bool) {
	u.UserID = userMembers(fe, obj, self)
	if obj["password"] != nil {
		p := str(fe, obj, "object.", "password", false)
		u.Password = &p
	}
	if ids := object(fe, obj, "object.", "ids", false); ids != nil {
		u.IDs = decodeIDs(fe, ids)
	}
	u.Datas = named(fe, obj, "datas")
	u.Assertions = named(fe, obj, "assertions")
	if v, ok := obj["addresses"]; ok && v != nil {
		u.Addresses = addresses(fe, v)
	}
}

// addresses reads object.addresses: an array of objects.
func addresses(fe *fieldErrors, v any) []any {
	arr, isArr := v.([]any)
	if !isArr {
		fe.add("object.addresses", update.RuleType, "must be an array of address objects")
	}
	for i, a := range arr {
		if _, isObj := a.(map[string]any); !isObj {
			fe.add(fmt.Sprintf("object.addresses.%d", i), update.RuleType, "must be an object")
		}
	}
	return arr
}

// DecodePatch reads a partial update (the PATCH variant, and each line
// of a bulk upload): the same activity as DecodeUpdate, whose object
// names only what changes. A member sent as null removes it: an id, datas
// or assertions as a whole or one of their members, addresses. The
// password cannot be removed. self is as for DecodeSelfUpdate: the user
// is named by the token and object.id may be left out.
func DecodePatch(body any, self bool) (*Patch, error) {
	var fe fieldErrors
	p := &Patch{Doc: map[string]any{}}
	obj, err := decodeActivity(&fe, body, &p.Actor, &p.Verb, &p.Source)
	if err != nil {
		return nil, err
	}
	if obj != nil {
		decodePatchUser(&fe, obj, p, self)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// decodePatchUser reads the object member of a partial update into the
// engine's merge document.
func decodePatchUser(fe *fieldErrors, obj map[string]any, p *Patch, self bool) {
	p.UserID = userMembers(fe, obj, self)
	if v, sent := obj["password"]; sent {
		if v == nil {
			fe.add("object.password", update.RuleRequired, "cannot be removed, only replaced")
		} else {
			s := str(fe, obj, "object.", "password", false)
			p.Password = &s
		}
	}
	if ids := object(fe, obj, "object.", "ids", false); ids != nil {
		for name, v := range ids {
			f, known := idByName(name)
			if !known {
				fe.add(idPath(name), update.RuleUnknown, "is not a user id (email, phone_number, screen_name, national_id)")
				continue
			}
			if v == nil {
				p.Doc[f.path[1:]] = nil
				continue
			}
			if id, ok := decodeID(fe, name, v); ok {
				p.Doc[f.path[1:]] = id.Value
				if id.Confirmed && f.confirmPath != "" {
					p.Confirmed = append(p.Confirmed, f.path)
				}
			}
		}
	}
	for _, key := range []string{"datas", "assertions"} {
		if v, sent := obj[key]; sent {
			if v == nil {
				p.Doc[key] = nil
			} else if m := named(fe, obj, key); m != nil {
				p.Doc[key] = m
			}
		}
	}
	if v, sent := obj["addresses"]; sent {
		if v == nil {
			p.Doc["addresses"] = nil
		} else {
			p.Doc["addresses"] = addresses(fe, v)
		}
	}
	slices.Sort(p.Confirmed)
}

// decodeIDs reads object.ids: each member a user_id object.
func decodeIDs(fe *fieldErrors, ids map[string]any) map[string]ID {
	out := make(map[string]ID, len(ids))
	for name, v := range ids {
		if _, known := idByName(name); !known {
			fe.add(idPath(name), update.RuleUnknown, "is not a user id (email, phone_number, screen_name, national_id)")
			continue
		}
		if v == nil {
			continue // null is the same as leaving the id out
		}
		if id, ok := decodeID(fe, name, v); ok {
			out[name] = id
		}
	}
	return out
}

// idPath is the vendor path of the id named name, for its errors.
func idPath(name string) string { return "object.ids." + clip(name) }

// decodeID reads one user_id object, the id named name.
func decodeID(fe *fieldErrors, name string, v any) (ID, bool) {
	m, ok := v.(map[string]any)
	if ok {
		if id, clean := cleanID(m); clean {
			return id, true
		}
	}
	// Something to report: the checks again, naming the members.
	at := idPath(name)
	if !ok {
		fe.add(at, update.RuleType, "must be a user_id object")
		return ID{}, false
	}
	onlyMembers(fe, at+".", m, "objectType", "value", "confirmed")
	if _, sent := m["objectType"]; sent {
		constant(fe, m, at+".", "objectType", "user_id")
	}
	id := ID{Value: str(fe, m, at+".", "value", true)}
	switch c := m["confirmed"].(type) {
	case nil:
	case bool:
		id.Confirmed = c
	default:
		fe.add(at+".confirmed", update.RuleType, "must be a boolean")
	}
	return id, true
}

// cleanID reads a user_id object that decodeID finds nothing wrong with,
// without building the paths its errors would name, and reports false
// for any other.
func cleanID(m map[string]any) (ID, bool) {
	for k := range m {
		if k != "objectType" && k != "value" && k != "confirmed" {
			return ID{}, false
		}
	}
	if t, sent := m["objectType"]; sent && t != "user_id" {
		return ID{}, false
	}
	id := ID{}
	if v, _ := m["value"].(string); v != "" {
		id.Value = v
	} else {
		return ID{}, false
	}
	switch c := m["confirmed"].(type) {
	case nil:
	case bool:
		id.Confirmed = c
	default:
		return ID{}, false
	}
	return id, true
}

// named reads an object of named values (datas, assertions); nil when not
// sent or null.
func named(fe *fieldErrors, obj map[string]any, key string) map[string]any {
	m := object(fe, obj, "object.", key, false)
	for k := range m {
		if k == "" || len(k) > maxNameLen || strings.ContainsAny(k, "/~") {
			fe.add("object."+key+"."+clip(k), "name", "names must be 1 to %d characters without / or ~", maxNameLen)
		}
	}
	return m
}

// object returns obj[key] as an object; a missing or null member is nil
// (an error when required), another type an error. prefix is the vendor
// path of obj, for the error.
func object(fe *fieldErrors, obj map[string]any, prefix, key string, required bool) map[string]any {
	v, ok := obj[key]
	if !ok || v == nil {
		if required {
			fe.add(prefix+key, update.RuleRequired, "is required")
		}
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		fe.add(prefix+key, update.RuleType, "must be an object")
		return nil
	}
	return m
}

// str returns obj[key] as a string.
func str(fe *fieldErrors, obj map[string]any, prefix, key string, required bool) string {
	v, ok := obj[key]
	if !ok || v == nil {
		if required {
			fe.add(prefix+key, update.RuleRequired, "is required")
		}
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		fe.add(prefix+key, update.RuleType, "must be a string")
		return ""
	}
	if required && s == "" {
		fe.add(prefix+key, update.RuleRequired, "must not be empty")
	}
	return s
}

// constant requires obj[key] to be want.
func constant(fe *fieldErrors, obj map[string]any, prefix, key, want string) {
	if got := str(fe, obj, prefix, key, true); got != "" && got != want {
		fe.add(prefix+key, "eq", "must be %q", want)
	}
}

// onlyMembers refuses members of obj not in allowed.
func onlyMembers(fe *fieldErrors, prefix string, obj map[string]any, allowed ...string) {
	for k := range obj {
		if !slices.Contains(allowed, k) {
			fe.add(prefix+clip(k), update.RuleUnknown, "is not allowed here")
		}
	}
}

// tokenFields are the form fields of the token request.
var tokenFields = []string{"grant_type", "client_id", "client_secret", "code_challenge", "code_challenge_method", "scope"}

// DecodeQuery refuses query parameters on the endpoints that take none
// (token, confirm, resend).
func DecodeQuery(rawQuery string) error {
	_, err := decodeQuery(rawQuery)
	return err
}

// DecodeUpdateQuery reads the update's query: code_verifier, once, and
// nothing else.
func DecodeUpdateQuery(rawQuery string) (verifier string, err error) {
	// The query as clients send it, a verifier of the characters RFC
	// 7636 allows, needs no unescaping and says the same parsed.
	if v, ok := strings.CutPrefix(rawQuery, "code_verifier="); ok && unreserved(v) {
		return v, nil
	}
	return parseUpdateQuery(rawQuery)
}

// parseUpdateQuery is DecodeUpdateQuery for any query: parsed, then
// checked.
func parseUpdateQuery(rawQuery string) (verifier string, err error) {
	q, err := decodeQuery(rawQuery, "code_verifier")
	if err != nil {
		return "", err
	}
	if len(q["code_verifier"]) > 1 {
		return "", failure(codeUnauthorized, "code_verifier must be sent once")
	}
	return q.Get("code_verifier"), nil
}

func decodeQuery(rawQuery string, known ...string) (url.Values, error) {
	if rawQuery == "" {
		return url.Values{}, nil
	}
	q, err := httpx.ParseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	if name, ok := httpx.Unknown(q, known...); ok {
		return nil, unknownParameter("query parameter", name)
	}
	return q, nil
}

// unknownParameter is the Malformed error naming a parameter the endpoint
// does not take.
func unknownParameter(kind, name string) error {
	return failure(update.Malformed, kind+" "+name+" is not allowed here")
}

// clip shortens a client-chosen name before it is echoed in an error.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}

// notificationConfirm is the only notification type the resend endpoint
// issues: a new confirmation code.
const notificationConfirm = "confirm_register"

// maxCodeLen bounds a confirmation code before it reaches the engine.
const maxCodeLen = 64

// Confirmation is a decoded /activityid/v1/user/confirm request.
type Confirmation struct {
	Locator update.Locator
	Code    string
}

// Notification is a decoded /activityid/v1/notification/request request:
// a new code for the id at Path of the user Locator names.
type Notification struct {
	Locator update.Locator
	Path    string
}

// DecodeConfirm reads a confirm activity: verb "confirm", the user named
// by object.id or by the value of one of its established confirmable ids
// (object.ids.email or object.ids.phone_number), and context.code.
func DecodeConfirm(body any) (*Confirmation, error) {
	var fe fieldErrors
	root, ok := body.(map[string]any)
	if !ok {
		return nil, failure(update.Malformed, "the body must be a JSON object")
	}
	onlyMembers(&fe, "", root, "verb", "object", "context")
	constant(&fe, root, "", "verb", "confirm")
	c := &Confirmation{}
	if ctx := object(&fe, root, "", "context", true); ctx != nil {
		onlyMembers(&fe, "context.", ctx, "code")
		c.Code = str(&fe, ctx, "context.", "code", true)
		if len(c.Code) > maxCodeLen {
			fe.add("context.code", "max", "must be at most %d characters", maxCodeLen)
		}
	}
	loc, _ := userLocator(&fe, root, false)
	c.Locator = loc
	if err := fe.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// DecodeResend reads a notification request: verb "request",
// context.notificationType "confirm_register", and object.ids naming
// exactly one confirmable id. The user is object.id when sent, else the
// user holding that id's value as an established id.
func DecodeResend(body any) (*Notification, error) {
	var fe fieldErrors
	root, ok := body.(map[string]any)
	if !ok {
		return nil, failure(update.Malformed, "the body must be a JSON object")
	}
	onlyMembers(&fe, "", root, "verb", "object", "context")
	constant(&fe, root, "", "verb", "request")
	if ctx := object(&fe, root, "", "context", true); ctx != nil {
		onlyMembers(&fe, "context.", ctx, "notificationType")
		constant(&fe, ctx, "context.", "notificationType", notificationConfirm)
	}
	loc, path := userLocator(&fe, root, true)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return &Notification{Locator: loc, Path: path}, nil
}

// userLocator reads the object member of a confirm or resend: object.id
// and/or object.ids with one confirmable id. It returns the locator and
// the path of the id named (""when none). needID requires the id.
func userLocator(fe *fieldErrors, root map[string]any, needID bool) (update.Locator, string) {
	obj := object(fe, root, "", "object", true)
	if obj == nil {
		return update.Locator{}, ""
	}
	onlyMembers(fe, "object.", obj, "id", "ids", "objectType")
	if _, sent := obj["objectType"]; sent {
		constant(fe, obj, "object.", "objectType", "user")
	}
	userID := str(fe, obj, "object.", "id", false)
	if len(userID) > maxNameLen {
		fe.add("object.id", "max", "must be at most %d bytes", maxNameLen)
	}
	var path, value string
	if ids := object(fe, obj, "object.", "ids", false); ids != nil {
		if len(ids) != 1 {
			fe.add("object.ids", "len", "must name exactly one of email, phone_number")
		}
		for name, v := range ids {
			f, known := idByName(name)
			if !known || f.confirmPath == "" {
				fe.add("object.ids."+clip(name), update.RuleUnknown, "must be email or phone_number")
				continue
			}
			m, isObj := v.(map[string]any)
			if !isObj {
				fe.add("object.ids."+name, update.RuleType, "must be a user_id object")
				continue
			}
			onlyMembers(fe, "object.ids."+name+".", m, "objectType", "value")
			if _, sent := m["objectType"]; sent {
				constant(fe, m, "object.ids."+name+".", "objectType", "user_id")
			}
			path, value = f.path, str(fe, m, "object.ids."+name+".", "value", userID == "")
			if len(value) > 320 {
				fe.add("object.ids."+name+".value", "max", "is too long")
			}
		}
	}
	switch {
	case needID && path == "":
		fe.add("object.ids", update.RuleRequired, "must name the email or phone_number to confirm")
	case userID == "" && path == "":
		fe.add("object", update.RuleRequired, "must name the user by id or by email or phone_number")
	}
	if userID != "" {
		return update.ByID(userID), path
	}
	return update.ByKey(path, value), path
}
