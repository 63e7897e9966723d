package scim_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// model is an independent reading of RFC 7644 section 3.5.2 for the few
// attributes the property test touches: it shares no code with the
// adapter or the engine.
type model struct {
	simple map[string]string // displayName, nickName, title
	given  *string
	active *bool
	emails []email // nil: absent
}

type email struct{ Value, Type string }

// apply applies one operation and reports whether it succeeds.
func (m *model) apply(op patchOp) bool {
	switch op.kind {
	case "replaceSimple":
		m.simple[op.attr] = op.value
	case "removeSimple":
		delete(m.simple, op.attr)
	case "addGiven":
		v := op.value
		m.given = &v
	case "active":
		b := op.value == "true"
		m.active = &b
	case "addEmail":
		e := email{op.value, op.typ}
		if !slices.Contains(m.emails, e) {
			m.emails = append(slices.Clone(m.emails), e)
		} else if m.emails == nil {
			m.emails = []email{}
		}
	case "replaceEmailValue":
		hit := false
		out := slices.Clone(m.emails)
		for i := range out {
			if out[i].Type == op.typ {
				out[i].Value, hit = op.value, true
			}
		}
		if !hit {
			return false
		}
		m.emails = out
	case "removeEmails":
		if m.emails != nil {
			m.emails = slices.DeleteFunc(slices.Clone(m.emails), func(e email) bool { return e.Type == op.typ })
		}
	}
	return true
}

func (m *model) clone() *model {
	c := &model{simple: map[string]string{}, given: m.given, active: m.active, emails: slices.Clone(m.emails)}
	if m.emails != nil && c.emails == nil {
		c.emails = []email{}
	}
	for k, v := range m.simple {
		c.simple[k] = v
	}
	return c
}

// doc is the model as the resource's attributes (without id, meta, schemas).
func (m *model) doc() map[string]any {
	d := map[string]any{"userName": "prop"}
	for k, v := range m.simple {
		d[k] = v
	}
	if m.given != nil {
		d["name"] = map[string]any{"givenName": *m.given}
	}
	if m.active != nil {
		d["active"] = *m.active
	}
	if m.emails != nil {
		list := []any{}
		for _, e := range m.emails {
			list = append(list, map[string]any{"value": e.Value, "type": e.Type})
		}
		d["emails"] = list
	}
	return d
}

type patchOp struct{ kind, attr, value, typ string }

// wire is the operation as a SCIM client sends it.
func (op patchOp) wire() map[string]any {
	switch op.kind {
	case "replaceSimple":
		return map[string]any{"op": "replace", "path": op.attr, "value": op.value}
	case "removeSimple":
		return map[string]any{"op": "remove", "path": op.attr}
	case "addGiven":
		return map[string]any{"op": "add", "path": "name.givenName", "value": op.value}
	case "active":
		return map[string]any{"op": "replace", "value": map[string]any{"active": op.value == "true"}}
	case "addEmail":
		return map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": op.value, "type": op.typ}}}
	case "replaceEmailValue":
		return map[string]any{"op": "replace", "path": fmt.Sprintf(`emails[type eq %q].value`, op.typ), "value": op.value}
	case "removeEmails":
		return map[string]any{"op": "remove", "path": fmt.Sprintf(`emails[type eq %q]`, op.typ)}
	}
	panic(op.kind)
}

func randomOp(r *rand.Rand) patchOp {
	kinds := []string{"replaceSimple", "removeSimple", "addGiven", "active", "addEmail", "addEmail", "replaceEmailValue", "removeEmails"}
	attrs := []string{"displayName", "nickName", "title"}
	types := []string{"work", "home", "other"}
	return patchOp{
		kind:  kinds[r.IntN(len(kinds))],
		attr:  attrs[r.IntN(len(attrs))],
		value: fmt.Sprintf("v%d@example.com", r.IntN(4)),
		typ:   types[r.IntN(len(types))],
	}
}

// TestPatchProperty: random valid operation lists through SCIM leave the
// resource as the independent model says; a list the model says fails (a
// replace whose filter matches nothing) is refused with noTarget and
// changes nothing, version included.
func TestPatchProperty(t *testing.T) {
	s := newServer(t, newMemory())
	id := createUser(t, s, map[string]any{"userName": "prop"})
	path := "/scim/v2/Users/" + id
	r := rand.New(rand.NewPCG(7, 11))
	m := &model{simple: map[string]string{}}
	version := `W/"1"`
	for round := range 200 {
		ops := make([]patchOp, 1+r.IntN(4))
		wire := make([]any, len(ops))
		next, ok := m.clone(), true
		for i := range ops {
			ops[i] = randomOp(r)
			wire[i] = ops[i].wire()
			ok = ok && next.apply(ops[i])
		}
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": wire}
		st, got := patch(t, s, path, body)
		opsJSON, _ := json.Marshal(wire)
		if !ok {
			scimError(t, http.StatusBadRequest, "noTarget", st, got)
		} else {
			require.Equal(t, http.StatusOK, st, "round %d: %s: %v", round, opsJSON, got)
			m = next
		}
		_, hdr, cur := s.do("GET", path, adminToken, nil)
		if !ok {
			assert.Equal(t, version, hdr.Get("ETag"), "round %d: a failed PATCH bumped the version", round)
		}
		version = hdr.Get("ETag")
		delete(cur, "id")
		delete(cur, "meta")
		delete(cur, "schemas")
		require.Equal(t, m.doc(), cur, "round %d: %s", round, opsJSON)
	}
}
