package scim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// The URNs of this service's email verification, which SCIM does not
// define: the User extension that shows changes waiting for a code, and
// the message that confirms one.
const (
	SchemaVerification = "urn:idupdate:scim:schemas:extension:verification:1.0:User"
	MessageConfirm     = "urn:idupdate:scim:api:messages:1.0:ConfirmRequest"
)

// EmailConfirmation makes a User's email confirmable: a changed address
// is verified through a code sent to it (through the engine's dispatcher,
// update.WithDispatcher) before it counts.
type EmailConfirmation struct {
	// Select names the email: "primary" (the email whose primary is true)
	// or a type ("work": the first email of that type).
	Select string
	// Mode is update.Hold (the default: the old address stays until the new
	// one is confirmed) or update.ApplyUnverified (the new address applies
	// at once and waits to be confirmed). A primary email can only be
	// applied unverified: making another email primary is itself a change
	// of the primary address, which there is no old element to hold for.
	Mode update.ConfirmMode
	// Code is the codes' form and life; MaxAttempts wrong codes lock the
	// change. Zero fields take the engine's defaults.
	Code        update.CodeSpec
	MaxAttempts int
}

// path returns the engine path of the confirmable email value.
func (c *EmailConfirmation) path() string {
	if c.Select == "primary" {
		return pointer([]string{"emails", "[primary=true]", "value"})
	}
	return pointer([]string{"emails", "[type=" + c.Select + "]", "value"})
}

// mode returns the confirm mode, Hold when unset.
func (c *EmailConfirmation) mode() update.ConfirmMode {
	if c.Mode == "" {
		return update.Hold
	}
	return c.Mode
}

// check reports what makes c unusable.
func (c *EmailConfirmation) check() error {
	switch {
	case c.Select == "" || len(c.Select) > 64 || strings.ContainsAny(c.Select, "[]/~\""):
		return fmt.Errorf("scim: ConfirmEmail.Select %q is not \"primary\" or an email type", c.Select)
	case c.mode() != update.Hold && c.mode() != update.ApplyUnverified:
		return fmt.Errorf("scim: ConfirmEmail.Mode %q is not hold or applyUnverified", c.Mode)
	case c.Select == "primary" && c.mode() == update.Hold:
		return fmt.Errorf("scim: ConfirmEmail: a primary email can only be applied unverified")
	}
	return nil
}

// field returns the policy rule of the confirmable email.
func (c *EmailConfirmation) field() *update.Field {
	return &update.Field{Confirm: &update.Confirm{Channel: "email", Mode: c.mode(), Code: c.Code, MaxAttempts: c.MaxAttempts}}
}

// verificationSchema is the User extension that shows pending changes:
// read-only, computed from the record's challenges, never stored.
func verificationSchema() SchemaDef {
	ro := func(a Attribute) Attribute { a.Mutability = mutReadOnly; return a }
	return SchemaDef{ID: SchemaVerification, Name: "Verification",
		Description: "Changes of this User waiting for a verification code",
		Attributes: []Attribute{ro(complexAttr("pending", true,
			ro(str("attribute")), ro(str("state")), ro(sub("held", typeBoolean)), ro(sub("expires", typeDateTime))))}}
}

// encodePending returns the verification extension of v: one entry per
// change waiting for its code, or nil.
func encodePending(v *update.View) map[string]any {
	var out []any
	for _, p := range v.Pending {
		out = append(out, map[string]any{"attribute": scimAttribute(p.Path), "state": string(p.State),
			"held": p.Held, "expires": p.Expires.UTC().Format(time.RFC3339)})
	}
	if out == nil {
		return nil
	}
	return map[string]any{"pending": out}
}

// scimAttribute writes an engine path with an element selector in SCIM's
// attribute notation: "/emails/[type=work]/value" is
// `emails[type eq "work"].value`.
func scimAttribute(path string) string {
	segs, err := merge.ParsePointer(path)
	if err != nil {
		return path
	}
	var b strings.Builder
	for i, s := range segs {
		sel, ok := merge.ParseSelector(s)
		switch {
		case ok && sel.Key == "true":
			fmt.Fprintf(&b, "[%s eq true]", sel.Member)
		case ok:
			fmt.Fprintf(&b, "[%s eq %q]", sel.Member, sel.Key)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// confirmRequest is the body of POST /Users/{id}/.confirm.
type confirmRequest struct {
	Schemas   []string `json:"schemas"`
	Attribute string   `json:"attribute,omitempty"`
	Code      string   `json:"code"`
}

// confirm serves POST /Users/{id}/.confirm: the code of a change waiting
// for verification. The engine checks it (attempts counted, expiry,
// lock) and applies a held value; the answer is the User.
func (h *Handler) confirm(rt *resourceType) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request, c Client) {
		body, ok := h.message(w, r, OpConfirm)
		if !ok {
			return
		}
		var cr confirmRequest
		if err := httpx.DecodeStrict(body, &cr); err != nil {
			h.fail(w, r, OpConfirm, update.Errorf(codeSyntax, "the body is not a ConfirmRequest: %s", clip(err.Error())))
			return
		}
		if !slices.Equal(cr.Schemas, []string{MessageConfirm}) {
			h.fail(w, r, OpConfirm, update.Errorf(codeSyntax, "schemas must be [%q]", MessageConfirm))
			return
		}
		path := h.cfg.ConfirmEmail.path()
		if cr.Attribute != "" && !strings.EqualFold(cr.Attribute, scimAttribute(path)) {
			h.fail(w, r, OpConfirm, update.Errorf(codePath, "%q is not a confirmable attribute; %s is", clip(cr.Attribute), scimAttribute(path)))
			return
		}
		id := r.PathValue("id")
		_, err := h.eng.Confirm(r.Context(), update.ConfirmRequest{Type: rt.Entity, Locator: update.ByID(id),
			Path: path, Code: cr.Code, Client: c.ID, Actor: c.ID})
		if err != nil {
			h.fail(w, r, OpConfirm, err)
			return
		}
		h.read(w, r, OpConfirm, rt, c, id)
	}
}
