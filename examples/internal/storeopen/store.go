package storeopen

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

// Spec is a parsed -store value.
type Spec struct {
	Kind string // "memory", "sqlite" or "postgres"
	Arg  string // the SQLite path or the PostgreSQL DSN
}

// ErrSpec marks a -store value that names no known store.
var ErrSpec = errors.New("bad -store")

// ErrForeign marks a -store that names something other than an
// idupdate store.
var ErrForeign = errors.New("not an idupdate store")

// ParseSpec reads "memory", "sqlite:PATH", "postgres:DSN" or "postgres"
// (the DSN then comes from IDUPDATE_POSTGRES_DSN, passed in as envDSN).
func ParseSpec(s, envDSN string) (Spec, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch {
	case s == "memory":
		return Spec{Kind: "memory"}, nil
	case kind == "sqlite" && arg != "":
		return Spec{Kind: kind, Arg: arg}, nil
	case kind == "postgres" && arg != "":
		return Spec{Kind: kind, Arg: arg}, nil
	case s == "postgres" && envDSN != "":
		return Spec{Kind: "postgres", Arg: envDSN}, nil
	case s == "postgres":
		return Spec{}, fmt.Errorf("%w: -store postgres needs postgres:DSN or IDUPDATE_POSTGRES_DSN", ErrSpec)
	}
	return Spec{}, fmt.Errorf("%w %q: use memory, sqlite:PATH or postgres:DSN", ErrSpec, s)
}

// String names the store for people, without a DSN's password.
func (s Spec) String() string {
	switch s.Kind {
	case "sqlite":
		return "sqlite:" + s.Arg
	case "postgres":
		return "postgres (" + RedactDSN(s.Arg) + ")"
	}
	return s.Kind
}

// RedactDSN hides the password of a PostgreSQL URL or keyword DSN.
func RedactDSN(dsn string) string {
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

// Open opens the store.
func (s Spec) Open(ctx context.Context) (storage.Store, error) {
	switch s.Kind {
	case "memory":
		return memory.New(), nil
	case "sqlite":
		st, err := sqlite.Open(s.Arg)
		if errors.Is(err, sqlite.ErrNotDatabase) || errors.Is(err, sqlite.ErrForeignDatabase) {
			return nil, fmt.Errorf("%w: %w. Nothing was created or changed: give -store sqlite:PATH a new file or one of idupdate's, or move this one away", ErrForeign, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", s.Arg, err)
		}
		return st, nil
	case "postgres":
		st, err := postgres.Open(ctx, s.Arg)
		if errors.Is(err, postgres.ErrForeignSchema) {
			return nil, fmt.Errorf("%w: %w. Nothing was created or changed: give -store postgres:DSN an empty schema or one of idupdate's (search_path in the DSN picks the schema)", ErrForeign, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w: kind %q", ErrSpec, s.Kind)
}

// KeySource is a code key and where it came from, for a startup banner.
type KeySource struct {
	Key  []byte
	From string
	// Ephemeral: the key dies with the process, and so do pending codes.
	Ephemeral bool
	// CreatedFile is the key file this start created, if any.
	CreatedFile string
}

// CodeKeyBytes is the length of a fresh random code key.
const CodeKeyBytes = 32

// ErrCodeKey marks a code key that cannot be used.
var ErrCodeKey = errors.New("code key")

// ExplicitKey reads the key the operator gave: the -code-key-file flag,
// else the IDUPDATE_CODE_KEY variable (hex). ok is false when neither is
// set. It creates nothing, so it runs before the store is opened.
func ExplicitKey(file, envHex string) (ks KeySource, ok bool, err error) {
	switch {
	case file != "":
		key, err := ReadKeyFile(file)
		if err != nil {
			return KeySource{}, false, fmt.Errorf("%w: %w", ErrCodeKey, err)
		}
		return KeySource{Key: key, From: file}, true, nil
	case envHex != "":
		key, err := DecodeKey(envHex)
		if err != nil {
			return KeySource{}, false, fmt.Errorf("%w: IDUPDATE_CODE_KEY: %w", ErrCodeKey, err)
		}
		return KeySource{Key: key, From: "IDUPDATE_CODE_KEY"}, true, nil
	}
	return KeySource{}, false, nil
}

// StoreKey finds the key when the operator gave none, once the store has
// opened: SQLite keeps PATH.key beside the database (created 0600 when
// missing), so pending codes survive a restart; memory and PostgreSQL get
// a random key that lives as long as the process.
func StoreKey(spec Spec) (KeySource, error) {
	if spec.Kind == "sqlite" {
		path := spec.Arg + ".key"
		key, created, err := LoadOrCreateKey(path)
		if err != nil {
			return KeySource{}, fmt.Errorf("%w: %w", ErrCodeKey, err)
		}
		ks := KeySource{Key: key, From: path}
		if created {
			ks.CreatedFile = path
		}
		return ks, nil
	}
	key := make([]byte, CodeKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return KeySource{}, fmt.Errorf("%w: %w", ErrCodeKey, err)
	}
	return KeySource{Key: key, From: "random, this process only", Ephemeral: true}, nil
}

// ReadKeyFile reads a key file: hex, surrounding white space ignored.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := ReadBounded(path, 4096)
	if err != nil {
		return nil, err
	}
	key, err := DecodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// DecodeKey reads a hex key of at least verify.MinKeyLen bytes.
func DecodeKey(s string) ([]byte, error) {
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

// LoadOrCreateKey reads the key file at path, or creates it with a fresh
// random key, readable by its owner only, and reports whether it did. O_EXCL makes two servers started
// at once agree on one key: the loser reads the winner's file.
func LoadOrCreateKey(path string) (key []byte, created bool, err error) {
	key, err = ReadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key = make([]byte, CodeKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = ReadKeyFile(path)
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

// ReadBounded reads a small file, refusing one over max bytes.
func ReadBounded(path string, max int64) ([]byte, error) {
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
