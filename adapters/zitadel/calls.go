package zitadel

import (
	"context"
	"crypto/subtle"
	"net/http"

	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// The calls, whichever wire format carries them: each takes a decoded
// request, runs the engine and returns the REST answer, which the RPC
// encoders restate in protobuf. r supplies the context and request id.

// readUser loads user id and checks that c may act on it: an admin token
// within its organisation, a user's token on itself.
func (h *Handler) readUser(ctx context.Context, c Client, id string) (*update.View, Target, error) {
	if id == "" || len(id) > 200 {
		return nil, Target{}, update.Errorf(update.NotFound, "no such user")
	}
	v, err := h.eng.Get(ctx, EntityType, update.ByID(id))
	if err != nil {
		return nil, Target{}, err
	}
	org := str(v.Doc, "orgId")
	if c.admin() && subtle.ConstantTimeCompare([]byte(org), []byte(c.OrgID)) != 1 ||
		!c.admin() && c.UserID != id {
		return nil, Target{}, errForbidden
	}
	return v, h.target(c, id, org), nil
}

// callUpdate serves UpdateHumanUser.
func (h *Handler) callUpdate(r *http.Request, c Client, id string, b *UpdateHumanUserBody) (ChangeResponse, error) {
	ctx := r.Context()
	v, t, err := h.readUser(ctx, c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	req, err := UpdateRequest(b, t)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Apply(ctx, req)
	if err != nil {
		return ChangeResponse{}, err
	}
	h.logDispatch(r, res)
	return EncodeChange(res, str(v.Doc, "orgId")), nil
}

// callAdd serves AddHumanUser: admin tokens only, in their own
// organisation.
func (h *Handler) callAdd(r *http.Request, c Client, b *AddHumanUserBody) (AddResponse, error) {
	if !c.admin() {
		return AddResponse{}, errForbidden
	}
	if o := b.Organization; o != nil {
		switch {
		case o.OrgDomain != nil:
			return AddResponse{}, invalid([]update.FieldError{{
				Path: "/organization/orgDomain", Rule: "unsupported",
				Message: "organization.orgDomain is not supported here; send organization.orgId",
			}})
		case o.OrgID != nil && *o.OrgID != c.OrgID:
			return AddResponse{}, errForbidden
		}
	}
	req, err := CreateRequest(b, h.target(c, "", c.OrgID))
	if err != nil {
		return AddResponse{}, err
	}
	if len(req.ID) > 200 {
		return AddResponse{}, invalid([]update.FieldError{{Path: "/userId", Rule: "max", Param: "200", Message: "userId is longer than 200 characters"}})
	}
	res, err := h.eng.Create(r.Context(), req)
	if err != nil {
		return AddResponse{}, err
	}
	h.logDispatch(r, res)
	return EncodeAdd(res, c.OrgID), nil
}

// callGet serves GetUserByID.
func (h *Handler) callGet(r *http.Request, c Client, id string) (UserResponse, error) {
	v, _, err := h.readUser(r.Context(), c, id)
	if err != nil {
		return UserResponse{}, err
	}
	return EncodeUser(v), nil
}

// callVerify serves VerifyEmail and VerifyPhone.
func (h *Handler) callVerify(r *http.Request, c Client, id string, channel verify.Channel, code string) (ChangeResponse, error) {
	if err := checkCode(code); err != nil {
		return ChangeResponse{}, err
	}
	v, t, err := h.readUser(r.Context(), c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Confirm(r.Context(), update.ConfirmRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: channelPath(channel),
		Code: code, Client: t.Client, Actor: t.Actor,
	})
	if err != nil {
		return ChangeResponse{}, err
	}
	return ChangeResponse{Details: EncodeChange(res, str(v.Doc, "orgId")).Details}, nil
}

// callResend serves ResendEmailCode and ResendPhoneCode; delivery turns
// the decoded request into the delivery for the user read. The code, when
// returned, is in VerificationCode.
func (h *Handler) callResend(r *http.Request, c Client, id string, channel verify.Channel, delivery func(Target) update.Delivery) (ChangeResponse, error) {
	v, t, err := h.readUser(r.Context(), c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	res, err := h.eng.Resend(r.Context(), update.ResendRequest{
		Type: EntityType, Locator: update.ByID(t.UserID), Path: channelPath(channel),
		Client: t.Client, Actor: t.Actor, Delivery: delivery(t),
	})
	if err != nil {
		return ChangeResponse{}, err
	}
	h.logDispatch(r, res)
	out := EncodeChange(res, str(v.Doc, "orgId"))
	out.VerificationCode = out.EmailCode + out.PhoneCode
	out.EmailCode, out.PhoneCode = "", ""
	return out, nil
}

// callRemovePhone serves RemovePhone.
func (h *Handler) callRemovePhone(r *http.Request, c Client, id string) (ChangeResponse, error) {
	v, t, err := h.readUser(r.Context(), c, id)
	if err != nil {
		return ChangeResponse{}, err
	}
	if str(obj(v.Doc, "phone"), "phone") == "" {
		return ChangeResponse{}, errPhoneNotFound
	}
	res, err := h.eng.Apply(r.Context(), update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge, Doc: map[string]any{"phone": nil}, IncludeRecord: true,
	})
	if err != nil {
		return ChangeResponse{}, err
	}
	return ChangeResponse{Details: EncodeChange(res, t.OrgID).Details}, nil
}
