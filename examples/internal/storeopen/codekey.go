package storeopen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// CodeKeyMeta is the storage.Meta name of the code key's fingerprint.
const CodeKeyMeta = "code-key-fingerprint"

// Fingerprint identifies a code key without revealing it: the first 16
// bytes of HMAC-SHA256 under the key of a fixed label, in hex. Knowing it
// does not help to find the key or to forge a code hash.
func Fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("idupdate code key fingerprint v1"))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// ShortPrint is the part of a fingerprint shown to people.
func ShortPrint(fp string) string {
	const n = len("hmac-sha256:") + 12
	if len(fp) > n {
		return fp[:n]
	}
	return fp
}

// ErrCodeKeyMismatch marks a code key that is not the one the store's
// codes were hashed with, with -code-key-mismatch=refuse.
var ErrCodeKeyMismatch = errors.New("code key mismatch")

// KeyCheck is what the startup check found about the code key.
type KeyCheck struct {
	// Checked: the store keeps the fingerprint (storage.Meta).
	Checked bool
	// Mismatch: the store's codes were hashed with another key, which the
	// operator chose to replace by this one (-code-key-mismatch=warn).
	Mismatch bool
	// Lost is how many pending codes can no longer be confirmed, -1 when
	// the store cannot count them.
	Lost int
}

// CheckCodeKey compares the key's fingerprint with the one the store
// keeps, recording it on a store that has none. On a mismatch it counts
// the pending codes the key change strands and, by mode, refuses
// (ErrCodeKeyMismatch) or adopts the new key and reports the loss.
func CheckCodeKey(ctx context.Context, st storage.Store, key KeySource, mode string, now time.Time) (KeyCheck, error) {
	m, ok := st.(storage.Meta)
	if !ok {
		return KeyCheck{}, nil
	}
	fp := Fingerprint(key.Key)
	stored, err := m.InitMeta(ctx, CodeKeyMeta, fp)
	if err != nil {
		return KeyCheck{}, fmt.Errorf("code key fingerprint: %w", err)
	}
	if stored == fp {
		return KeyCheck{Checked: true}, nil
	}
	lost := -1
	if c, ok := st.(storage.PendingCounter); ok {
		if lost, err = c.CountPending(ctx, now); err != nil {
			return KeyCheck{}, fmt.Errorf("code key: count pending codes: %w", err)
		}
	}
	if mode != "warn" {
		return KeyCheck{}, fmt.Errorf("%w: the code key from %s (fingerprint %s) is not the key this store's codes were hashed with (fingerprint %s); %s could not be confirmed. "+
			"Restore that key (-code-key-file, IDUPDATE_CODE_KEY, or for sqlite:PATH the file PATH.key), "+
			"or start with -code-key-mismatch=warn to adopt this key: those codes then fail and must be sent again",
			ErrCodeKeyMismatch, key.From, ShortPrint(fp), ShortPrint(stored), PendingCodes(lost))
	}
	if err := m.SetMeta(ctx, CodeKeyMeta, fp); err != nil {
		return KeyCheck{}, fmt.Errorf("code key fingerprint: %w", err)
	}
	return KeyCheck{Checked: true, Mismatch: true, Lost: lost}, nil
}

// PendingCodes says how many pending codes there are, in words.
func PendingCodes(n int) string {
	switch n {
	case -1:
		return "pending codes (the store cannot count them)"
	case 1:
		return "1 pending code"
	}
	return fmt.Sprintf("%d pending codes", n)
}
