package janrain

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/update"
)

// Op is a Capture entity operation, named as in its path.
type Op string

// The operations the adapter serves.
const (
	OpRead    Op = "entity"
	OpCreate  Op = "entity.create"
	OpUpdate  Op = "entity.update"
	OpReplace Op = "entity.replace"
	OpDelete  Op = "entity.delete"
)

// writes reports whether the operation changes records.
func (op Op) writes() bool { return op != OpRead }

// Call is one decoded Capture request, checked against the schema but not
// yet against a record.
type Call struct {
	Op Op
	// Type is the store type named by type_name.
	Type string
	// Locator names the record (not set for entity.create); LocatorArg is
	// the parameter it came from ("uuid", "id" or "key_value").
	Locator    update.Locator
	LocatorArg string
	// Path is attribute_name, parsed; nil is the root.
	Path Path
	// Value is the decoded value (or attributes) parameter; ValueArg names
	// the parameter used, "" when neither was sent.
	Value    any
	ValueArg string
	// Created and LastUpdated are the preconditions sent, if any.
	Created     *time.Time
	LastUpdated *time.Time
	// IncludeRecord asks for the record (or the attribute_name subtree) in
	// the response.
	IncludeRecord bool
}

// reserved reports whether name is one of the server-owned attributes no
// request may write.
func reserved(name string) bool {
	switch name {
	case "id", "uuid", "created", "lastUpdated":
		return true
	}
	return false
}

// params lists the parameters op takes. Any other is refused before
// anything is read, so a misspelt one ("attribute_nam") cannot widen what
// the call does; each may appear once, because a repeated one would leave
// open which of its values counts.
func (op Op) params() []string {
	locate := []string{"type_name", "uuid", "id", "key_attribute", "key_value"}
	switch op {
	case OpRead:
		return append(locate, "attribute_name")
	case OpCreate:
		// id, uuid and attribute_name are read to be refused with their
		// own answers (320 id_in_new_record for the first two).
		return []string{"type_name", "id", "uuid", "attribute_name", "value", "attributes", "include_record"}
	case OpDelete:
		return append(locate, "attribute_name", "created", "lastUpdated", "include_record")
	}
	return append(locate, "attribute_name", "value", "attributes", "created", "lastUpdated", "include_record")
}

// DecodeForm turns a Capture form into a Call. It reads every parameter
// the operation uses, checks it against the schema and decodes JSON
// values within maxDepth levels of nesting. It never reads a record.
// Errors are classified for the error table and name the parameter.
func DecodeForm(op Op, form url.Values, sch *Schema, maxDepth int) (*Call, error) {
	if name, ok := httpx.Unknown(form, op.params()...); ok {
		return nil, newArgError(update.Malformed, ruleUnknownArg, name, name+" is not a parameter of "+op.String())
	}
	for _, p := range op.params() {
		if len(form[p]) > 1 {
			return nil, newArgError(update.Malformed, ruleDuplicate, p, p+" was given more than once")
		}
	}
	c := &Call{Op: op}
	if err := decodeType(c, form, sch); err != nil {
		return nil, err
	}
	var err error
	if op == OpCreate {
		err = rejectLocator(form)
	} else {
		err = decodeLocator(c, form, sch, maxDepth)
	}
	if err != nil {
		return nil, err
	}
	if err := decodePath(c, form, sch); err != nil {
		return nil, err
	}
	if err := decodeValue(c, form, maxDepth); err != nil {
		return nil, err
	}
	if err := decodePreconditions(c, form); err != nil {
		return nil, err
	}
	switch v := form.Get("include_record"); v {
	case "", "false":
	case "true":
		c.IncludeRecord = true
	default:
		return nil, newArgError(update.Malformed, "", "include_record", "include_record must be true or false")
	}
	return c, nil
}

func decodeType(c *Call, form url.Values, sch *Schema) error {
	name := form.Get("type_name")
	if name == "" {
		return newArgError(update.Malformed, ruleMissing, "type_name", "type_name is required")
	}
	typ, ok := sch.types[name]
	if !ok {
		return newArgError(update.Malformed, ruleEntityType, "type_name", fmt.Sprintf("unknown entity type %.64q", name))
	}
	c.Type = typ
	return nil
}

