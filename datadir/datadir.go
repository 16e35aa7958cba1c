package datadir

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/postgres"
	"github.com/kaiconn/consent/store/sqlite"
)

// CookieKeyFile holds the server's cookie key in the data directory,
// created on first run: the secret of the consent cookies' MACs and of the
// credentials (package credential) derived from it.
const CookieKeyFile = "consent-cookie.key"

// privateFiles are the files of the data directory that hold receipts or
// secrets, each for the server's user alone; the directories that hold
// them are 0700, the files 0600. Open creates them so; this list is what
// it checks on every start, for files an operator copied or restored with
// looser modes.
var privateFiles = []string{
	"kaiconn.db", "kaiconn.db-wal", "kaiconn.db-shm", CookieKeyFile,
}

// tightenModes takes away the group's and others' access to the data
// directory, its key directory and the files above, and to the key files,
// warning for each path it changed: a 0644 database or key file restored
// from a backup is readable by every local user, and nothing said so. It
// only removes permissions; a file that does not exist yet is left to be
// created with the right mode.
func tightenModes(dataDir string, log *slog.Logger) error {
	keys := filepath.Join(dataDir, "keys")
	paths := []string{dataDir, keys}
	for _, name := range privateFiles {
		paths = append(paths, filepath.Join(dataDir, name))
	}
	keyFiles, err := filepath.Glob(filepath.Join(keys, "*.jwk.json"))
	if err != nil {
		return err
	}
	paths = append(paths, keyFiles...)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		mode := fi.Mode().Perm()
		if mode&0o077 == 0 {
			continue
		}
		tight := mode &^ 0o077
		if err := os.Chmod(p, tight); err != nil {
			return fmt.Errorf("data directory: %s is open to other users (%04o) and could not be made private: %w", p, mode, err)
		}
		log.Warn("a file of the data directory was open to other users; it is now private to the server's user",
			"path", p, "was", fmt.Sprintf("%04o", mode), "now", fmt.Sprintf("%04o", tight))
	}
	return nil
}

// loadCookieKey reads the consent cookie's HMAC key from the data
// directory, creating a random one on first run. Losing the file only
// means every visitor is asked again.
func loadCookieKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, CookieKeyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) >= 32:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("%s: key is %d bytes, want at least 32", path, len(key))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		return loadCookieKey(dataDir)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// checkNotLost refuses to create the SQLite file at path when the key
// directory beside it already holds keys: those keys were made together
// with a store, so the file is lost (deleted, not restored, a wrong -data),
// not new. Starting empty would answer every person as if they had never
// decided and hide that their receipts are gone.
func checkNotLost(path, keysDir string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // there, or not ours to judge: sqlite.Open reports it
	}
	keys, err := filepath.Glob(filepath.Join(keysDir, "*.jwk.json"))
	if err != nil || len(keys) == 0 {
		return nil
	}
	return fmt.Errorf("receipt store (SQLite): %s is missing, but %s holds the server's keys, so this data directory had a store: "+
		"restore kaiconn.db from a backup of the data directory, or point -data at the directory that has it (or -dsn at the PostgreSQL database). "+
		"The server does not start an empty store beside existing keys; to start one on purpose, move %s away first", path, keysDir, keysDir)
}

// openStore opens PostgreSQL when a DSN is set and the SQLite file in the
// data directory otherwise, creating either's schema on first use.
func openStore(cfg Config) (Store, error) {
	var s receipt.Store
	if cfg.DSN != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := postgres.Open(ctx, cfg.DSN)
		if err != nil {
			// The DSN may hold a password: name the store, not the DSN.
			return nil, fmt.Errorf("receipt store (PostgreSQL): %w", err)
		}
		s = db
	} else {
		path := filepath.Join(cfg.dir(), "kaiconn.db")
		if err := checkNotLost(path, filepath.Join(cfg.dir(), "keys")); err != nil {
			return nil, err
		}
		db, err := sqlite.Open(path)
		if err != nil {
			return nil, fmt.Errorf("receipt store (SQLite): %w", err)
		}
		s = db
	}
	cs, ok := s.(Store)
	if !ok {
		s.Close()
		return nil, errNoConsole
	}
	return cs, nil
}

// openKeys opens the countersigning keys in dir. A fresh install (a store
// with no receipt) gets a first key; a store that holds receipts needs the
// keys that countersigned them, and the server refuses to start without
// them rather than mint a new key: every stored receipt would then fail to
// verify against /.well-known/jwks.json, and nothing would say why.
func openKeys(store receipt.Store, dir string) (*receipt.Keyring, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := firstRecord(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	if first == nil {
		keys, err := receipt.OpenKeyring(dir)
		if err != nil {
			return nil, fmt.Errorf("server keys: %w", err)
		}
		return keys, nil
	}
	keys, err := receipt.LoadKeyring(dir)
	switch {
	case errors.Is(err, receipt.ErrNoKeys):
		return nil, fmt.Errorf("server keys: the receipt store holds countersigned receipts, but the key directory %s is missing or holds no key; "+
			"restore it (its *.jwk.json files) from a backup of the data directory, or point -data at the directory that has it. "+
			"The server does not make a new key: every stored receipt would stop verifying (%w)", dir, err)
	case err != nil:
		return nil, fmt.Errorf("server keys: %w", err)
	case first.KeyID != "" && !keys.Has(first.KeyID):
		return nil, fmt.Errorf("server keys: the key directory %s does not hold key %s, which countersigned the stored receipts; "+
			"restore the directory those receipts were countersigned with", dir, first.KeyID)
	}
	return keys, nil
}

// errFound stops an Export at its first record.
var errFound = errors.New("found")

// firstRecord is the oldest stored record, nil when the store is empty.
func firstRecord(ctx context.Context, store receipt.Store) (*receipt.Record, error) {
	var first *receipt.Record
	err := store.Export(ctx, func(r receipt.Record) error {
		first = &r
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	return first, nil
}
