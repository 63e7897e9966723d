package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/postgres"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/verify"
)

// storeSpec is a parsed -store value.
type storeSpec struct {
	kind string // "memory", "sqlite" or "postgres"
	arg  string // the SQLite path or the PostgreSQL DSN
}

// errStoreSpec marks a -store value that names no known store.
var errStoreSpec = errors.New("bad -store")

// errForeignStore marks a -store that names something other than an
// idupdate store.
var errForeignStore = errors.New("not an idupdate store")

// parseStore reads "memory", "sqlite:PATH", "postgres:DSN" or "postgres"
// (the DSN then comes from IDUPDATE_POSTGRES_DSN, passed in as envDSN).
func parseStore(s, envDSN string) (storeSpec, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch {
	case s == "memory":
		return storeSpec{kind: "memory"}, nil
	case kind == "sqlite" && arg != "":
		return storeSpec{kind: kind, arg: arg}, nil
	case kind == "postgres" && arg != "":
		return storeSpec{kind: kind, arg: arg}, nil
	case s == "postgres" && envDSN != "":
		return storeSpec{kind: "postgres", arg: envDSN}, nil
	case s == "postgres":
		return storeSpec{}, fmt.Errorf("%w: -store postgres needs postgres:DSN or IDUPDATE_POSTGRES_DSN", errStoreSpec)
	}
	return storeSpec{}, fmt.Errorf("%w %q: use memory, sqlite:PATH or postgres:DSN", errStoreSpec, s)
}

// String names the store for people, without a DSN's password.
func (s storeSpec) String() string {
	switch s.kind {
	case "sqlite":
		return "sqlite:" + s.arg
	case "postgres":
		return "postgres (" + redactDSN(s.arg) + ")"
	}
	return s.kind
}

// redactDSN hides the password of a PostgreSQL URL or keyword DSN.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if user, _, ok := strings.Cut(rest[:at], ":"); ok {
				return dsn[:i+3] + user + ":xxxxx" + rest[at:]
			}
		}
		return dsn
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if strings.HasPrefix(f, "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}

// open opens the store.
func (s storeSpec) open(ctx context.Context) (storage.Store, error) {
	switch s.kind {
	case "memory":
		return memory.New(), nil
	case "sqlite":
		st, err := sqlite.Open(s.arg)
		if errors.Is(err, sqlite.ErrNotDatabase) || errors.Is(err, sqlite.ErrForeignDatabase) {
			return nil, fmt.Errorf("%w: %w. Nothing was created or changed: give -store sqlite:PATH a new file or one of idupdate's, or move this one away", errForeignStore, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", s.arg, err)
		}
		return st, nil
	case "postgres":
		st, err := postgres.Open(ctx, s.arg)
		if errors.Is(err, postgres.ErrForeignSchema) {
			return nil, fmt.Errorf("%w: %w. Nothing was created or changed: give -store postgres:DSN an empty schema or one of idupdate's (search_path in the DSN picks the schema)", errForeignStore, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w: kind %q", errStoreSpec, s.kind)
}

// keySource says where the code key came from, for the startup banner.
type keySource struct {
	key  []byte
	from string
	// ephemeral: the key dies with the process, and so do pending codes.
	ephemeral bool
	// createdFile is the key file this start created, if any.
	createdFile string
}

// codeKeyBytes is the length of a fresh random code key.
const codeKeyBytes = 32

// errCodeKey marks a code key that cannot be used.
var errCodeKey = errors.New("code key")

// explicitKey reads the key the operator gave: the -code-key-file flag,
// else the IDUPDATE_CODE_KEY variable (hex). ok is false when neither is
// set. It creates nothing, so it runs before the store is opened.
func explicitKey(file, envHex string) (ks keySource, ok bool, err error) {
	switch {
	case file != "":
		key, err := readKeyFile(file)
		if err != nil {
			return keySource{}, false, fmt.Errorf("%w: %w", errCodeKey, err)
		}
		return keySource{key: key, from: file}, true, nil
	case envHex != "":
		key, err := decodeKey(envHex)
		if err != nil {
			return keySource{}, false, fmt.Errorf("%w: IDUPDATE_CODE_KEY: %w", errCodeKey, err)
		}
		return keySource{key: key, from: "IDUPDATE_CODE_KEY"}, true, nil
	}
	return keySource{}, false, nil
}

// storeKey finds the key when the operator gave none, once the store has
// opened: SQLite keeps PATH.key beside the database (created 0600 when
// missing), so pending codes survive a restart; memory and PostgreSQL get
// a random key that lives as long as the process.
func storeKey(spec storeSpec) (keySource, error) {
	if spec.kind == "sqlite" {
		path := spec.arg + ".key"
		key, created, err := loadOrCreateKey(path)
		if err != nil {
			return keySource{}, fmt.Errorf("%w: %w", errCodeKey, err)
		}
		ks := keySource{key: key, from: path}
		if created {
			ks.createdFile = path
		}
		return ks, nil
	}
	key := make([]byte, codeKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return keySource{}, fmt.Errorf("%w: %w", errCodeKey, err)
	}
	return keySource{key: key, from: "random, this process only", ephemeral: true}, nil
}

// readKeyFile reads a key file: hex, surrounding white space ignored.
func readKeyFile(path string) ([]byte, error) {
	b, err := readBounded(path, 4096)
	if err != nil {
		return nil, err
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// decodeKey reads a hex key of at least verify.MinKeyLen bytes.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > 1024 {
		return nil, errors.New("longer than 1024 characters")
	}
	key, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %w", err)
	}
	if len(key) < verify.MinKeyLen {
		return nil, fmt.Errorf("%d bytes, need at least %d", len(key), verify.MinKeyLen)
	}
	return key, nil
}

// loadOrCreateKey reads the key file at path, or creates it with a fresh
// random key, readable by its owner only, and reports whether it did. O_EXCL makes two servers started
// at once agree on one key: the loser reads the winner's file.
func loadOrCreateKey(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key = make([]byte, codeKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create %s: %w", path, err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("write %s: %w", path, werr)
	}
	return key, true, nil
}

// readBounded reads a small file, refusing one over max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}