func rejectLocator(form url.Values) error {
	for _, p := range []string{"id", "uuid"} {
		if form.Has(p) {
			return newArgError(update.Malformed, ruleNewID, p, p+" is assigned by entity.create and may not be sent")
		}
	}
	return nil
}

func decodeLocator(c *Call, form url.Values, sch *Schema, maxDepth int) error {
	hasUUID, hasID := form.Has("uuid"), form.Has("id")
	hasKey := form.Has("key_attribute") || form.Has("key_value")
	switch {
	case hasUUID && hasID:
		return newArgError(update.Malformed, ruleDuplicate, "uuid", "send either id or uuid, not both")
	case hasKey && (hasUUID || hasID):
		return newArgError(update.Malformed, ruleDuplicate, "key_attribute", "send key_attribute and key_value, or id, or uuid, not several")
	case hasUUID:
		u := form.Get("uuid")
		parsed, err := uuid.Parse(u)
		if err != nil || len(u) != 36 || parsed.String() != strings.ToLower(u) {
			return newArgError(update.Malformed, "", "uuid", "uuid was not valid: it must be a UUID like 6bbe7e58-bede-41b8-940b-5614c7607a4e")
		}
		c.Locator, c.LocatorArg = update.ByKey(uuidKey, parsed.String()), "uuid"
	case hasID:
		id, err := strconv.ParseUint(form.Get("id"), 10, 63)
		if err != nil || id == 0 {
			return newArgError(update.Malformed, "", "id", "id was not valid: it must be a positive integer")
		}
		c.Locator, c.LocatorArg = update.ByID(strconv.FormatUint(id, 10)), "id"
	case hasKey:
		return decodeKey(c, form, sch, maxDepth)
	default:
		return newArgError(update.Malformed, ruleMissing, "uuid", "locate the record with id, uuid, or key_attribute and key_value")
	}
	return nil
}

func decodeKey(c *Call, form url.Values, sch *Schema, maxDepth int) error {
	attr := form.Get("key_attribute")
	if !form.Has("key_attribute") || attr == "" {
		return newArgError(update.Malformed, ruleMissing, "key_attribute", "key_attribute is required with key_value")
	}
	if !form.Has("key_value") {
		return newArgError(update.Malformed, ruleMissing, "key_value", "key_value is required with key_attribute")
	}
	ptr := "/" + attr
	f, declared := sch.fields[ptr]
	switch {
	case !isName(attr) || !declared:
		return newArgError(update.Invalid, update.RuleUnknown, "key_attribute", fmt.Sprintf("unknown attribute %.64q", attr))
	case !f.Unique:
		return newArgError(update.Malformed, "", "key_attribute", fmt.Sprintf("%s is not a unique attribute", attr))
	}
	const hint = `key_value must be JSON: a string is sent in double quotes, e.g. key_value="gjack@example.com"`
	v, err := merge.Decode([]byte(form.Get("key_value")), merge.DecodeLimits{MaxDepth: maxDepth})
	if err != nil {
		return newArgError(update.Malformed, "", "key_value", hint)
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case fmt.Stringer: // json.Number
		s = v.String()
	default:
		return newArgError(update.Malformed, "", "key_value", hint)
	}
	c.Locator, c.LocatorArg = update.ByKey(ptr, s), "key_value"
	return nil
}

func decodePath(c *Call, form url.Values, sch *Schema) error {
	if !form.Has("attribute_name") {
		return nil
	}
	if c.Op == OpCreate {
		return newArgError(update.Malformed, "", "attribute_name", "entity.create takes no attribute_name")
	}
	p, err := ParsePath(form.Get("attribute_name"))
	if err != nil {
		return newArgError(update.Malformed, "", "attribute_name", "attribute_name "+err.Error())
	}
	if len(p) == 0 && c.Op == OpDelete {
		// A blank attribute_name must not widen a delete to the record.
		return newArgError(update.Malformed, "", "attribute_name", "attribute_name names no attribute; leave it out to delete the record")
	}
	if reserved(p.Top()) {
		if c.Op.writes() {
			return newArgError(update.Invalid, update.RuleReadOnly, "attribute_name", p.Top()+" is a reserved attribute and cannot be written")
		}
		if len(p) > 1 || p.Element() {
			return newArgError(update.Malformed, "", "attribute_name", p.Top()+" has no attributes below it")
		}
		c.Path = p
		return nil
	}
	if err := sch.checkPath(p); err != nil {
		return err
	}
	c.Path = p
	return nil
}

