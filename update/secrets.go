package update

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Redacted stands in for a secret value in change lists, events and logs.
const Redacted = "[redacted]"

// argon2id parameters for hashes the engine makes (RFC 9106's second
// recommended option, with less memory: 64 MiB, 3 passes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

func checkSecret(s *Secret) error {
	switch s.Hasher {
	case "", "bcrypt", "argon2id":
	default:
		return fmt.Errorf("secret hasher %q is not bcrypt or argon2id", s.Hasher)
	}
	if s.Cost != 0 && (s.Cost < bcrypt.MinCost || s.Cost > bcrypt.MaxCost) {
		return fmt.Errorf("secret cost %d is outside %d..%d", s.Cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	for _, f := range s.AcceptHashed {
		if f != "bcrypt" && f != "argon2id" {
			return fmt.Errorf("secret acceptHashed %q is not bcrypt or argon2id", f)
		}
	}
	if s.Complexity.MaxLength > 72 && s.Hasher != "argon2id" {
		return fmt.Errorf("secret maxLength %d exceeds bcrypt's 72 bytes", s.Complexity.MaxLength)
	}
	return nil
}

// preparedSecret is a secret ready to store: hashed, checked. A KeepIfSame
// plain value stays plain until settleSecrets compares it with the stored
// hash; seen is the hash it matched, so a concurrent change is noticed.
type preparedSecret struct {
	hash    string
	current string
	code    string // a reset code (SecretValue.Code)
	plain   string
	same    bool
	seen    string
}

// prepareSecret checks and hashes one secret value outside any transaction;
// with hash false (the request fails anyway) it only checks.
func prepareSecret(path string, s *Secret, v SecretValue, hash bool) (preparedSecret, []FieldError) {
	ps, errs := prepareSecretValue(path, s, v, hash)
	switch {
	case v.Code != "" && s.Reset == nil:
		return preparedSecret{}, []FieldError{{Path: path, Rule: RuleCode, Message: "takes no reset code"}}
	case v.Code != "" && v.Current != "":
		return preparedSecret{}, []FieldError{{Path: path, Rule: RuleType, Message: "send a current value or a reset code, not both"}}
	}
	ps.code = v.Code
	return ps, errs
}

// prepareSecretValue checks and hashes the new value of a secret.
func prepareSecretValue(path string, s *Secret, v SecretValue, hash bool) (preparedSecret, []FieldError) {
	switch {
	case v.Plain != "" && v.Hash != "":
		return preparedSecret{}, []FieldError{{Path: path, Rule: RuleType, Message: "send a plain value or a hash, not both"}}
	case v.Plain == "" && v.Hash == "":
		return preparedSecret{}, []FieldError{{Path: path, Rule: RuleRequired, Message: "is empty"}}
	case v.Hash != "":
		if err := checkHash(s, v.Hash); err != nil {
			return preparedSecret{}, []FieldError{{Path: path, Rule: RuleHash, Message: err.Error()}}
		}
		return preparedSecret{hash: v.Hash, current: v.Current}, nil
	}
	if errs := checkComplexity(path, s, v.Plain); len(errs) > 0 {
		return preparedSecret{}, errs
	}
	if !hash {
		return preparedSecret{}, nil
	}
	if s.KeepIfSame {
		return preparedSecret{plain: v.Plain, current: v.Current}, nil
	}
	h, err := hashSecret(s, v.Plain)
	if err != nil {
		return preparedSecret{}, []FieldError{{Path: path, Rule: RuleComplexity, Message: "cannot be hashed"}}
	}
	return preparedSecret{hash: h, current: v.Current}, nil
}

func checkComplexity(path string, s *Secret, plain string) []FieldError {
	c := s.Complexity
	maxLen := c.MaxLength
	if maxLen == 0 {
		maxLen = 72
		if s.Hasher == "argon2id" {
			maxLen = 1024
		}
	}
	var errs []FieldError
	add := func(param, msg string) {
		errs = append(errs, FieldError{Path: path, Rule: RuleComplexity, Param: param, Message: msg})
	}
	if len(plain) > maxLen {
		add(ParamMaxLength+"="+strconv.Itoa(maxLen), fmt.Sprintf("is longer than %d bytes", maxLen))
	}
	if len([]rune(plain)) < c.MinLength {
		add(ParamMinLength+"="+strconv.Itoa(c.MinLength), fmt.Sprintf("is shorter than %d characters", c.MinLength))
	}
	var lower, upper, digit, symbol bool
	for _, r := range plain {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' ':
			symbol = true
		}
	}
	if c.Lower && !lower {
		add(ParamLower, "needs a lower-case letter")
	}
	if c.Upper && !upper {
		add(ParamUpper, "needs an upper-case letter")
	}
	if c.Digit && !digit {
		add(ParamDigit, "needs a digit")
	}
	if c.Symbol && !symbol {
		add(ParamSymbol, "needs a symbol")
	}
	return errs
}

func hashSecret(s *Secret, plain string) (string, error) {
	if s.Hasher == "argon2id" {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return "", err
		}
		key := argon2.IDKey([]byte(plain), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
		enc := base64.RawStdEncoding
		return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
			argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
	}
	cost := s.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	return string(h), err
}

// checkHash accepts a pre-hashed secret only in a format the field allows.
func checkHash(s *Secret, h string) error {
	if len(h) > 512 {
		return fmt.Errorf("hash is too long")
	}
	accepts := func(f string) bool {
		for _, a := range s.AcceptHashed {
			if a == f {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$"):
		if !accepts("bcrypt") {
			return fmt.Errorf("bcrypt hashes are not accepted")
		}
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil {
			return fmt.Errorf("not a valid bcrypt hash")
		}
		lo, hi := s.MinCost, s.MaxCost
		if lo == 0 {
			lo = bcrypt.MinCost
		}
		if hi == 0 {
			hi = bcrypt.MaxCost
		}
		if cost < lo || cost > hi {
			return fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, lo, hi)
		}
		return nil
	case strings.HasPrefix(h, "$argon2id$"):
		if !accepts("argon2id") {
			return fmt.Errorf("argon2id hashes are not accepted")
		}
		if _, _, _, err := parseArgon2id(h); err != nil {
			return err
		}
		return nil
	}
	return fmt.Errorf("hash format is not accepted")
}

type argonParams struct {
	m        uint32
	t        uint32
	p        uint8
	salt, dk []byte
}

func parseArgon2id(h string) (argonParams, int, int, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return argonParams{}, 0, 0, fmt.Errorf("not a valid argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return argonParams{}, 0, 0, fmt.Errorf("argon2id version is not %d", argon2.Version)
	}
	var ap argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &ap.m, &ap.t, &ap.p); err != nil {
		return argonParams{}, 0, 0, fmt.Errorf("argon2id parameters are not valid")
	}
	if ap.m < 8*uint32(ap.p) || ap.m > 4<<20 || ap.t < 1 || ap.t > 64 || ap.p < 1 {
		return argonParams{}, 0, 0, fmt.Errorf("argon2id parameters are out of range")
	}
	var err error
	if ap.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(ap.salt) < 8 {
		return argonParams{}, 0, 0, fmt.Errorf("argon2id salt is not valid")
	}
	if ap.dk, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(ap.dk) < 16 || len(ap.dk) > 128 {
		return argonParams{}, 0, 0, fmt.Errorf("argon2id key is not valid")
	}
	return ap, len(ap.salt), len(ap.dk), nil
}

// secretMatches compares a plain value with a stored hash.
func secretMatches(hash, plain string) bool {
	if strings.HasPrefix(hash, "$argon2id$") {
		ap, _, _, err := parseArgon2id(hash)
		if err != nil {
			return false
		}
		got := argon2.IDKey([]byte(plain), ap.salt, ap.t, ap.m, ap.p, uint32(len(ap.dk)))
		return subtle.ConstantTimeCompare(got, ap.dk) == 1
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain)) == nil
}

