package zitadel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// Target is the user a request acts on and who acts.
type Target struct {
	// UserID is the user's id; OrgID its organisation (the resource owner),
	// passed to URL templates as .OrgID.
	UserID string
	OrgID  string
	// Client is the engine client id of the caller; Actor who acts.
	Client string
	Actor  string
	// DefaultURLTemplate renders the link when sendCode names none, or
	// when none of the oneof's members is sent.
	DefaultURLTemplate string
}

// The rule names the decoder reports besides the engine's.
const (
	ruleOneof  = "oneofConflict" // more than one member of a oneof is set
	ruleSyntax = "syntax"        // the body is not the JSON the endpoint takes
)

// ParseUpdate decodes the body of UpdateHumanUser and checks what needs no
// record: JSON syntax, nesting depth, unknown members, the oneofs and the
// URL template. An empty body is an empty update. Errors are *update.Error
// with Code Malformed, every conflicting oneof named.
func ParseUpdate(body []byte, maxDepth int) (*UpdateHumanUserBody, error) {
	var b UpdateHumanUserBody
	if err := decodeBody(body, maxDepth, &b); err != nil {
		return nil, err
	}
	var bad []update.FieldError
	if e := b.Email; e != nil {
		bad = append(bad, oneof("email", "verification",
			member{"sendCode", e.SendCode != nil}, member{"returnCode", e.ReturnCode != nil},
			member{"isVerified", e.IsVerified != nil})...)
		if e.SendCode != nil {
			bad = append(bad, checkTemplate("/email/sendCode/urlTemplate", e.SendCode.URLTemplate)...)
		}
	}
	if p := b.Phone; p != nil {
		bad = append(bad, oneof("phone", "verification",
			member{"sendCode", p.SendCode != nil}, member{"returnCode", p.ReturnCode != nil},
			member{"isVerified", p.IsVerified != nil})...)
	}
	if p := b.Password; p != nil {
		bad = append(bad, oneof("password", "passwordType",
			member{"password", p.Password != nil}, member{"hashedPassword", p.HashedPassword != nil})...)
		bad = append(bad, oneof("password", "verification",
			member{"currentPassword", p.CurrentPassword != nil}, member{"verificationCode", p.VerificationCode != nil})...)
	}
	if len(bad) > 0 {
		return nil, malformed(bad)
	}
	return &b, nil
}

// UpdateRequest turns a parsed UpdateHumanUser body into the engine request
// for t: a Merge of the sections sent, each profile field on its own, email
// and phone with their delivery, the password as a secret. It returns
// *update.Error (Invalid, or NothingPending for a password verification
// code, which this adapter never issues).
func UpdateRequest(b *UpdateHumanUserBody, t Target) (update.Request, error) {
	req := update.Request{
		Type: EntityType, Locator: update.ByID(t.UserID), Client: t.Client, Actor: t.Actor,
		Mode: update.Merge, IncludeRecord: true,
		Secrets: map[string]update.SecretValue{}, Delivery: map[string]update.Delivery{},
	}
	doc := map[string]any{}
	var bad []update.FieldError
	if b.Username != nil {
		doc["username"] = *b.Username
	}
	if b.Profile != nil {
		p, errs := profilePatch(b.Profile, true)
		bad = append(bad, errs...)
		if len(p) > 0 {
			doc["profile"] = p
		}
	}
	if e := b.Email; e != nil {
		if e.Email == nil || *e.Email == "" {
			bad = append(bad, update.FieldError{Path: emailPath, Rule: update.RuleRequired, Message: "email is empty"})
		} else {
			doc["email"] = map[string]any{"email": *e.Email}
			req.Delivery[emailPath] = emailDelivery(e, t)
		}
	}
	// ZITADEL: an empty phone on this call is no removal; nothing changes.
	if p := b.Phone; p != nil && p.Phone != nil && *p.Phone != "" {
		doc["phone"] = map[string]any{"phone": *p.Phone}
		req.Delivery[phonePath] = phoneDelivery(p.ReturnCode != nil, p.IsVerified != nil && *p.IsVerified, t)
	}
	if p := b.Password; p != nil {
		sv, changeRequired, errs := passwordValue(p.Password, p.HashedPassword)
		bad = append(bad, errs...)
		if p.CurrentPassword != nil {
			sv.Current = *p.CurrentPassword
		}
		if p.VerificationCode != nil {
			return update.Request{}, &update.Error{
				Code:    update.NothingPending,
				Message: "no password code was issued for this user",
				Fields: []update.FieldError{{
					Path: passwordPath, Rule: "verificationCode",
					Message: "password verification codes are not issued by this server; use currentPassword or the caller's permission",
				}},
			}
		}
		if len(errs) == 0 {
			req.Secrets[passwordPath] = sv
			doc["passwordChangeRequired"] = changeRequired
		}
	}
	if len(bad) > 0 {
		return update.Request{}, invalid(bad)
	}
	req.Doc = doc
	return req, nil
}

