package main

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

// codeKeyMeta is the storage.Meta name of the code key's fingerprint.
const codeKeyMeta = "code-key-fingerprint"

// fingerprint identifies a code key without revealing it: the first 16
// bytes of HMAC-SHA256 under the key of a fixed label, in hex. Knowing it
// does not help to find the key or to forge a code hash.
func fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("idupdate code key fingerprint v1"))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// shortPrint is the part of a fingerprint shown to people.
func shortPrint(fp string) string {
	const n = len("hmac-sha256:") + 12
	if len(fp) > n {
		return fp[:n]
	}
	return fp
}

// errCodeKeyMismatch marks a code key that is not the one the store's
// codes were hashed with, with -code-key-mismatch=refuse.
var errCodeKeyMismatch = errors.New("code key mismatch")

// keyCheck is what the startup check found about the code key.
type keyCheck struct {
	// checked: the store keeps the fingerprint (storage.Meta).
	checked bool
	// mismatch: the store's codes were hashed with another key, which the
	// operator chose to replace by this one (-code-key-mismatch=warn).
	mismatch bool
	// lost is how many pending codes can no longer be confirmed, -1 when
	// the store cannot count them.
	lost int
}

// checkCodeKey compares the key's fingerprint with the one the store
// keeps, recording it on a store that has none. On a mismatch it counts
// the pending codes the key change strands and, by mode, refuses
// (errCodeKeyMismatch) or adopts the new key and reports the loss.
func checkCodeKey(ctx context.Context, st storage.Store, key keySource, mode string, now time.Time) (keyCheck, error) {
	m, ok := st.(storage.Meta)
	if !ok {
		return keyCheck{}, nil
	}
	fp := fingerprint(key.key)
	stored, err := m.InitMeta(ctx, codeKeyMeta, fp)
	if err != nil {
		return keyCheck{}, fmt.Errorf("code key fingerprint: %w", err)
	}
	if stored == fp {
		return keyCheck{checked: true}, nil
	}
	lost := -1
	if c, ok := st.(storage.PendingCounter); ok {
		if lost, err = c.CountPending(ctx, now); err != nil {
			return keyCheck{}, fmt.Errorf("code key: count pending codes: %w", err)
		}
	}
	if mode != "warn" {
		return keyCheck{}, fmt.Errorf("%w: the code key from %s (fingerprint %s) is not the key this store's codes were hashed with (fingerprint %s); %s could not be confirmed. "+
			"Restore that key (-code-key-file, IDUPDATE_CODE_KEY, or for sqlite:PATH the file PATH.key), "+
			"or start with -code-key-mismatch=warn to adopt this key: those codes then fail and must be sent again",
			errCodeKeyMismatch, key.from, shortPrint(fp), shortPrint(stored), pendingCodes(lost))
	}
	if err := m.SetMeta(ctx, codeKeyMeta, fp); err != nil {
		return keyCheck{}, fmt.Errorf("code key fingerprint: %w", err)
	}
	return keyCheck{checked: true, mismatch: true, lost: lost}, nil
}

// pendingCodes says how many pending codes there are, in words.
func pendingCodes(n int) string {
	switch n {
	case -1:
		return "pending codes (the store cannot count them)"
	case 1:
		return "1 pending code"
	}
	return fmt.Sprintf("%d pending codes", n)
}