// settleSecrets decides, outside any transaction, whether each KeepIfSame
// value equals the stored secret, and hashes the ones that do not.
func (s *schema) settleSecrets(p *prepared, stored map[string]string) error {
	for path, ps := range p.secrets {
		if ps.plain == "" {
			continue
		}
		if old, ok := stored[path]; ok && secretMatches(old, ps.plain) {
			ps.same, ps.seen = true, old
		} else {
			h, err := hashSecret(s.secrets[path].f.Secret, ps.plain)
			if err != nil {
				return &Error{Code: Invalid, Message: "invalid secret",
					Fields: []FieldError{{Path: path, Rule: RuleComplexity, Message: "cannot be hashed"}}}
			}
			ps.hash = h
		}
		ps.plain = ""
		p.secrets[path] = ps
	}
	return nil
}

// needsSettling reports whether any secret waits for settleSecrets.
func (p *prepared) needsSettling() bool {
	for _, ps := range p.secrets {
		if ps.plain != "" {
			return true
		}
	}
	return false
}

// applySecrets checks current values and installs new hashes.
func applySecrets(rec *storage.Record, p *prepared) ([]storage.Change, map[string]string, error) {
	if len(p.secrets) == 0 {
		return nil, rec.Secrets, nil
	}
	changed := false
	for _, ps := range p.secrets {
		changed = changed || !ps.same
	}
	if !changed {
		return nil, rec.Secrets, nil
	}
	out := make(map[string]string, len(rec.Secrets)+len(p.secrets))
	for k, v := range rec.Secrets {
		out[k] = v
	}
	var changes []storage.Change
	for path, ps := range p.secrets {
		old, had := rec.Secrets[path]
		if ps.current != "" && (!had || !secretMatches(old, ps.current)) {
			return nil, nil, &Error{Code: CodeMismatch, Message: "the current value does not match",
				Fields: []FieldError{{Path: path, Rule: RuleCurrent, Message: "does not match the current value"}}}
		}
		if ps.same {
			if old != ps.seen {
				return nil, nil, &Error{Code: Conflict, Message: "the secret changed concurrently; try again", Reason: ReasonConcurrent}
			}
			continue
		}
		out[path] = ps.hash
		c := storage.Change{Path: path, Op: merge.OpAdd, New: Redacted}
		if had {
			c = storage.Change{Path: path, Op: merge.OpReplace, Old: Redacted, New: Redacted}
		}
		changes = append(changes, c)
	}
	return changes, out, nil
}
