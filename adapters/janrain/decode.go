package janrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
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
	OpFind    Op = "entity.find"
	OpCount   Op = "entity.count"
)

// writes reports whether the operation changes records.
func (op Op) writes() bool { return op != OpRead && op != OpFind && op != OpCount }

// searches reports whether the operation is entity.find or entity.count.
func (op Op) searches() bool { return op == OpFind || op == OpCount }

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
	// Attributes lists the attributes an entity read returns; nil returns
	// the record (or the attribute_name subtree) whole.
	Attributes []Path
}

// reserved reports whether name is one of the server-owned attributes no
// request may write.
func reserved(name string) bool { return slices.Contains(reservedNames[:], name) }

// reservedNames are the names reserved reports, in the order a value
// holding several is refused by (firstReserved).
var reservedNames = [...]string{"id", "uuid", "created", "lastUpdated"}

// firstReserved returns the first of reservedNames that obj holds, so a
// value holding several is refused for the same one every time, not for
// whichever the map's order met first.
func firstReserved(obj map[string]any) (string, bool) {
	for _, name := range reservedNames {
		if _, ok := obj[name]; ok {
			return name, true
		}
	}
	return "", false
}

// params lists the parameters op takes. Any other is refused before
// anything is read, so a misspelt one ("attribute_nam") cannot widen what
// the call does; each may appear once, because a repeated one would leave
// open which of its values counts.
func (op Op) params() []string {
	switch op {
	case OpRead:
		return readParams
	case OpCreate:
		return createParams
	case OpDelete:
		return deleteParams
	}
	return writeParams
}

// The parameter lists of params, built once.
var (
	readParams = []string{"type_name", "uuid", "id", "key_attribute", "key_value", "attribute_name", "attributes"}
	// id, uuid and attribute_name are read to be refused with their own
	// answers (320 id_in_new_record for the first two).
	createParams = []string{"type_name", "id", "uuid", "attribute_name", "value", "attributes", "include_record"}
	deleteParams = []string{"type_name", "uuid", "id", "key_attribute", "key_value", "attribute_name", "created", "lastUpdated", "include_record"}
	// writeParams lists every parameter of the record operations, in the
	// order of the param constants.
	writeParams = []string{"type_name", "uuid", "id", "key_attribute", "key_value", "attribute_name", "value", "attributes", "created", "lastUpdated", "include_record"}
)

