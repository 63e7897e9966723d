package zitadel

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// The calls, whichever wire format carries them: each takes a decoded,
// checked typed request, runs the engine and returns the REST answer,
// which the RPC encoders restate in protobuf. r supplies the context and
// w the request id of log lines.

// user names user id for c. Nothing is read: the engine's grant keeps c
// inside its organisation (a user of another one does not exist for it)
// and a user's own token on itself, so every user c reaches is of c's
// organisation.
func (h *Handler) user(c Client, id string) (Target, error) {
	if id == "" || len(id) > 200 {
		return Target{}, update.Errorf(update.NotFound, "no such user")
	}
	return h.target(c, id, c.OrgID), nil
}

// change applies the engine request that request builds for user id as
// c, logging codes that could not be sent, and returns the result and the
// user's target.
func (h *Handler) change(w http.ResponseWriter, r *http.Request, c Client, id string, request func(Target) (update.Request, error)) (*update.Result, Target, error) {
	t, err := h.user(c, id)
	if err != nil {
		return nil, Target{}, err
	}
	req, err := request(t)
	if err != nil {
		return nil, Target{}, err
	}
	res, err := h.eng.Apply(r.Context(), req)
	if err != nil {
		return nil, Target{}, err
	}
	h.logDispatch(w, r, res)
	return res, t, nil
}

// updateUser serves UpdateHumanUser.
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, c Client, id string, b *UpdateHumanUserRequest) (ChangeResponse, error) {
	ch, err := h.updateUserChange(w, r, c, id, b)
	if err != nil {
		return ChangeResponse{}, err
	}
	return ch.response(), nil
}

// updateUserChange serves UpdateHumanUser, returning its answer before
// a wire format writes it.
func (h *Handler) updateUserChange(w http.ResponseWriter, r *http.Request, c Client, id string, b *UpdateHumanUserRequest) (change, error) {
	res, t, err := h.change(w, r, c, id, b.Request)
	if err != nil {
		return change{}, err
	}
	// The answer names the user's creation date, which the result
	// carries: asking for the whole record would copy it for one field.
	ch := changeOf(res, t.OrgID)
	ch.created = res.Created
	return ch, nil
}

// addUser serves AddHumanUser: admin tokens only, in their own
// organisation (the engine's grant refuses any other). The permission is
// checked before decode runs, so a caller without it learns nothing about
// its request.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, c Client, decode func() (*AddHumanUserRequest, error)) (AddResponse, error) {
	if !c.admin() {
		return AddResponse{}, errForbidden
	}
	b, err := decode()
	if err != nil {
		return AddResponse{}, err
	}
	req, org, err := h.addRequest(c, b)
	if err != nil {
		return AddResponse{}, err
	}
	res, err := h.eng.Create(r.Context(), req)
	if err != nil {
		return AddResponse{}, err
	}
	h.logDispatch(w, r, res)
	return EncodeAdd(res, org), nil
}

// readUser serves GetUserByID.
func (h *Handler) readUser(r *http.Request, c Client, id string) (UserResponse, error) {
	if _, err := h.user(c, id); err != nil {
		return UserResponse{}, err
	}
	v, err := h.eng.Get(r.Context(), EntityType, update.ByID(id), update.AsClient(c.ID))
	if err != nil {
		return UserResponse{}, err
	}
	return EncodeUser(v), nil
}