// profilePatch turns a profile section into a merge patch. On an update
// (patch true) given and family names must be sent and "" leaves them as
// they are; on a create they must not be empty. "" clears the nickname,
// display name and preferred language.
func profilePatch(p *ProfileBody, patch bool) (map[string]any, []update.FieldError) {
	out := map[string]any{}
	var bad []update.FieldError
	required := func(v *string, path, key, what string) {
		switch {
		case v == nil || (*v == "" && !patch):
			bad = append(bad, update.FieldError{Path: path, Rule: update.RuleRequired, Message: what + " in profile is empty"})
		case *v != "":
			out[key] = *v
		}
	}
	required(p.GivenName, givenNamePath, "givenName", "given name")
	required(p.FamilyName, familyNamePath, "familyName", "family name")
	optional := func(v *string, key string) {
		switch {
		case v == nil:
		case *v == "" && patch:
			out[key] = nil // a merge null removes the member
		case *v != "":
			out[key] = *v
		}
	}
	optional(p.NickName, "nickName")
	optional(p.DisplayName, "displayName")
	optional(p.PreferredLanguage, "preferredLanguage")
	if p.Gender != nil {
		out["gender"] = *p.Gender
	}
	return out, bad
}

// passwordValue picks the password kind sent (ParseUpdate has checked that
// at most one is).
func passwordValue(plain *PlainPassword, hashed *HashedPassword) (update.SecretValue, bool, []update.FieldError) {
	empty := []update.FieldError{{Path: passwordPath, Rule: update.RuleRequired, Message: "password is empty"}}
	switch {
	case plain != nil && plain.Password != "":
		return update.SecretValue{Plain: plain.Password}, plain.ChangeRequired, nil
	case hashed != nil && hashed.Hash != "":
		return update.SecretValue{Hash: hashed.Hash}, hashed.ChangeRequired, nil
	}
	return update.SecretValue{}, false, empty
}

// emailDelivery maps the email oneof to a delivery: isVerified true
// asserts, returnCode returns, sendCode (or nothing, or isVerified false)
// sends with the template given or the default one.
func emailDelivery(e *EmailBody, t Target) update.Delivery {
	switch {
	case e.IsVerified != nil && *e.IsVerified:
		return update.Delivery{Kind: update.AlreadyVerified}
	case e.ReturnCode != nil:
		return update.Delivery{Kind: update.ReturnCode}
	}
	tpl := t.DefaultURLTemplate
	if e.SendCode != nil && e.SendCode.URLTemplate != nil {
		tpl = *e.SendCode.URLTemplate
	}
	return update.Delivery{Kind: update.Send, LinkTemplate: tpl, OrgID: t.OrgID}
}

// phoneDelivery maps the phone oneof to a delivery. An SMS carries the
// code only, so no link is rendered.
func phoneDelivery(returnCode, verified bool, t Target) update.Delivery {
	switch {
	case verified:
		return update.Delivery{Kind: update.AlreadyVerified}
	case returnCode:
		return update.Delivery{Kind: update.ReturnCode}
	}
	return update.Delivery{Kind: update.Send, OrgID: t.OrgID}
}

// ParseCreate decodes the body of AddHumanUser and checks its oneofs and
// URL template.
func ParseCreate(body []byte, maxDepth int) (*AddHumanUserBody, error) {
	var b AddHumanUserBody
	if err := decodeBody(body, maxDepth, &b); err != nil {
		return nil, err
	}
	var bad []update.FieldError
	bad = append(bad, oneof("", "passwordType",
		member{"password", b.Password != nil}, member{"hashedPassword", b.HashedPassword != nil})...)
	if o := b.Organization; o != nil {
		bad = append(bad, oneof("organization", "org",
			member{"orgId", o.OrgID != nil}, member{"orgDomain", o.OrgDomain != nil})...)
	}
	if e := b.Email; e != nil {
		bad = append(bad, oneof("email", "verification",
			member{"sendCode", e.SendCode != nil}, member{"returnCode", e.ReturnCode != nil},
			member{"isVerified", e.IsVerified != nil})...)
		if e.SendCode != nil {
			bad = append(bad, checkTemplate("/email/sendCode/urlTemplate", e.SendCode.URLTemplate)...)
		}
	}
	if p := b.Phone; p != nil {
		bad = append(bad, oneof("phone", "verification",
			member{"sendCode", p.SendCode != nil}, member{"returnCode", p.ReturnCode != nil},
			member{"isVerified", p.IsVerified != nil})...)
	}
	if len(bad) > 0 {
		return nil, malformed(bad)
	}
	return &b, nil
}

