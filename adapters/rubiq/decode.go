package rubiq

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// Target names the entity a request addresses: by its dp-keyid (the
// engine's record id) or by an external key of a type.
// Build one with ByID or ByExt; the zero Target addresses no entity by id.
type Target struct {
	ID      string
	ExtType string
	ExtKey  string
	ext     bool
}

// ByExtKey reports whether t addresses the entity by external key.
func (t Target) ByExtKey() bool { return t.ext }

// Locator returns the engine locator of t.
func (t Target) Locator() update.Locator {
	if t.ByExtKey() {
		k := ExternalKey(t.ExtType, t.ExtKey)
		return update.ByKey(k.Name, k.Value)
	}
	return update.ByID(t.ID)
}

// RuleContract is the FieldError rule of a member outside the request's
// contract, and of a contract the app does not have.
const RuleContract = "contract"

// IgnoredMember is the top-level member DecodeUpdate drops whatever its
// value: the entity's own identifier, which the path already names and no
// app may change (the vendor's example body sends it beside the contract's
// fields).
const IgnoredMember = "id"

const (
	maxExtKey  = 128
	maxCodeLen = 64
)

// plain reports whether s is 1 to max bytes of A-Z a-z 0-9 and the bytes
// of extra: the form of entity ids and external key types.
func plain(s string, max int, extra string) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// ByID returns the target of a dp-keyid / entity-id path value. A value no
// entity can have (empty, too long, a slash from an encoded %2F, anything
// but letters, digits, - and _) is NotFound, so it answers 404.1. The
// target is returned with the error too, so the answer can name the form.
func ByID(id string) (Target, error) {
	t := Target{ID: id}
	if !plain(id, 64, "_-") {
		return t, update.Errorf(update.NotFound, "no entity has this id")
	}
	return t, nil
}

// ByExt returns the target of an ext-key / ext-type path pair. A type
// other than 1-32 letters, digits, '.', '-' or '_', or a key that is
// empty, longer than 128 bytes, or holds a slash or a control character,
// is NotFound, so it answers 404.2. The target is returned with the error
// too, so the answer can name the form.
func ByExt(key, typ string) (Target, error) {
	t := Target{ExtType: typ, ExtKey: key, ext: true}
	if !plain(typ, 32, "_.-") || key == "" || len(key) > maxExtKey || !utf8.ValidString(key) ||
		strings.ContainsFunc(key, func(r rune) bool { return r == '/' || unicode.IsControl(r) }) {
		return t, update.Errorf(update.NotFound, "no entity has this external key")
	}
	return t, nil
}

// Contract returns the fields of the contract id of app, or of its default
// contract when id is "". A contract the app does not have is Invalid with
// rule RuleContract.
func Contract(app App, id string) ([]string, error) {
	if id == "" {
		id = app.DefaultContract
	}
	fields, ok := app.Contracts[id]
	if !ok {
		return nil, &update.Error{
			Code:    update.Invalid,
			Message: "unknown contract",
			Fields: []update.FieldError{{
				Rule: RuleContract, Param: httpx.Clip(id, 64),
				Message: fmt.Sprintf("the app has no contract %q", httpx.Clip(id, 64)),
			}},
		}
	}
	return fields, nil
}

// DecodeUpdate turns the body of an endpoint 1003 call into a Merge
// request for the engine, so only the members sent change.
//
// The body must be one JSON object within cfg's byte and depth limits
// (TooLarge or Malformed otherwise). Its member IgnoredMember is dropped.
// Every other member must be a field of contract; each one that is not is
// listed in an Invalid error with rule RuleContract. A null removes name
// or city; email and mobile are changed, never removed, so a null for them
// is Invalid. Types, formats and uniqueness are left to the engine.
func DecodeUpdate(app App, t Target, contract []string, body []byte, cfg Config) (update.Request, error) {
	return decodeUpdate(app, t, contract, body, cfg.withDefaults().decodeLimits())
}

