package update

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/verify"
)

func compilePolicy(p *Policy, v *validator.Validate) (*compiled, error) {
	if p == nil {
		return nil, fmt.Errorf("policy: nil")
	}
	if len(p.Types) == 0 {
		return nil, fmt.Errorf("policy: no entity types")
	}
	c := &compiled{types: map[string]*schema{}, grants: p.Grants, defaultGrant: p.DefaultGrant}
	for name, s := range p.Types {
		if name == "" {
			return nil, fmt.Errorf("policy: empty entity type name")
		}
		if s == nil {
			return nil, fmt.Errorf("policy: type %q: no schema", name)
		}
		cs, err := compileSchema(name, s, v)
		if err != nil {
			return nil, policyError(name, err)
		}
		c.types[name] = cs
	}
	for id, g := range p.Grants {
		if err := checkGrant(g); err != nil {
			return nil, fmt.Errorf("policy: grant %q: %w", id, err)
		}
	}
	if p.DefaultGrant != nil {
		if err := checkGrant(*p.DefaultGrant); err != nil {
			return nil, fmt.Errorf("policy: default grant: %w", err)
		}
	}
	return c, nil
}

func compileSchema(name string, s *Schema, v *validator.Validate) (*schema, error) {
	cs := &schema{
		name: name, src: s, root: &node{}, limits: withDefaultLimits(s.Limits),
		secrets: map[string]*rule{}, verified: map[string]*rule{},
	}
	cs.arrays = cs.arrayRule()
	switch s.Unknown {
	case "", Reject, Allow, Drop:
	default:
		return nil, fmt.Errorf("unknown: %q is not reject, allow or drop", s.Unknown)
	}
	switch s.Omitted {
	case "", OmitRemove, OmitNull:
	default:
		return nil, fmt.Errorf("omitted: %q is not \"\" or \"null\"", s.Omitted)
	}
	fields := make(map[string]*Field, len(s.Fields))
	for p, f := range s.Fields {
		fields[p] = f
	}
	// A plural's key member is part of every element, declared or not.
	for p, f := range s.Fields {
		if f != nil && f.Plural != nil && f.Plural.Key != "" {
			kp := p + "/*/" + escapeSeg(f.Plural.Key)
			if _, ok := fields[kp]; !ok {
				fields[kp] = &Field{}
			}
		}
	}
	paths := make([]string, 0, len(fields))
	for p := range fields {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := fields[p]
		r, err := compileRule(p, f, v)
		if err != nil {
			return nil, fieldError(name, p, err)
		}
		if merge.HasSelector(r.segs) {
			if err := cs.addElementConfirm(r); err != nil {
				return nil, fieldError(name, p, err)
			}
			continue
		}
		if err := cs.add(r); err != nil {
			return nil, err
		}
	}
	if err := cs.compileElementRules(); err != nil {
		return nil, err
	}
	if err := cs.compileStateFrom(); err != nil {
		return nil, err
	}
	if err := cs.compileTimestamps(); err != nil {
		return nil, err
	}
	for vp := range cs.verified {
		if _, err := merge.ParsePointer(vp); err != nil || vp == "" {
			return nil, fmt.Errorf("verifiedPath %q is not a JSON Pointer", vp)
		}
	}
	if s.Tenant != nil {
		if err := cs.compileTenancy(s.Tenant); err != nil {
			return nil, err
		}
	}
	if err := cs.checkScopes(); err != nil {
		return nil, err
	}
	return cs, nil
}

// add indexes a compiled rule: in the trie, and in the lists of kept,
// unique, required, confirmable and secret fields.
func (cs *schema) add(r *rule) error {
	f := r.f
	cs.insert(r)
	cs.rules = append(cs.rules, r)
	// A Replace carries over what it may not drop: kept fields,
	// server-owned fields, and set-once fields (changing one is refused,
	// so dropping it by omission must not be the way around that).
	if f.Keep || f.Mutability == ReadOnly || f.Mutability == SetOnce {
		switch {
		case r.wildcard && f.Keep:
			return fmt.Errorf("keep needs a path without \"*\"")
		case !r.wildcard:
			cs.keep = append(cs.keep, r.path)
		}
		// Below a plural's elements, mutability is checked per element
		// (compileElementRules).
	}
	if f.Mutability == WriteOnly || f.Secret != nil {
		cs.hides = true
	}
	if f.Unique && !r.wildcard {
		cs.unique = append(cs.unique, r)
	}
	if f.Query != nil && f.Query.Indexed && f.Query.DateTime {
		return fmt.Errorf("query: indexed does not apply to a dateTime field (it compares instants, not text)")
	}
	if indexedRule(r) {
		cs.indexed = append(cs.indexed, r)
	}
	if f.Required {
		cs.require = append(cs.require, r)
	}
	if f.Confirm != nil {
		if r.wildcard {
			return fmt.Errorf("a confirmable field needs a path without \"*\"")
		}
		cs.confirm = append(cs.confirm, r)
		if vp := f.Confirm.VerifiedPath; vp != "" {
			cs.verified[vp] = r
		}
	}
	if f.Secret != nil {
		if r.wildcard {
			return fmt.Errorf("a secret needs a path without \"*\"")
		}
		if f.Secret.Reset != nil {
			if err := r.compileReset(f.Secret.Reset); err != nil {
				return fmt.Errorf("secret reset: %w", err)
			}
		}
		cs.secrets[r.path] = r
	}
	return nil
}

