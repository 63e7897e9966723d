package update

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/idupdate/idupdate/internal/jsonfile"
)

// ConfigError is the error a policy file's problem comes as (find it with
// errors.As): the file, line and column, the JSON path, what was expected
// and the closest valid name. The shim server's config file errors have
// the same type and form:
//
//	policy.json:5:39: $.types.user.fields["/email"].rules: unknown rule "emial" in "emial,max=200"; expected ...; did you mean "email"?
//
// Errors of New, which has no file, carry the path but no position.
type ConfigError = jsonfile.Error

// ruleTagError is a validator tag the validator does not know.
type ruleTagError struct{ tag, tags string }

func (e *ruleTagError) Error() string { return e.valueError().Error() }

// commonTags are go-playground/validator tags a policy is likely to use,
// offered as suggestions for a misspelt one.
var commonTags = []string{
	"alpha", "alphanum", "ascii", "contains", "datetime", "e164", "email", "endswith", "eq", "gt", "gte",
	"hostname", "ip", "len", "lowercase", "lt", "lte", "max", "min", "ne", "numeric", "oneof", "printascii",
	"required", "startswith", "uppercase", "uri", "url", "uuid",
}

func (e *ruleTagError) valueError() *jsonfile.ValueError {
	names := slices.Sorted(slices.Values(append(slices.Clone(commonTags), slices.Collect(maps.Keys(builtinValidators))...)))
	return &jsonfile.ValueError{
		Problem:    fmt.Sprintf("unknown rule %q in %q", e.tag, e.tags),
		Expected:   "go-playground/validator tags such as email, max=200 or oneof=a b, or one registered with WithValidator",
		Suggestion: jsonfile.Closest(e.tag, names),
	}
}

// undefinedTag reads the tag out of the validator's panic text.
var undefinedTag = regexp.MustCompile(`Undefined validation function '([^']*)'`)

// tagError turns the validator's panic about tags into a ruleTagError
// when it names the tag, else into a plain error.
func tagError(tags string, p any) error {
	if m := undefinedTag.FindStringSubmatch(fmt.Sprint(p)); m != nil {
		return &ruleTagError{tag: m[1], tags: tags}
	}
	return fmt.Errorf("rules %q: %v", tags, p)
}

// fieldError places an error of a field's rule at its JSON path: the
// rules member for a tag error, the field itself otherwise.
func fieldError(typ, path string, err error) error {
	at := []any{"types", typ, "fields", path}
	var te *ruleTagError
	if errors.As(err, &te) {
		return jsonfile.AtPath(append(at, "rules"), te.valueError())
	}
	return jsonfile.AtPath(at, err)
}

// policyError wraps an error of a type's schema: placed errors say
// where they are themselves.
func policyError(typ string, err error) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return fmt.Errorf("policy: %w", err)
	}
	return fmt.Errorf("policy: type %q: %w", typ, err)
}

// durationError is a duration's problem in a policy or config file.
func durationError(raw string) error {
	return &jsonfile.ValueError{
		Problem:  fmt.Sprintf("%s is not a duration", strings.TrimSpace(raw)),
		Expected: `a string such as "90s", "15m" or "24h" (units ns, us, ms, s, m, h; no days)`,
	}
}
