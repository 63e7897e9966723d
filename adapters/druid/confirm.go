package druid

import (
	"net/http"
	"slices"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

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

func (h *Handler) serveConfirm(w http.ResponseWriter, r *http.Request) {
	client, entry, body, err := h.entryRequest(r)
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	c, err := DecodeConfirm(body)
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	_, err = h.eng.Confirm(r.Context(), update.ConfirmRequest{
		Type: EntityType, Locator: c.Locator, Code: c.Code, Client: client, Actor: entry,
	})
	if err != nil {
		h.fail(w, r, OpConfirm, err)
		return
	}
	httpx.WriteJSON(w, statusOK, Body{Result: Outcome{Status: statusOK}})
}

func (h *Handler) serveResend(w http.ResponseWriter, r *http.Request) {
	client, entry, body, err := h.entryRequest(r)
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	n, err := DecodeResend(body)
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	res, err := h.eng.Resend(r.Context(), update.ResendRequest{
		Type: EntityType, Locator: n.Locator, Path: n.Path, Client: client, Actor: entry,
	})
	if err != nil {
		h.fail(w, r, OpResend, err)
		return
	}
	for _, p := range res.Pending {
		if p.DispatchError != "" {
			h.cfg.Logger.WarnContext(r.Context(), "druid: confirmation code not sent",
				"request_id", httpx.RequestID(w, r), "user", res.ID, "path", p.Path, "error", p.DispatchError)
		}
	}
	httpx.WriteJSON(w, statusOK, Body{Result: Outcome{Status: statusOK}})
}

// entryRequest authenticates a confirm or resend by its From header,
// which must name an entry point of a configured client (the code itself
// is the user's proof), and reads its JSON body.
func (h *Handler) entryRequest(r *http.Request) (client, entry string, body any, err error) {
	if err := DecodeQuery(r.URL.RawQuery); err != nil {
		return "", "", nil, err
	}
	from := r.Header.Values("From")
	if len(from) != 1 || from[0] == "" {
		return "", "", nil, failure(update.Malformed, "the From header must name the entry point, once")
	}
	for _, cl := range h.cfg.Clients {
		if slices.Contains(cl.EntryPoints, from[0]) {
			client = cl.ID
		}
	}
	if client == "" {
		return "", "", nil, failure(update.Forbidden, "unknown entry point")
	}
	body, err = h.readJSON(r)
	return client, from[0], body, err
}