// verifyCode serves VerifyEmail (channel verify.Email) and VerifyPhone
// (verify.SMS).
func (h *Handler) verifyCode(r *http.Request, c Client, id string, channel verify.Channel, b *VerifyCodeRequest) (ChangeResponse, error) {
	t, err := h.user(c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Confirm(r.Context(), b.Request(t, channel))
	if err != nil {
		return ChangeResponse{}, err
	}
	return ChangeResponse{Details: EncodeChange(res, t.OrgID).Details}, nil
}

// resendCode serves ResendEmailCode and ResendPhoneCode; resend is the
// typed request's Request method. The code, when returned, is in
// VerificationCode.
func (h *Handler) resendCode(w http.ResponseWriter, r *http.Request, c Client, id string, resend func(Target) update.ResendRequest) (ChangeResponse, error) {
	t, err := h.user(c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Resend(r.Context(), resend(t))
	if err != nil {
		return ChangeResponse{}, err
	}
	h.logDispatch(w, r, res)
	out := EncodeChange(res, t.OrgID)
	out.VerificationCode = out.EmailCode + out.PhoneCode
	out.EmailCode, out.PhoneCode = "", ""
	return out, nil
}

// removeUserPhone serves RemovePhone: a user without a phone number
// answers ZITADEL's "Phone not found". The user is read as c (its grant
// checked by the engine) to tell.
func (h *Handler) removeUserPhone(r *http.Request, c Client, id string) (ChangeResponse, error) {
	t, err := h.user(c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	v, err := h.eng.Get(r.Context(), EntityType, update.ByID(id), update.AsClient(c.ID))
	if err != nil {
		return ChangeResponse{}, err
	}
	if str(obj(v.Doc, "phone"), "phone") == "" {
		return ChangeResponse{}, errPhoneNotFound
	}
	res, err := h.eng.Apply(r.Context(), RemovePhoneRequest(t))
	if err != nil {
		return ChangeResponse{}, err
	}
	return ChangeResponse{Details: EncodeChange(res, t.OrgID).Details}, nil
}

// setPassword serves SetPassword.
func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request, c Client, id string, b *SetPasswordRequest) (ChangeResponse, error) {
	res, t, err := h.change(w, r, c, id, b.Request)
	if err != nil {
		return ChangeResponse{}, err
	}
	return ChangeResponse{Details: EncodeChange(res, t.OrgID).Details}, nil
}

// resetPassword serves PasswordReset. The code, when returned, is in
// VerificationCode.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, c Client, id string, b *PasswordResetRequest) (ChangeResponse, error) {
	t, err := h.user(c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Reset(r.Context(), b.Request(t))
	if err != nil {
		return ChangeResponse{}, err
	}
	h.logDispatch(w, r, res)
	out := ChangeResponse{Details: EncodeChange(res, t.OrgID).Details}
	for _, p := range res.Pending {
		if p.Path == passwordPath {
			out.VerificationCode = p.Code
		}
	}
	return out, nil
}

// listUsers serves ListUsers: the engine lists within the caller's
// organisation (and a user's own token sees only its user).
func (h *Handler) listUsers(r *http.Request, c Client, m *ListUsersRequest) (ListResponse, error) {
	req, err := listRequest(m, h.target(c, "", c.OrgID))
	if err != nil {
		return ListResponse{}, err
	}
	res, err := h.eng.List(r.Context(), req)
	if err != nil {
		return ListResponse{}, err
	}
	out := ListResponse{
		Details:       ListDetails{TotalResult: strconv.Itoa(res.Total), Timestamp: formatTime(h.cfg.Now())},
		SortingColumn: m.GetSortingColumn().String(),
		Result:        make([]User, len(res.Views)),
	}
	for i, v := range res.Views {
		out.Result[i] = EncodeUser(v).User
	}
	return out, nil
}

// updateUserV2 serves UpdateUser: its human part is UpdateHumanUser's
// sections (HumanUpdate), run through updateUser, so both calls reach the
// same rules and engine request.
func (h *Handler) updateUserV2(w http.ResponseWriter, r *http.Request, c Client, id string, b *UpdateUserRequest) (UpdateUserResponse, error) {
	out, err := h.updateUser(w, r, c, id, b.HumanUpdate())
	if err != nil {
		return UpdateUserResponse{}, err
	}
	return EncodeUpdateUser(out), nil
}

// addRequest turns a checked AddHumanUser by admin client c into the
// engine request: the user goes into c's organisation unless the body
// names another with organization.orgId (orgDomain is not served). It
// returns the organisation too.
func (h *Handler) addRequest(c Client, b *AddHumanUserRequest) (update.CreateRequest, string, error) {
	org := c.OrgID
	if o := b.Organization; o != nil {
		switch {
		case o.OrgDomain != nil:
			return update.CreateRequest{}, "", invalid([]update.FieldError{{
				Path: "/organization/orgDomain", Rule: "unsupported",
				Message: "organization.orgDomain is not supported here; send organization.orgId",
			}})
		case o.OrgID != nil:
			org = *o.OrgID
		}
	}
	req, err := b.Request(h.target(c, "", org))
	if err != nil {
		return update.CreateRequest{}, "", err
	}
	if len(req.ID) > 200 {
		return update.CreateRequest{}, "", invalid([]update.FieldError{{Path: "/userId", Rule: "max", Param: "200", Message: "userId is longer than 200 characters"}})
	}
	return req, org, nil
}

// CreateRequest returns the engine request AddHumanUser (POST
// /v2/users/human) makes for body when sent by the configured client with
// id clientID: the body is bounded, decoded and checked as the REST call
// does it, and refused with the same errors (a client that is not an
// organisation's admin is Forbidden). Code that creates users without a
// request, such as an importer, builds them with it so they are the users
// AddHumanUser would have made. The request carries the password as a
// secret and the verification deliveries the body asks for.
func (h *Handler) CreateRequest(clientID string, body []byte) (update.CreateRequest, error) {
	i := slices.IndexFunc(h.cfg.Clients, func(c Client) bool { return c.ID == clientID })
	if i < 0 {
		return update.CreateRequest{}, update.Errorf(update.Forbidden, "no client %q is configured", clientID)
	}
	c := h.cfg.Clients[i]
	if !c.admin() {
		return update.CreateRequest{}, errForbidden
	}
	if err := httpx.CheckBody(body, h.cfg.MaxBodyBytes); err != nil {
		return update.CreateRequest{}, err
	}
	b, err := DecodeCreate(body, h.cfg.MaxDepth)
	if err != nil {
		return update.CreateRequest{}, err
	}
	req, _, err := h.addRequest(c, b)
	return req, err
}
