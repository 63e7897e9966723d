package verify_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/idupdate/idupdate/verify"
)

// Each benchmark below has a Baseline sibling doing the bare library work
// the function wraps, so the overhead of the wrapper shows in one run.

func BenchmarkNewCode(b *testing.B) {
	for b.Loop() {
		if _, err := verify.NewCode(verify.DefaultCodeSpec); err != nil {
			b.Fatal(err)
		}
	}
}

// Baseline: one crypto/rand read of the bytes NewCode asks for, biased
// modulo reduction, no validation.
func BenchmarkNewCodeBaseline(b *testing.B) {
	alphabet := verify.Alphanumeric
	buf := make([]byte, 12)
	out := make([]byte, 6)
	for b.Loop() {
		_, _ = rand.Read(buf)
		for i := range out {
			out[i] = alphabet[int(buf[i])%len(alphabet)]
		}
		_ = string(out)
	}
}

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, 1)
	for b.Loop() {
		h.Hash("3f2a9c1e-challenge", "K7Q2XZ")
	}
}

// Baseline: HMAC-SHA256 of the same bytes, written by hand.
func BenchmarkHashBaseline(b *testing.B) {
	key := make([]byte, verify.MinKeyLen)
	id, code := "3f2a9c1e-challenge", "K7Q2XZ"
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(id)))
		m.Write(n[:])
		m.Write([]byte(id))
		m.Write([]byte(code))
		m.Sum(nil)
	}
}

func BenchmarkCheckMismatch(b *testing.B) {
	h := newHasher(b, 1)
	c := issued(b, h, "K7Q2XZ")
	for b.Loop() {
		c.Attempts = 0
		_ = c.Check(h, "WRONG1", t0, 5)
	}
}

func sendHistory() []time.Time {
	sends := make([]time.Time, 10)
	for i := range sends {
		sends[i] = t0.Add(-time.Duration(10-i) * 5 * time.Minute)
	}
	return sends
}

func BenchmarkDecide(b *testing.B) {
	l := verify.Limiter{Cooldown: time.Minute, Window: time.Hour, MaxSends: 20}
	sends := sendHistory()
	for b.Loop() {
		l.Decide(sends, t0)
	}
}

// Baseline: one pass counting sends inside the window.
func BenchmarkDecideBaseline(b *testing.B) {
	sends := sendHistory()
	from := t0.Add(-time.Hour)
	for b.Loop() {
		n := 0
		for _, s := range sends {
			if s.After(from) {
				n++
			}
		}
		_ = n
	}
}

const benchLink = "https://example.com/verify/{{.OrgID}}?user={{.UserID | urlquery}}&code={{.Code}}"

func BenchmarkRenderLink(b *testing.B) {
	t, err := verify.ParseLinkTemplate(benchLink)
	if err != nil {
		b.Fatal(err)
	}
	d := verify.LinkData{UserID: "ann@example.com", Code: "K7Q2XZ", OrgID: "org-9"}
	for b.Loop() {
		if _, err := verify.RenderLink(t, d); err != nil {
			b.Fatal(err)
		}
	}
}

// Baseline: the same template executed by text/template into a builder.
func BenchmarkRenderLinkBaseline(b *testing.B) {
	t := template.Must(template.New("link").Parse(benchLink))
	d := verify.LinkData{UserID: "ann@example.com", Code: "K7Q2XZ", OrgID: "org-9"}
	for b.Loop() {
		var sb strings.Builder
		if err := t.Execute(&sb, d); err != nil {
			b.Fatal(err)
		}
		_ = sb.String()
	}
}
