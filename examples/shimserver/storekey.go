package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/idupdate/idupdate/storage"
)

// codeKeyName is the storage.Meta name under which a shared store keeps
// its code key.
const codeKeyName = "code-key"

// defaultKey finds the code key when the operator gave none. PostgreSQL
// holds it in the store itself, created once per store by whichever
// process starts first (storage.Meta's InitMeta is atomic), so every
// replica on the database hashes and checks codes with the same key and
// a restart keeps pending codes. SQLite keeps its PATH.key file beside the
// database, as before (every process on that file shares it), and memory
// gets a random key that lives as long as the process.
func defaultKey(ctx context.Context, spec storeSpec, st storage.Store) (keySource, error) {
	if m, ok := st.(storage.Meta); ok && spec.kind == "postgres" {
		return sharedKey(ctx, m)
	}
	return storeKey(spec)
}

// sharedKey returns the key the store holds, creating it with a fresh
// random key when it holds none. Of several processes starting at once,
// all get the first one's key.
func sharedKey(ctx context.Context, m storage.Meta) (keySource, error) {
	fresh := make([]byte, codeKeyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return keySource{}, fmt.Errorf("%w: %w", errCodeKey, err)
	}
	stored, err := m.InitMeta(ctx, codeKeyName, hex.EncodeToString(fresh))
	if err != nil {
		return keySource{}, fmt.Errorf("%w: read or create the store's key: %w", errCodeKey, err)
	}
	key, err := decodeKey(stored)
	if err != nil {
		return keySource{}, fmt.Errorf("%w: the store's key (meta %q): %w", errCodeKey, codeKeyName, err)
	}
	return keySource{key: key, from: "the store (shared by every process on it)"}, nil
}