// CreateRequest turns a parsed AddHumanUser body into the engine request.
// t.OrgID is the organisation the user is created in; t.UserID, when set,
// overrides the body's userId. The username defaults to the email address.
func CreateRequest(b *AddHumanUserBody, t Target) (update.CreateRequest, error) {
	req := update.CreateRequest{
		Type: EntityType, Client: t.Client, Actor: t.Actor,
		Secrets: map[string]update.SecretValue{}, Delivery: map[string]update.Delivery{},
	}
	if b.UserID != nil {
		req.ID = *b.UserID
	}
	doc := map[string]any{"orgId": t.OrgID}
	var bad []update.FieldError
	if b.Profile == nil {
		b.Profile = &ProfileBody{}
	}
	profile, errs := profilePatch(b.Profile, false)
	bad = append(bad, errs...)
	doc["profile"] = profile
	if e := b.Email; e == nil || e.Email == nil || *e.Email == "" {
		bad = append(bad, update.FieldError{Path: emailPath, Rule: update.RuleRequired, Message: "email is empty"})
	} else {
		doc["email"] = map[string]any{"email": *e.Email}
		if d := emailDelivery(e, t); d.Kind == update.AlreadyVerified {
			req.Verified = append(req.Verified, emailPath)
		} else {
			req.Delivery[emailPath] = d
		}
		doc["username"] = *e.Email
	}
	if b.Username != nil {
		doc["username"] = *b.Username
	}
	if p := b.Phone; p != nil && p.Phone != nil && *p.Phone != "" {
		doc["phone"] = map[string]any{"phone": *p.Phone}
		if p.IsVerified != nil && *p.IsVerified {
			req.Verified = append(req.Verified, phonePath)
		} else {
			req.Delivery[phonePath] = phoneDelivery(p.ReturnCode != nil, false, t)
		}
	}
	if b.Password != nil || b.HashedPassword != nil {
		sv, changeRequired, errs := passwordValue(b.Password, b.HashedPassword)
		bad = append(bad, errs...)
		if len(errs) == 0 {
			req.Secrets[passwordPath] = sv
			doc["passwordChangeRequired"] = changeRequired
		}
	}
	if len(bad) > 0 {
		return update.CreateRequest{}, invalid(bad)
	}
	req.Doc = doc
	return req, nil
}

// ParseVerify decodes the body of a verify call; the code must be 1–20
// characters (ZITADEL's proto bound).
func ParseVerify(body []byte, maxDepth int) (string, error) {
	var b VerifyBody
	if err := decodeBody(body, maxDepth, &b); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(b.VerificationCode); n == 0 || n > 20 {
		return "", invalid([]update.FieldError{{
			Path: "/verificationCode", Rule: update.RuleRequired, Param: "20",
			Message: "verificationCode must be 1 to 20 characters",
		}})
	}
	return b.VerificationCode, nil
}

// ParseResendEmail decodes the body of .../email/resend into a delivery
// for t: returnCode returns the code, sendCode or nothing sends it.
func ParseResendEmail(body []byte, maxDepth int, t Target) (update.Delivery, error) {
	var b ResendEmailBody
	if err := decodeBody(body, maxDepth, &b); err != nil {
		return update.Delivery{}, err
	}
	bad := oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil})
	if b.SendCode != nil {
		bad = append(bad, checkTemplate("/sendCode/urlTemplate", b.SendCode.URLTemplate)...)
	}
	if len(bad) > 0 {
		return update.Delivery{}, malformed(bad)
	}
	return emailDelivery(&EmailBody{SendCode: b.SendCode, ReturnCode: b.ReturnCode}, t), nil
}

// ParseResendPhone decodes the body of .../phone/resend into a delivery.
func ParseResendPhone(body []byte, maxDepth int, t Target) (update.Delivery, error) {
	var b ResendPhoneBody
	if err := decodeBody(body, maxDepth, &b); err != nil {
		return update.Delivery{}, err
	}
	if bad := oneof("", "verification", member{"sendCode", b.SendCode != nil}, member{"returnCode", b.ReturnCode != nil}); len(bad) > 0 {
		return update.Delivery{}, malformed(bad)
	}
	return phoneDelivery(b.ReturnCode != nil, false, t), nil
}

// member is one member of a oneof and whether the request set it.
type member struct {
	name string
	set  bool
}

