package update

import (
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/verify"
)

// compiled is a Policy checked and indexed for fast lookups.
type compiled struct {
	types        map[string]*schema
	grants       map[string]Grant
	defaultGrant *Grant
}

// schema is one Schema, compiled.
type schema struct {
	name    string
	src     *Schema
	root    *node
	rules   []*rule // every rule, sorted by path
	limits  Limits
	keep    []string // absolute paths a Replace carries over (Keep, ReadOnly)
	unique  []*rule  // non-wildcard unique rules
	indexed []*rule  // rules whose values the store keeps index terms of (indexedRule)
	require []*rule
	confirm []*rule
	secrets map[string]*rule
	// verified maps a VerifiedPath to its confirmable rule; clients never
	// write these paths directly.
	verified map[string]*rule
	// elementRules are the ReadOnly and SetOnce rules below a plural's
	// elements.
	elementRules []*elementRule
	// stateFrom is the rule of Schema.StateFrom, or nil.
	stateFrom *rule
	// createdAt and updatedAt are the rules of Schema.Timestamps, or nil.
	createdAt, updatedAt *rule
	// hides: some rule is write-only or a secret, so change lists need
	// redacting.
	hides bool
	// tenancy is the compiled Schema.Tenant, nil without tenants.
	tenancy *tenancy
	// arrays is arrayRule's hook, made once.
	arrays func(path string) merge.ArrayRule
}

// rule is one Field, compiled.
type rule struct {
	path     string
	segs     []string
	wildcard bool
	// selector is the index of the element selector in segs of a
	// confirmable element rule ("/emails/[type=work]/value"), else 0.
	selector int
	f        *Field
	bound    *bound // f.Rules when the engine checks them itself, else nil
	code     verify.CodeSpec
	limiter  verify.Limiter
	attempts int
}

// node is a trie over pointer segments; "*" matches any array index.
type node struct {
	rule     *rule
	children map[string]*node
}

func (n *node) child(seg string) *node {
	if c, ok := n.children[seg]; ok {
		return c
	}
	if c, ok := n.children["*"]; ok && (isIndex(seg) || merge.IsSelector(seg)) {
		return c
	}
	return nil
}

// isIndex reports whether seg can name an array element: digits, or "-"
// (RFC 6901's past-the-end element).
func isIndex(seg string) bool {
	if seg == "-" {
		return true
	}
	if seg == "" {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// coverage says how a concrete path relates to the rules.
type coverage struct {
	rule     *rule // the rule at the path, if any
	ancestor *rule // the nearest rule above the path, if any
	inner    bool  // rules exist below the path (an intermediate object)
	// open: the nearest rule above declares nothing below itself, so what
	// lies inside its value is its own business. A rule that declares
	// members below it closes its object: other members are unknown; so
	// does every object rule when Schema.ClosedObjects is set.
	open bool
}

func (c coverage) known() bool { return c.rule != nil || c.inner || c.open }

// lookup walks segs down the trie.
func (s *schema) lookup(segs []string) coverage {
	var cv coverage
	n := s.root
	for _, seg := range segs {
		if n.rule != nil {
			cv.ancestor = n.rule
			cv.open = len(n.children) == 0 && !s.closes(n.rule)
		}
		n = n.child(seg)
		if n == nil {
			return cv
		}
	}
	cv.rule = n.rule
	cv.inner = len(n.children) > 0
	return cv
}

// closes reports whether r closes its object although it declares no
// members below it (Schema.ClosedObjects).
func (s *schema) closes(r *rule) bool {
	return s.src.ClosedObjects && r.f.Type == TypeObject
}

// ruleAt returns the rule for a concrete path, or nil.
func (s *schema) ruleAt(segs []string) *rule {
	n := s.root
	for _, seg := range segs {
		n = n.child(seg)
		if n == nil {
			return nil
		}
	}
	return n.rule
}

// governing returns the rule at the path or the nearest above it.
func (s *schema) governing(segs []string) *rule {
	cv := s.lookup(segs)
	if cv.rule != nil {
		return cv.rule
	}
	return cv.ancestor
}
