package storeopen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/idupdate/idupdate/storage"
)

// CodeKeyName is the storage.Meta name under which a shared store keeps
// its code key.
const CodeKeyName = "code-key"

// DefaultKey finds the code key when the operator gave none. PostgreSQL
// holds it in the store itself, created once per store by whichever
// process starts first (storage.Meta's InitMeta is atomic), so every
// replica on the database hashes and checks codes with the same key and
// a restart keeps pending codes. SQLite keeps its PATH.key file beside the
// database, as before (every process on that file shares it), and memory
// gets a random key that lives as long as the process.
func DefaultKey(ctx context.Context, spec Spec, st storage.Store) (KeySource, error) {
	if m, ok := st.(storage.Meta); ok && spec.Kind == "postgres" {
		return SharedKey(ctx, m)
	}
	return StoreKey(spec)
}

// SharedKey returns the key the store holds, creating it with a fresh
// random key when it holds none. Of several processes starting at once,
// all get the first one's key.
func SharedKey(ctx context.Context, m storage.Meta) (KeySource, error) {
	fresh := make([]byte, CodeKeyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return KeySource{}, fmt.Errorf("%w: %w", ErrCodeKey, err)
	}
	stored, err := m.InitMeta(ctx, CodeKeyName, hex.EncodeToString(fresh))
	if err != nil {
		return KeySource{}, fmt.Errorf("%w: read or create the store's key: %w", ErrCodeKey, err)
	}
	key, err := DecodeKey(stored)
	if err != nil {
		return KeySource{}, fmt.Errorf("%w: the store's key (meta %q): %w", ErrCodeKey, CodeKeyName, err)
	}
	return KeySource{Key: key, From: "the store (shared by every process on it)"}, nil
}
