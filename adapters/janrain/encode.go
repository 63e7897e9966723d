package janrain

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/idupdate/idupdate/update"
)

// timeLayout is Capture's timestamp format: microseconds and a numeric
// zone, always UTC ("2014-11-15 01:58:01.862312 +0000").
const timeLayout = "2006-01-02 15:04:05.000000 -0700"

// FormatTime writes t in Capture's timestamp format, in UTC, truncated to
// microseconds.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads a Capture timestamp. The fraction may have up to nine
// digits or be left out; the zone is numeric.
func ParseTime(s string) (time.Time, error) {
	if len(s) > 64 {
		return time.Time{}, errors.New("timestamp too long")
	}
	return time.Parse("2006-01-02 15:04:05.999999999 -0700", s)
}

// Record renders a record as Capture shows it: every declared attribute
// (absent ones as null or []) plus id, uuid, created and lastUpdated.
func Record(v *update.View, s *Schema) map[string]any {
	out := s.fill("", v.Doc)
	out["id"] = json.Number(v.ID)
	out["uuid"] = recordUUID(v)
	out["created"] = FormatTime(v.Created)
	out["lastUpdated"] = FormatTime(v.Updated)
	return out
}

// recordUUID returns the uuid a record is indexed by, or nil.
func recordUUID(v *update.View) any {
	for _, k := range v.Keys {
		if k.Name == uuidKey {
			return k.Value
		}
	}
	return nil
}

// subtree returns the part of a rendered record that attribute_name p
// names: the whole record for the root, null for an absent attribute.
func subtree(rec map[string]any, p Path) (any, error) {
	if len(p) == 0 {
		return rec, nil
	}
	_, v, _, err := p.Resolve(rec)
	if err != nil {
		return nil, pathError(err)
	}
	return v, nil
}

// pathError classifies an error of Path.Resolve.
func pathError(err error) error {
	var nf *errElementNotFound
	if errors.As(err, &nf) {
		return newArgError(update.NotFound, update.RuleElement, "attribute_name", err.Error())
	}
	return newArgError(update.Malformed, "", "attribute_name", "attribute_name "+err.Error())
}

// okBody is Capture's success body, with the result when one is wanted.
func okBody(result any, withResult bool) map[string]any {
	b := map[string]any{"stat": "ok"}
	if withResult {
		b["result"] = result
	}
	return b
}

// EncodeRead returns the body of an entity read: the record, or the
// subtree attribute_name names, in result.
func EncodeRead(c *Call, v *update.View, s *Schema) (map[string]any, error) {
	if c.Attributes != nil {
		return okBody(project(Record(v, s), c.Attributes), true), nil
	}
	res, err := subtree(Record(v, s), c.Path)
	if err != nil {
		return nil, err
	}
	return okBody(res, true), nil
}

// EncodeResult returns the body of a successful update, replace or
// delete: {"stat":"ok"}, with the record or subtree after the change when
// the call asked for it.
func EncodeResult(c *Call, v *update.View, s *Schema) (map[string]any, error) {
	if !c.IncludeRecord || v == nil {
		return okBody(nil, false), nil
	}
	rec := Record(v, s)
	if len(c.Path) == 0 {
		return okBody(rec, true), nil
	}
	_, res, _, err := c.Path.Resolve(rec)
	if err != nil {
		var nf *errElementNotFound
		if !errors.As(err, &nf) {
			return nil, pathError(err)
		}
		res = nil // the element was just deleted
	}
	return okBody(res, true), nil
}

// EncodeCreate returns the body of entity.create: the new id and uuid, and
// the record when asked for.
func EncodeCreate(c *Call, v *update.View, s *Schema) map[string]any {
	b := okBody(nil, false)
	b["id"] = json.Number(v.ID)
	b["uuid"] = recordUUID(v)
	if c.IncludeRecord {
		b["result"] = Record(v, s)
	}
	return b
}

// EncodeFind returns the body of entity.find: the page of records, each
// cut down to the attributes asked for, with total_count when asked for.
func EncodeFind(s *Search, res *update.ListResult, sch *Schema) map[string]any {
	results := make([]any, len(res.Views))
	for i, v := range res.Views {
		results[i] = project(Record(v, sch), s.Attributes)
	}
	b := okBody(nil, false)
	b["result_count"] = len(results)
	b["results"] = results
	if s.Total {
		b["total_count"] = res.Total
	}
	return b
}

// EncodeCount returns the body of entity.count.
func EncodeCount(n int) map[string]any {
	b := okBody(nil, false)
	b["total_count"] = n
	return b
}

// project returns the attributes of a rendered record that attrs name,
// nested as in the record; nil attrs return it whole. An attribute below
// one that is null or not an object is shown as null.
func project(rec map[string]any, attrs []Path) map[string]any {
	if attrs == nil {
		return rec
	}
	out := map[string]any{}
	for _, p := range attrs {
		src, dst := rec, out
		for i, seg := range p {
			v := src[seg.Name]
			if i == len(p)-1 {
				dst[seg.Name] = v
				break
			}
			sub, ok := v.(map[string]any)
			if !ok {
				dst[seg.Name] = v
				break
			}
			next, ok := dst[seg.Name].(map[string]any)
			if !ok {
				next = map[string]any{}
				dst[seg.Name] = next
			}
			src, dst = sub, next
		}
	}
	return out
}