// DecodeForm turns a Capture form into a Call. It reads every parameter
// the operation uses, checks it against the schema and decodes JSON
// values within maxDepth levels of nesting. It never reads a record.
// Errors are classified for the error table and name the parameter.
func DecodeForm(op Op, form url.Values, sch *Schema, maxDepth int) (*Call, error) {
	if err := checkParams(op, form, op.params()); err != nil {
		return nil, err
	}
	a := argsOf(form)
	c := new(Call)
	if err := decodeArgs(c, op, &a, sch, maxDepth); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeArgs is DecodeForm after its parameter check, writing into c,
// which the handler keeps on its stack.
func decodeArgs(c *Call, op Op, form *args, sch *Schema, maxDepth int) error {
	c.Op = op
	if err := decodeType(c, form.get(pTypeName), sch); err != nil {
		return err
	}
	var err error
	if op == OpCreate {
		err = rejectLocator(form)
	} else {
		err = decodeLocator(c, form, sch, maxDepth)
	}
	if err != nil {
		return err
	}
	if err := decodePath(c, form, sch); err != nil {
		return err
	}
	if op == OpRead && form.has(pAttributes) {
		if form.has(pAttributeName) {
			return newArgError(update.Malformed, ruleDuplicate, "attributes", "send attribute_name or attributes, not both")
		}
		var err error
		if c.Attributes, err = decodeAttributes(form.get(pAttributes), sch); err != nil {
			return err
		}
	} else if err := decodeValue(c, form, maxDepth); err != nil {
		return err
	}
	if err := decodePreconditions(c, form); err != nil {
		return err
	}
	switch v := form.get(pIncludeRecord); v {
	case "", "false":
	case "true":
		c.IncludeRecord = true
	default:
		return newArgError(update.Malformed, "", "include_record", "include_record must be true or false")
	}
	return nil
}

// checkParams refuses a parameter op does not take, and one given twice.
// Of several unknown names the least is named (as httpx.Unknown names
// it), and of several repeated ones the first in params; unknown names
// are refused before repeats. It is one pass over the form.
func checkParams(op Op, form url.Values, params []string) error {
	unknown, hasUnknown, dup := "", false, len(params)
	for name, values := range form {
		i := slices.Index(params, name)
		switch {
		case i < 0:
			if !hasUnknown || name < unknown {
				unknown, hasUnknown = name, true
			}
		case len(values) > 1 && i < dup:
			dup = i
		}
	}
	if dup < len(params) {
		return refuseParams(op, unknown, hasUnknown, params[dup])
	}
	return refuseParams(op, unknown, hasUnknown, "")
}

// decodeType reads type_name, name.
func decodeType(c *Call, name string, sch *Schema) error {
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

func rejectLocator(form *args) error {
	for _, p := range []param{pID, pUUID} {
		if form.has(p) {
			name := writeParams[p]
			return newArgError(update.Malformed, ruleNewID, name, name+" is assigned by entity.create and may not be sent")
		}
	}
	return nil
}

func decodeLocator(c *Call, form *args, sch *Schema, maxDepth int) error {
	hasUUID, hasID := form.has(pUUID), form.has(pID)
	hasKey := form.has(pKeyAttribute) || form.has(pKeyValue)
	switch {
	case hasUUID && hasID:
		return newArgError(update.Malformed, ruleDuplicate, "uuid", "send either id or uuid, not both")
	case hasKey && (hasUUID || hasID):
		return newArgError(update.Malformed, ruleDuplicate, "key_attribute", "send key_attribute and key_value, or id, or uuid, not several")
	case hasUUID:
		u, ok := canonicalUUID(form.get(pUUID))
		if !ok {
			return newArgError(update.Malformed, "", "uuid", "uuid was not valid: it must be a UUID like 6bbe7e58-bede-41b8-940b-5614c7607a4e")
		}
		c.Locator, c.LocatorArg = update.ByKey(uuidKey, u), "uuid"
	case hasID:
		id, err := strconv.ParseUint(form.get(pID), 10, 63)
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

// canonicalUUID returns u in lower case, and whether it is a UUID in its
// 36-character form: hex digits of either case, with hyphens after the
// 8th, 12th, 16th and 20th.
func canonicalUUID(u string) (string, bool) {
	if len(u) != 36 {
		return "", false
	}
	upper := false
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		u = strings.ToLower(u)
	}
	return u, true
}

func decodeKey(c *Call, form *args, sch *Schema, maxDepth int) error {
	attr := form.get(pKeyAttribute)
	if !form.has(pKeyAttribute) || attr == "" {
		return newArgError(update.Malformed, ruleMissing, "key_attribute", "key_attribute is required with key_value")
	}
	if !form.has(pKeyValue) {
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
	v, err := merge.Decode(form.bytes(pKeyValue), merge.DecodeLimits{MaxDepth: maxDepth})
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

func decodePath(c *Call, form *args, sch *Schema) error {
	if !form.has(pAttributeName) {
		return nil
	}
	if c.Op == OpCreate {
		return newArgError(update.Malformed, "", "attribute_name", "entity.create takes no attribute_name")
	}
	p, err := ParsePath(form.get(pAttributeName))
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

func decodeValue(c *Call, form *args, maxDepth int) error {
	hasValue, hasAttrs := form.has(pValue), form.has(pAttributes)
	var arg param
	switch {
	case hasValue && hasAttrs:
		return newArgError(update.Malformed, ruleDuplicate, "attributes", "send value or attributes, not both")
	case hasValue:
		c.ValueArg, arg = "value", pValue
	case hasAttrs:
		c.ValueArg, arg = "attributes", pAttributes
	}
	needs := c.Op == OpCreate || c.Op == OpUpdate || c.Op == OpReplace
	if c.ValueArg == "" || !needs {
		if needs {
			return newArgError(update.Malformed, ruleMissing, "value", c.Op.String()+" needs value (or attributes)")
		}
		c.ValueArg = ""
		return nil
	}
	v, err := merge.Decode(form.bytes(arg), merge.DecodeLimits{MaxDepth: maxDepth})
	if err != nil {
		return valueError(c.ValueArg, form.get(arg), err, maxDepth)
	}
	if len(c.Path) == 0 {
		obj, ok := v.(map[string]any)
		if !ok {
			return newArgError(update.Invalid, update.RuleType, c.ValueArg, c.ValueArg+" must be a JSON object when attribute_name is the root")
		}
		if name, ok := firstReserved(obj); ok {
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
// example) gets the intended form in the description. The description
// never repeats the value: it may be a password, and error descriptions
// are logged and kept in reports.
func valueError(arg, raw string, err error, maxDepth int) error {
	msg := arg + " is not valid JSON"
	trimmed := strings.TrimSpace(raw)
	switch {
	case errors.Is(err, merge.ErrTooDeep):
		msg = fmt.Sprintf("%s nests deeper than %d levels", arg, maxDepth)
	case strings.HasPrefix(trimmed, "{") && strings.HasSuffix(trimmed, "}"):
		inner := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
		if s, derr := merge.Decode([]byte(inner), merge.DecodeLimits{MaxDepth: 1}); derr == nil {
			if _, isString := s.(string); isString {
				msg = fmt.Sprintf(`%s is not valid JSON: a single attribute takes a plain JSON value, a string in double quotes without braces, e.g. %s='"Fred"'`, arg, arg)
				break
			}
		}
		msg += `: an object is written {"name":"value"}`
	default:
		msg += `: strings are written in double quotes, e.g. "Fred", objects as {"name":"value"}`
	}
	return newArgError(update.Malformed, "", arg, msg)
}

func decodePreconditions(c *Call, form *args) error {
	if !c.Op.writes() || c.Op == OpCreate {
		return nil
	}
	var err error
	if c.Created, err = decodeTimestamp(form, pCreated); err != nil {
		return err
	}
	c.LastUpdated, err = decodeTimestamp(form, pLastUpdated)
	return err
}

// decodeTimestamp returns the timestamp parameter p, nil when it was not
// sent.
func decodeTimestamp(form *args, p param) (*time.Time, error) {
	if !form.has(p) {
		return nil, nil
	}
	t, err := ParseTime(form.get(p))
	if err != nil {
		name := writeParams[p]
		return nil, newArgError(update.Malformed, "", name, name+" must be a timestamp like 2014-11-15 01:58:01.862312 +0000")
	}
	return &t, nil
}

func (op Op) String() string { return string(op) }

// The bounds of an entity.find or entity.count request, checked before
// the filter is parsed or the store is asked.
const (
	// MaxFilterBytes bounds the filter parameter.
	MaxFilterBytes = 4096
	// MaxFilterDepth bounds the nesting of parentheses and not in a filter.
	MaxFilterDepth = 8
	// MaxFilterTerms bounds the comparisons in a filter.
	MaxFilterTerms = 64
	// MaxResults is the largest max_results; DefaultResults is used when
	// max_results is not sent.
	MaxResults     = storage.MaxLimit
	DefaultResults = 100
	// MaxFirstResult is the largest first_result.
	MaxFirstResult = storage.MaxOffset
	// MaxTimeout is the largest timeout, in seconds.
	MaxTimeout = 60
	// maxAttributes bounds the attributes list.
	maxAttributes = 64
)

// ruleFilterOperator marks a filter using an operator Capture removed
// ("contains"), which it answers with code 485.
const ruleFilterOperator = "filter_operator"

// Search is one decoded entity.find or entity.count request: a storage
// query over the engine's List, never evaluated by the adapter.
type Search struct {
	Op   Op
	Type string
	// Filter is the parsed filter; nil matches every record.
	Filter *storage.Filter
	// Sort is sort_on's attribute; nil is the store's order of record ids.
	Sort *storage.Sort
	// Limit and Offset are max_results and first_result.
	Limit, Offset int
	// Total asks for total_count (show_total_count=true).
	Total bool
	// Attributes lists the attributes to return; nil returns records whole.
	Attributes []Path
	// Timeout bounds the call; zero leaves the request's own deadline.
	Timeout time.Duration
}

// searchParams lists the parameters of entity.find and entity.count.
func searchParams(op Op) []string {
	if op == OpCount {
		return []string{"type_name", "filter", "timeout"}
	}
	return []string{"type_name", "filter", "sort_on", "max_results", "first_result", "attributes", "show_total_count", "timeout"}
}

// DecodeSearch turns an entity.find or entity.count form into a Search.
// It parses the filter into a storage.Filter against the schema (types
// of values follow the attributes they are compared with), and bounds
// every parameter. Which attributes may be filtered or sorted on is the
// policy's: the engine's List refuses the others.
func DecodeSearch(op Op, form url.Values, sch *Schema) (*Search, error) {
	if err := checkParams(op, form, searchParams(op)); err != nil {
		return nil, err
	}
	var c Call
	if err := decodeType(&c, form.Get("type_name"), sch); err != nil {
		return nil, err
	}
	s := &Search{Op: op, Type: c.Type, Limit: DefaultResults}
	var err error
	if form.Has("filter") {
		if s.Filter, err = ParseFilter(form.Get("filter"), sch); err != nil {
			return nil, err
		}
	}
	if s.Sort, err = decodeSortOn(form, sch); err != nil {
		return nil, err
	}
	if form.Has("max_results") {
		if s.Limit, err = boundedInt(form, "max_results", 1, MaxResults); err != nil {
			return nil, err
		}
	}
	if form.Has("first_result") {
		if s.Offset, err = boundedInt(form, "first_result", 0, MaxFirstResult); err != nil {
			return nil, err
		}
	}
	if form.Has("timeout") {
		secs, err := boundedInt(form, "timeout", 1, MaxTimeout)
		if err != nil {
			return nil, err
		}
		s.Timeout = time.Duration(secs) * time.Second
	}
	switch v := form.Get("show_total_count"); v {
	case "", "false":
	case "true":
		s.Total = true
	default:
		return nil, newArgError(update.Malformed, "", "show_total_count", "show_total_count must be true or false")
	}
	if form.Has("attributes") {
		if s.Attributes, err = decodeAttributes(form.Get("attributes"), sch); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// boundedInt reads an integer parameter in [lo, hi].
func boundedInt(form url.Values, name string, lo, hi int) (int, error) {
	raw := form.Get(name)
	n, err := strconv.Atoi(raw)
	if err != nil || len(raw) > 12 || n < lo || n > hi {
		return 0, newArgError(update.Malformed, "", name, fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

// decodeJSONNames reads a JSON array of at most max attribute names.
func decodeJSONNames(raw, arg string, maxNames int) ([]string, error) {
	v, err := merge.Decode([]byte(raw), merge.DecodeLimits{MaxDepth: 2})
	list, ok := v.([]any)
	if err != nil || !ok {
		return nil, newArgError(update.Malformed, "", arg, arg+` must be a JSON array of attribute names, e.g. ["displayName"]`)
	}
	if len(list) > maxNames {
		return nil, newArgError(update.Malformed, "", arg, fmt.Sprintf("%s names more than %d attributes", arg, maxNames))
	}
	names := make([]string, len(list))
	for i, x := range list {
		if names[i], ok = x.(string); !ok {
			return nil, newArgError(update.Malformed, "", arg, arg+" must hold attribute names as JSON strings")
		}
	}
	return names, nil
}

// decodeSortOn reads sort_on: a JSON array of one attribute name, with a
// leading '-' for descending order. Records with equal values are ordered
// by record id.
func decodeSortOn(form url.Values, sch *Schema) (*storage.Sort, error) {
	if !form.Has("sort_on") {
		return nil, nil
	}
	names, err := decodeJSONNames(form.Get("sort_on"), "sort_on", 1)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, nil
	}
	name, desc := strings.CutPrefix(names[0], "-")
	segs, err := attributeSegments(name, sch, "sort_on")
	if err != nil {
		return nil, err
	}
	return &storage.Sort{Path: pointerOf(segs), Desc: desc}, nil
}

// decodeAttributes reads the attributes list of entity.find and entity:
// top-level names or dotted paths into objects ("primaryAddress.city").
func decodeAttributes(raw string, sch *Schema) ([]Path, error) {
	names, err := decodeJSONNames(raw, "attributes", maxAttributes)
	if err != nil {
		return nil, err
	}
	out := make([]Path, 0, len(names))
	for _, name := range names {
		segs, err := attributeSegments(name, sch, "attributes")
		if err != nil {
			return nil, err
		}
		p := make(Path, len(segs))
		for i, s := range segs {
			p[i] = Segment{Name: s}
		}
		out = append(out, p)
	}
	return out, nil
}

// attributeSegments resolves a dotted attribute name of the filter, sort
// and attributes languages ("primaryAddress.city") against the schema:
// 223 unknown_attribute for a name the schema does not declare.
func attributeSegments(name string, sch *Schema, arg string) ([]string, error) {
	segs := strings.Split(name, ".")
	if len(segs) > maxSegments {
		return nil, newArgError(update.Malformed, "", arg, fmt.Sprintf("attribute %.64q is deeper than %d attributes", name, maxSegments))
	}
	ptr := ""
	for _, s := range segs {
		if !isName(s) {
			return nil, newArgError(update.Invalid, update.RuleUnknown, arg, fmt.Sprintf("unknown attribute %.64q", name))
		}
		ptr += "/" + s
		if f := sch.fields[ptr]; f != nil && f.Plural != nil {
			ptr += "/*"
		}
	}
	if _, ok := sch.fields[ptr]; !ok {
		return nil, newArgError(update.Invalid, update.RuleUnknown, arg, fmt.Sprintf("unknown attribute %.64q", name))
	}
	return segs, nil
}

// pointerOf returns the JSON Pointer of attribute names.
func pointerOf(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	return "/" + strings.Join(segs, "/")
}

// ParseFilter parses Capture's filter language into a storage.Filter.
// Operators, highest precedence first: the postfix "is null" and "is not
// null"; the prefix "not" and "!"; the comparisons >, >=, <, <=, = and !=;
// "and"; "or"; parentheses group. A comparison is an attribute (dotted
// into objects: primaryAddress.city; into a plural: statuses.status,
// which holds when some element matches), an operator and a value:
// a string in single quotes (” or \' for a quote in it), a number, true
// or false. A number in quotes compared with a numeric attribute is that
// number, and an unquoted number compared with a string attribute is its
// text. Keywords are case-insensitive.
//
// The filter is bounded (MaxFilterBytes, MaxFilterDepth, MaxFilterTerms)
// before and while it is parsed. Errors are 200 invalid_argument naming
// filter, 223 for an unknown attribute, and 485 for the removed
// "contains" operator.
func ParseFilter(src string, sch *Schema) (*storage.Filter, error) {
	if len(src) > MaxFilterBytes {
		return nil, filterError("is longer than %d bytes", MaxFilterBytes)
	}
	p := &filterParser{src: src, sch: sch}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEnd {
		return nil, filterError("is empty; leave it out to match every record")
	}
	f, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEnd {
		return nil, filterError("has %q where an operator or the end was expected (at byte %d)", p.tok.text, p.tok.pos)
	}
	return &f, nil
}

func filterError(format string, args ...any) error {
	return newArgError(update.Malformed, "", "filter", "filter "+fmt.Sprintf(format, args...))
}

type tokKind int

const (
	tokEnd tokKind = iota
	tokWord
	tokString
	tokNumber
	tokOp
	tokOpen
	tokClose
)

type token struct {
	kind tokKind
	text string
	pos  int
}

type filterParser struct {
	src   string
	i     int
	tok   token
	sch   *Schema
	terms int
}

// next reads the next token into p.tok.
func (p *filterParser) next() error {
	for p.i < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.i]) >= 0 {
		p.i++
	}
	start := p.i
	if p.i >= len(p.src) {
		p.tok = token{kind: tokEnd, pos: start}
		return nil
	}
	c := p.src[p.i]
	switch {
	case c == '(' || c == ')':
		p.i++
		p.tok = token{kind: map[byte]tokKind{'(': tokOpen, ')': tokClose}[c], text: string(c), pos: start}
	case c == '\'':
		var b strings.Builder
		p.i++
		for {
			if p.i >= len(p.src) {
				return filterError("has a string without its closing quote (at byte %d)", start)
			}
			ch := p.src[p.i]
			switch {
			case ch == '\\' && p.i+1 < len(p.src) && (p.src[p.i+1] == '\'' || p.src[p.i+1] == '\\'):
				b.WriteByte(p.src[p.i+1])
				p.i += 2
				continue
			case ch == '\'' && p.i+1 < len(p.src) && p.src[p.i+1] == '\'':
				b.WriteByte('\'')
				p.i += 2
				continue
			case ch == '\'':
				p.i++
				p.tok = token{kind: tokString, text: b.String(), pos: start}
				return nil
			}
			b.WriteByte(ch)
			p.i++
		}
	case strings.IndexByte("=!<>", c) >= 0:
		p.i++
		if p.i < len(p.src) && p.src[p.i] == '=' && c != '=' {
			p.i++
		}
		p.tok = token{kind: tokOp, text: p.src[start:p.i], pos: start}
	case c == '-' || c >= '0' && c <= '9':
		p.i++
		for p.i < len(p.src) && (p.src[p.i] >= '0' && p.src[p.i] <= '9' || p.src[p.i] == '.') {
			p.i++
		}
		p.tok = token{kind: tokNumber, text: p.src[start:p.i], pos: start}
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.i < len(p.src) && (isNameByte(p.src[p.i]) || p.src[p.i] == '.') {
			p.i++
		}
		p.tok = token{kind: tokWord, text: p.src[start:p.i], pos: start}
	default:
		return filterError("has an unexpected character %q (at byte %d)", rune(c), start)
	}
	return nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// keyword reports whether the current token is the keyword kw.
func (p *filterParser) keyword(kw string) bool {
	return p.tok.kind == tokWord && strings.EqualFold(p.tok.text, kw)
}

func (p *filterParser) or(depth int) (storage.Filter, error) {
	return p.chain(depth, "or", storage.Or, p.and)
}

func (p *filterParser) and(depth int) (storage.Filter, error) {
	return p.chain(depth, "and", storage.And, p.unary)
}

// chain parses operands joined by the keyword kw into one op node.
func (p *filterParser) chain(depth int, kw string, op storage.Op, operand func(int) (storage.Filter, error)) (storage.Filter, error) {
	first, err := operand(depth)
	if err != nil || !p.keyword(kw) {
		return first, err
	}
	args := []storage.Filter{first}
	for p.keyword(kw) {
		if err := p.next(); err != nil {
			return storage.Filter{}, err
		}
		f, err := operand(depth)
		if err != nil {
			return storage.Filter{}, err
		}
		args = append(args, f)
	}
	return storage.Filter{Op: op, Args: args}, nil
}

func (p *filterParser) unary(depth int) (storage.Filter, error) {
	if depth >= MaxFilterDepth {
		return storage.Filter{}, filterError("nests deeper than %d levels", MaxFilterDepth)
	}
	switch {
	case p.keyword("not") || p.tok.kind == tokOp && p.tok.text == "!":
		if err := p.next(); err != nil {
			return storage.Filter{}, err
		}
		f, err := p.unary(depth + 1)
		if err != nil {
			return f, err
		}
		return storage.Filter{Op: storage.Not, Args: []storage.Filter{f}}, nil
	case p.tok.kind == tokOpen:
		if err := p.next(); err != nil {
			return storage.Filter{}, err
		}
		f, err := p.or(depth + 1)
		if err != nil {
			return f, err
		}
		if p.tok.kind != tokClose {
			return storage.Filter{}, filterError("misses a closing parenthesis (at byte %d)", p.tok.pos)
		}
		return f, p.next()
	}
	return p.comparison()
}

// filterOps maps the comparison operators to the storage's.
var filterOps = map[string]storage.Op{
	"=": storage.Eq, "!=": storage.Ne, ">": storage.Gt, ">=": storage.Ge, "<": storage.Lt, "<=": storage.Le,
}

func (p *filterParser) comparison() (storage.Filter, error) {
	if p.tok.kind != tokWord || p.keyword("and") || p.keyword("or") {
		return storage.Filter{}, filterError("has %q where an attribute was expected (at byte %d)", p.tok.text, p.tok.pos)
	}
	if p.terms++; p.terms > MaxFilterTerms {
		return storage.Filter{}, filterError("has more than %d comparisons", MaxFilterTerms)
	}
	name := p.tok.text
	segs, err := attributeSegments(name, p.sch, "filter")
	if err != nil {
		return storage.Filter{}, err
	}
	if err := p.next(); err != nil {
		return storage.Filter{}, err
	}
	var op storage.Op
	var value any
	switch {
	case p.keyword("is"):
		if err := p.next(); err != nil {
			return storage.Filter{}, err
		}
		op = storage.Eq
		if p.keyword("not") {
			op = storage.Ne
			if err := p.next(); err != nil {
				return storage.Filter{}, err
			}
		}
		if !p.keyword("null") {
			return storage.Filter{}, filterError("has %q where null was expected (at byte %d)", p.tok.text, p.tok.pos)
		}
	case p.keyword("contains"):
		return storage.Filter{}, newArgError(update.Malformed, ruleFilterOperator, "filter", "filter uses contains, which Capture no longer supports")
	case p.tok.kind == tokOp && filterOps[p.tok.text] != "":
		op = filterOps[p.tok.text]
		if err := p.next(); err != nil {
			return storage.Filter{}, err
		}
		if value, err = p.value(segs); err != nil {
			return storage.Filter{}, err
		}
	default:
		return storage.Filter{}, filterError("has %q where a comparison operator was expected after %s (at byte %d)", p.tok.text, name, p.tok.pos)
	}
	if err := p.next(); err != nil {
		return storage.Filter{}, err
	}
	return p.term(segs, op, value), nil
}

// term builds the comparison at segs, as an Any over the plural when the
// path leads into one.
func (p *filterParser) term(segs []string, op storage.Op, value any) storage.Filter {
	for i := range segs {
		f := p.sch.fields[pointerOf(segs[:i+1])]
		if f != nil && f.Plural != nil && i < len(segs)-1 {
			inner := storage.Filter{Op: op, Path: pointerOf(segs[i+1:]), Value: value}
			return storage.Filter{Op: storage.Any, Path: pointerOf(segs[:i+1]), Args: []storage.Filter{inner}}
		}
	}
	return storage.Filter{Op: op, Path: pointerOf(segs), Value: value}
}

// value reads the value of a comparison, typed by the attribute at segs.
func (p *filterParser) value(segs []string) (any, error) {
	ptr := ""
	for _, s := range segs {
		ptr += "/" + s
		if f := p.sch.fields[ptr]; f != nil && f.Plural != nil {
			ptr += "/*"
		}
	}
	numeric := false
	if f := p.sch.fields[ptr]; f != nil {
		numeric = f.Type == update.TypeInteger || f.Type == update.TypeNumber
	}
	t := p.tok
	switch {
	case t.kind == tokString && numeric, t.kind == tokNumber && numeric:
		if storage.CheckNumber(t.text) != nil {
			return nil, filterError("compares %s with %q, which is not a number", strings.Join(segs, "."), t.text)
		}
		return json.Number(t.text), nil
	case t.kind == tokString, t.kind == tokNumber:
		return t.text, nil
	case p.keyword("true"), p.keyword("false"):
		return strings.EqualFold(t.text, "true"), nil
	}
	return nil, filterError("has %q where a value was expected (at byte %d)", t.text, t.pos)
}