// oneof reports a oneof with more than one member set, naming all of them.
func oneof(section, name string, members ...member) []update.FieldError {
	var set []string
	for _, m := range members {
		if m.set {
			set = append(set, m.name)
		}
	}
	if len(set) < 2 {
		return nil
	}
	qualified := name
	path := ""
	if section != "" {
		qualified = section + "." + name
		path = "/" + section
	}
	return []update.FieldError{{
		Path: path, Rule: ruleOneof, Param: qualified,
		Message: fmt.Sprintf("oneof %s has more than one member set: %s", qualified, strings.Join(set, ", ")),
	}}
}

// checkTemplate checks a sendCode.urlTemplate that was sent.
func checkTemplate(path string, tpl *string) []update.FieldError {
	if tpl == nil {
		return nil
	}
	if _, err := parseURLTemplate(*tpl); err != nil {
		return []update.FieldError{{Path: path, Rule: update.RuleTemplate, Message: err.Error()}}
	}
	return nil
}

// parseURLTemplate parses a URL template: 1–200 characters of text and
// the actions {{.UserID}}, {{.Code}} and {{.OrgID}}, nothing else (no
// functions, pipelines, conditions or variables), so rendering it cannot
// fail or do anything but substitute.
func parseURLTemplate(s string) (*template.Template, error) {
	if n := utf8.RuneCountInString(s); n == 0 || n > 200 {
		return nil, errors.New("urlTemplate must be 1 to 200 characters")
	}
	t, err := template.New("url").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, errors.New("urlTemplate does not parse as a Go template")
	}
	for _, n := range t.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			if !plainField(n) {
				return nil, errors.New("urlTemplate may only use {{.UserID}}, {{.Code}} and {{.OrgID}}")
			}
		default:
			return nil, errors.New("urlTemplate may only use {{.UserID}}, {{.Code}} and {{.OrgID}}")
		}
	}
	return t, nil
}

// plainField reports whether an action is a single allowed field reference.
func plainField(n *parse.ActionNode) bool {
	p := n.Pipe
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 {
		return false
	}
	switch f.Ident[0] {
	case "UserID", "Code", "OrgID":
		return true
	}
	return false
}

// decodeBody checks body with merge.Decode (UTF-8, nesting depth, syntax,
// repeated member names, which parsers disagree on) and then decodes it
// strictly into v (unknown members and wrong types refused). An empty body
// decodes as {}.
func decodeBody(body []byte, maxDepth int, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if _, err := merge.Decode(body, merge.DecodeLimits{MaxDepth: maxDepth}); err != nil {
		return bodyError(describeMergeError(err, maxDepth), err)
	}
	if err := httpx.DecodeStrict(body, v); err != nil {
		return bodyError(describeDecodeError(err), err)
	}
	return nil
}

func bodyError(msg string, err error) *update.Error {
	return &update.Error{
		Code: update.Malformed, Message: "invalid request body: " + msg,
		Fields: []update.FieldError{{Rule: ruleSyntax, Message: msg}}, Err: err,
	}
}

// describeMergeError says what merge.Decode refused. Its messages name
// positions and member names, never values.
func describeMergeError(err error, maxDepth int) string {
	var me *merge.Error
	switch {
	case errors.Is(err, merge.ErrTooDeep):
		return fmt.Sprintf("the body nests deeper than %d levels", maxDepth)
	case errors.As(err, &me) && me.Path != "":
		return "at " + clip(me.Path, 100) + ": " + clip(me.Msg, 100)
	case errors.As(err, &me):
		return clip(me.Msg, 100)
	}
	return "the body is not well-formed JSON"
}

// describeDecodeError says what is wrong with a body without echoing its
// values or naming Go types.
func describeDecodeError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("the body must be a JSON object, not a JSON %s", te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: a JSON %s is not allowed here", clip(te.Field, 100), te.Value)
	case errors.Is(err, httpx.ErrInvalidUTF8):
		return "the body is not valid UTF-8"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + clip(name, 100)
	}
	if strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "unexpected end") {
		return "the body ends early"
	}
	if strings.Contains(msg, "after the JSON value") {
		return "unexpected data after the JSON value"
	}
	return "the body is not the JSON this call takes"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func malformed(fields []update.FieldError) *update.Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Message
	}
	return &update.Error{Code: update.Malformed, Message: "invalid request: " + strings.Join(msgs, "; "), Fields: fields}
}

func invalid(fields []update.FieldError) *update.Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Message
	}
	return &update.Error{Code: update.Invalid, Message: strings.Join(msgs, "; "), Fields: fields}
}

// channelPath maps a verify or resend URL segment to the confirmable path.
func channelPath(channel verify.Channel) string {
	if channel == verify.SMS {
		return phonePath
	}
	return emailPath
}