// decodeUpdate is DecodeUpdate within the limits lim.
func decodeUpdate(app App, t Target, contract []string, body []byte, lim merge.DecodeLimits) (update.Request, error) {
	v, err := decodeJSON(body, lim)
	if err != nil {
		return update.Request{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return update.Request{}, update.Errorf(update.Malformed, "the body must be a JSON object")
	}
	doc := obj // the decoded object is the request's own
	if !acceptable(obj, contract) {
		var err error
		if doc, err = contractMembers(obj, contract); err != nil {
			return update.Request{}, err
		}
	}
	return update.Request{
		Type:    EntityType,
		Locator: t.Locator(),
		Client:  app.ID,
		Mode:    update.Merge,
		Doc:     doc,
	}, nil
}

// contractMembers returns obj without IgnoredMember, or an Invalid error
// listing, in name order, each member outside contract and each null for
// a field that cannot be removed.
func contractMembers(obj map[string]any, contract []string) (map[string]any, error) {
	doc := make(map[string]any, len(obj))
	var bad []update.FieldError
	for _, name := range sortedKeys(obj) {
		val := obj[name]
		path := "/" + escape(name)
		switch memberFate(name, val, contract) {
		case memberDropped:
			continue
		case memberOutside:
			bad = append(bad, update.FieldError{
				Path: httpx.Clip(path, 128), Rule: RuleContract,
				Message: fmt.Sprintf("field %q is not in the contract", httpx.Clip(name, 64)),
			})
			continue
		case memberUnremovable:
			bad = append(bad, update.FieldError{
				Path: path, Rule: update.RuleRequired,
				Message: fmt.Sprintf("%s cannot be removed, only changed", name),
			})
			continue
		}
		doc[name] = val
	}
	if len(bad) > 0 {
		return nil, &update.Error{Code: update.Invalid, Message: "data validation failed", Fields: bad}
	}
	return doc, nil
}

// acceptable reports whether DecodeUpdate takes every member of obj as it
// is: none to drop, none to refuse.
func acceptable(obj map[string]any, contract []string) bool {
	for name, val := range obj {
		if memberFate(name, val, contract) != memberTaken {
			return false
		}
	}
	return true
}

// fate is what DecodeUpdate does with a member of an update body.
type fate uint8

const (
	memberTaken       fate = iota // a field of the contract, taken as it is
	memberDropped                 // IgnoredMember
	memberOutside                 // refused: not a field of the contract
	memberUnremovable             // refused: a null for email or mobile
)

// memberFate returns the fate of the member name, of value val, under
// contract.
func memberFate(name string, val any, contract []string) fate {
	switch {
	case name == IgnoredMember:
		return memberDropped
	case !slices.Contains(contract, name):
		return memberOutside
	case val == nil && (name == FieldEmail || name == FieldMobile):
		return memberUnremovable
	}
	return memberTaken
}

// DecodeVerify turns the body of an endpoint 2004 call into a confirm
// request that tries every open verification of the entity. The body must
// be {"code":"..."} with a code of 1-64 characters and nothing else;
// anything else is Malformed and never reaches the engine, so it costs the
// entity no attempt.
func DecodeVerify(app App, t Target, body []byte, cfg Config) (update.ConfirmRequest, error) {
	v, err := decodeJSON(body, cfg.withDefaults().decodeLimits())
	if err != nil {
		return update.ConfirmRequest{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return update.ConfirmRequest{}, update.Errorf(update.Malformed, `the body must be {"code":"..."}`)
	}
	for _, name := range sortedKeys(obj) {
		if name != "code" {
			return update.ConfirmRequest{}, unknownParameter(name, "member")
		}
	}
	code, ok := obj["code"].(string)
	if !ok {
		return update.ConfirmRequest{}, update.Errorf(update.Malformed, `the body must be {"code":"..."}`)
	}
	if code == "" || len(code) > maxCodeLen {
		return update.ConfirmRequest{}, update.Errorf(update.Malformed, "the code must be 1 to %d characters", maxCodeLen)
	}
	return update.ConfirmRequest{Type: EntityType, Locator: t.Locator(), Code: code, Client: app.ID}, nil
}

// DecodeRead checks the body of an endpoint 1002 read: the read takes
// none, so any byte sent is Malformed, before anything is read.
func DecodeRead(body []byte) error {
	if len(body) > 0 {
		return update.Errorf(update.Malformed, "the account read takes no body")
	}
	return nil
}

// DecodeQuery refuses query parameters: no endpoint takes any, so
// one sent is a mistake the caller must hear of before anything changes.
func DecodeQuery(rawQuery string) error {
	if rawQuery == "" {
		return nil
	}
	q, err := httpx.ParseQuery(rawQuery)
	if err != nil {
		return err
	}
	if name, ok := httpx.Unknown(q); ok {
		return unknownParameter(name, "query parameter")
	}
	return nil
}

// unknownParameter is the Malformed error naming a parameter or member
// the endpoint does not take.
func unknownParameter(name, kind string) error {
	name = httpx.Clip(name, httpx.MaxNameEcho)
	msg := fmt.Sprintf("unknown %s %q", kind, name)
	return &update.Error{
		Code: update.Malformed, Message: msg,
		Fields: []update.FieldError{{Path: "/" + escape(name), Rule: update.RuleUnknown, Message: msg}},
	}
}

// decodeJSON decodes one bounded JSON value and translates merge's errors
// into the engine's codes.
func decodeJSON(body []byte, lim merge.DecodeLimits) (any, error) {
	v, err := merge.Decode(body, lim)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, merge.ErrTooLarge):
		return nil, &update.Error{Code: update.TooLarge, Message: "the body is too large", Err: err}
	case errors.Is(err, merge.ErrTooDeep):
		return nil, &update.Error{Code: update.TooLarge, Message: "the body nests too deeply", Err: err}
	default:
		return nil, &update.Error{Code: update.Malformed, Message: "the body is not valid JSON", Err: err}
	}
}

// escape escapes a member name for a JSON Pointer (RFC 6901).
func escape(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