func decodeValue(c *Call, form url.Values, maxDepth int) error {
	hasValue, hasAttrs := form.Has("value"), form.Has("attributes")
	switch {
	case hasValue && hasAttrs:
		return newArgError(update.Malformed, ruleDuplicate, "attributes", "send value or attributes, not both")
	case hasValue:
		c.ValueArg = "value"
	case hasAttrs:
		c.ValueArg = "attributes"
	}
	needs := c.Op == OpCreate || c.Op == OpUpdate || c.Op == OpReplace
	if c.ValueArg == "" || !needs {
		if needs {
			return newArgError(update.Malformed, ruleMissing, "value", c.Op.String()+" needs value (or attributes)")
		}
		c.ValueArg = ""
		return nil
	}
	raw := form.Get(c.ValueArg)
	v, err := merge.Decode([]byte(raw), merge.DecodeLimits{MaxDepth: maxDepth})
	if err != nil {
		return valueError(c.ValueArg, raw, err, maxDepth)
	}
	if len(c.Path) == 0 {
		obj, ok := v.(map[string]any)
		if !ok {
			return newArgError(update.Invalid, update.RuleType, c.ValueArg, c.ValueArg+" must be a JSON object when attribute_name is the root")
		}
		for name := range obj {
			if !reserved(name) {
				continue
			}
			if c.Op == OpCreate && (name == "id" || name == "uuid") {
				return newArgError(update.Malformed, ruleNewID, c.ValueArg, name+" is assigned by entity.create and may not be sent")
			}
			return newArgError(update.Invalid, update.RuleReadOnly, c.ValueArg, name+" is a reserved attribute and cannot be written")
		}
	}
	if c.Path.Element() {
		if err := checkElementValue(c, v); err != nil {
			return err
		}
	}
	c.Value = v
	return nil
}

// checkElementValue refuses a value for one plural element that would
// change the element's id.
func checkElementValue(c *Call, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return newArgError(update.Invalid, update.RuleType, c.ValueArg, c.ValueArg+" for a plural element must be a JSON object")
	}
	id, has := obj["id"]
	if has && elementID(id) != c.Path[len(c.Path)-1].Element {
		return newArgError(update.Invalid, update.RuleReadOnly, c.ValueArg, "the id of a plural element cannot be changed")
	}
	return nil
}

// valueError explains why a value did not decode. A value that is a JSON
// string wrapped in braces ('{"Gary Jackson"}', a slip in the vendor's own
// example) gets the intended form in the description.
func valueError(arg, raw string, err error, maxDepth int) error {
	msg := arg + " is not valid JSON"
	switch {
	case errors.Is(err, merge.ErrTooDeep):
		msg = fmt.Sprintf("%s nests deeper than %d levels", arg, maxDepth)
	case strings.HasPrefix(strings.TrimSpace(raw), "{") && strings.HasSuffix(strings.TrimSpace(raw), "}"):
		inner := strings.TrimSpace(strings.TrimSpace(raw)[1 : len(strings.TrimSpace(raw))-1])
		if s, derr := merge.Decode([]byte(inner), merge.DecodeLimits{MaxDepth: 1}); derr == nil {
			if _, isString := s.(string); isString && len(inner) <= 256 {
				msg = fmt.Sprintf("%s is not valid JSON: a single attribute takes a plain JSON value, e.g. %s='%s'", arg, arg, inner)
				break
			}
		}
		msg += `: an object is written {"name":"value"}`
	default:
		msg += `: strings are written in double quotes, e.g. "Fred", objects as {"name":"value"}`
	}
	return newArgError(update.Malformed, "", arg, msg)
}

func decodePreconditions(c *Call, form url.Values) error {
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"created", &c.Created}, {"lastUpdated", &c.LastUpdated}} {
		if !form.Has(p.name) || !c.Op.writes() || c.Op == OpCreate {
			continue
		}
		t, err := ParseTime(form.Get(p.name))
		if err != nil {
			return newArgError(update.Malformed, "", p.name, p.name+" must be a timestamp like 2014-11-15 01:58:01.862312 +0000")
		}
		*p.dst = &t
	}
	return nil
}

func (op Op) String() string { return string(op) }