// insert puts r into the trie at its path.
func (cs *schema) insert(r *rule) {
	n := cs.root
	for _, seg := range r.segs {
		if n.children == nil {
			n.children = map[string]*node{}
		}
		next := n.children[seg]
		if next == nil {
			next = &node{}
			n.children[seg] = next
		}
		n = next
	}
	n.rule = r
}

func escapeSeg(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func compileRule(p string, f *Field, v *validator.Validate) (*rule, error) {
	if f == nil {
		return nil, fmt.Errorf("no rule")
	}
	segs, err := merge.ParsePointer(p)
	if err != nil || p == "" {
		return nil, fmt.Errorf("not a JSON Pointer below the root")
	}
	r := &rule{path: p, segs: segs, f: f}
	for _, s := range segs {
		if s == "*" {
			r.wildcard = true
		}
	}
	switch f.Type {
	case TypeAny, TypeString, TypeNumber, TypeInteger, TypeBoolean, TypeObject, TypeArray:
	default:
		return nil, fmt.Errorf("type %q is not a JSON type", f.Type)
	}
	switch f.Mutability {
	case "", ReadWrite, SetOnce, ReadOnly, WriteOnly:
	default:
		return nil, fmt.Errorf("mutability %q is not readOnly, immutable or writeOnly", f.Mutability)
	}
	switch f.Normalize {
	case NormalizeNone, NormalizeEmail, NormalizeLower, NormalizeTrim:
	case NormalizePhone:
		if f.Region != "" && len(f.Region) != 2 {
			return nil, fmt.Errorf("region %q is not an ISO 3166 alpha-2 code", f.Region)
		}
	default:
		return nil, fmt.Errorf("normalize %q is unknown", f.Normalize)
	}
	if f.Rules != "" && v != nil {
		if err := checkTags(v, f.Rules, f.Type); err != nil {
			return nil, err
		}
	}
	if f.Plural != nil {
		if err := checkPlural(f); err != nil {
			return nil, err
		}
	}
	if f.Confirm != nil {
		if err := r.compileConfirm(f.Confirm); err != nil {
			return nil, err
		}
	}
	if sc := f.Secret; sc != nil {
		if err := checkSecret(sc); err != nil {
			return nil, err
		}
	}
	if err := checkIdentifier(f); err != nil {
		return nil, err
	}
	return r, nil
}

// checkPlural checks the Plural of a field.
func checkPlural(f *Field) error {
	pl := f.Plural
	if f.Type != TypeAny && f.Type != TypeArray {
		return fmt.Errorf("a plural must have type array")
	}
	switch pl.Mode {
	case "", PluralReplace, PluralAppend, PluralUpsert:
	default:
		return fmt.Errorf("plural mode %q is not append or upsert", pl.Mode)
	}
	if pl.Mode == PluralUpsert && pl.Key == "" {
		return fmt.Errorf("plural upsert needs a key member")
	}
	switch pl.KeyGen {
	case KeyGenNone, KeyGenInt, KeyGenUUID:
	default:
		return fmt.Errorf("keyGen %q is not int or uuid", pl.KeyGen)
	}
	if pl.KeyGen != KeyGenNone && pl.Key == "" {
		return fmt.Errorf("keyGen needs a key member")
	}
	return nil
}

// compileConfirm checks c and compiles its code form and send limits into r.
func (r *rule) compileConfirm(c *Confirm) error {
	switch verify.Channel(c.Channel) {
	case verify.Email, verify.SMS:
	default:
		return fmt.Errorf("confirm channel %q is not email or sms", c.Channel)
	}
	switch c.Mode {
	case Hold, ApplyUnverified:
	default:
		return fmt.Errorf("confirm mode %q is not hold or applyUnverified", c.Mode)
	}
	r.code = verify.CodeSpec{Length: c.Code.Length, Alphabet: c.Code.Alphabet, TTL: time.Duration(c.Code.TTL)}.WithDefaults()
	if err := r.code.Validate(); err != nil {
		return fmt.Errorf("confirm code: %w", err)
	}
	if c.MaxSends > 0 && c.Window <= 0 {
		return fmt.Errorf("confirm maxSends needs a window")
	}
	r.limiter = verify.Limiter{Cooldown: time.Duration(c.Cooldown), Window: time.Duration(c.Window), MaxSends: c.MaxSends}
	r.attempts = c.MaxAttempts
	if r.attempts <= 0 {
		r.attempts = 5
	}
	return nil
}

// checkTags makes sure every validator tag is known, at New instead of at
// the first request (validator panics on an unknown tag).
func checkTags(v *validator.Validate, tags string, t JSONType) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = tagError(tags, p)
		}
	}()
	var sample any = ""
	switch t {
	case TypeNumber, TypeInteger:
		sample = 0.0
	case TypeBoolean:
		sample = false
	}
	_ = v.Var(sample, tags)
	return nil
}

func withDefaultLimits(l Limits) Limits {
	d := DefaultLimits
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxPlural > 0 {
		d.MaxPlural = l.MaxPlural
	}
	if l.MaxString > 0 {
		d.MaxString = l.MaxString
	}
	if l.MaxMembers > 0 {
		d.MaxMembers = l.MaxMembers
	}
	return d
}

// schemaOf returns the compiled schema of a type, or NotFound.
func (c *compiled) schemaOf(typ string) (*schema, error) {
	s, ok := c.types[typ]
	if !ok {
		return nil, &Error{Code: NotFound, Message: fmt.Sprintf("unknown entity type %q", typ), Reason: ReasonType}
	}
	return s, nil
}
