package verify

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// Alphabets for CodeSpec.Alphabet.
const (
	// Alphanumeric is A–Z and 0–9, the default: short codes that survive
	// being read aloud or typed on a phone.
	Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// Digits is 0–9, for numeric codes such as Rubiq's.
	Digits = "0123456789"
)

// Bounds CodeSpec.Validate enforces.
const (
	MinCodeLength = 4
	MaxCodeLength = 64
	MinTTL        = time.Second
	MaxTTL        = 30 * 24 * time.Hour
)

// CodeSpec is the form and life of a verification code.
type CodeSpec struct {
	// Length is the number of characters, 4 to 64.
	Length int
	// Alphabet holds the characters a code is drawn from, each once: 2 or
	// more printable ASCII bytes other than space.
	Alphabet string
	// TTL is how long a code is accepted, 1s to 30 days.
	TTL time.Duration
}

// DefaultCodeSpec is 6 characters of Alphanumeric, valid for one hour.
var DefaultCodeSpec = CodeSpec{Length: 6, Alphabet: Alphanumeric, TTL: time.Hour}

// WithDefaults returns s with every zero field taken from DefaultCodeSpec.
// Non-zero fields are kept as they are, valid or not.
func (s CodeSpec) WithDefaults() CodeSpec {
	if s.Length == 0 {
		s.Length = DefaultCodeSpec.Length
	}
	if s.Alphabet == "" {
		s.Alphabet = DefaultCodeSpec.Alphabet
	}
	if s.TTL == 0 {
		s.TTL = DefaultCodeSpec.TTL
	}
	return s
}

// Validate reports whether s can produce codes. Zero fields are invalid;
// call WithDefaults first to fill them. Errors wrap ErrInvalidSpec.
func (s CodeSpec) Validate() error {
	if s.Length < MinCodeLength || s.Length > MaxCodeLength {
		return fmt.Errorf("%w: length %d is outside %d..%d", ErrInvalidSpec, s.Length, MinCodeLength, MaxCodeLength)
	}
	// Checked before the alphabet is scanned, so a huge alphabet costs nothing.
	if len(s.Alphabet) < 2 || len(s.Alphabet) > 256 {
		return fmt.Errorf("%w: alphabet has %d characters, want 2..256", ErrInvalidSpec, len(s.Alphabet))
	}
	var seen [256]bool
	for i := 0; i < len(s.Alphabet); i++ {
		b := s.Alphabet[i]
		// Space is refused too: Normalize trims it, and a code is typed by hand.
		if b <= ' ' || b > '~' {
			return fmt.Errorf("%w: alphabet character %d (byte %#x) is not printable ASCII", ErrInvalidSpec, i, b)
		}
		if seen[b] {
			return fmt.Errorf("%w: alphabet repeats %q", ErrInvalidSpec, b)
		}
		seen[b] = true
	}
	if s.TTL < MinTTL || s.TTL > MaxTTL {
		return fmt.Errorf("%w: ttl %s is outside %s..%s", ErrInvalidSpec, s.TTL, MinTTL, MaxTTL)
	}
	return nil
}

// NewCode draws a code of spec.Length characters from spec.Alphabet using
// crypto/rand. Every character is equally likely: random bytes that would
// favour the start of the alphabet are discarded rather than reduced
// modulo its size. The spec must be valid (see Validate); zero fields are
// not defaulted here.
func NewCode(spec CodeSpec) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", err
	}
	n := len(spec.Alphabet)
	// Bytes at or above limit are rejected; limit is the largest multiple
	// of n not above 256, so each residue has the same number of bytes.
	limit := 256 - 256%n
	out := make([]byte, 0, spec.Length)
	// At worst (n=129) about half the bytes are rejected; asking for twice
	// the length usually needs one read.
	buf := make([]byte, 2*spec.Length)
	for len(out) < spec.Length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("verify: read random: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, spec.Alphabet[int(b)%n])
			if len(out) == spec.Length {
				break
			}
		}
	}
	return string(out), nil
}

// Normalize prepares a code as typed by a person for Check: it trims
// surrounding white space and, when spec's alphabet (after WithDefaults)
// has no lower-case letters, upper-cases it. Check and Hasher compare
// codes exactly as given, so callers normalize first.
func Normalize(code string, spec CodeSpec) string {
	code = strings.TrimSpace(code)
	if strings.IndexFunc(spec.WithDefaults().Alphabet, isLower) < 0 {
		code = strings.ToUpper(code)
	}
	return code
}

func isLower(r rune) bool { return r >= 'a' && r <= 'z' }
