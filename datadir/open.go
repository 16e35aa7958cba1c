package datadir

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// Config says where the data is.
type Config struct {
	// Dir is the data directory; "data" when empty.
	Dir string
	// DSN selects PostgreSQL instead of the SQLite file in Dir. The keys
	// stay in Dir either way.
	DSN string
}

func (c Config) dir() string {
	if c.Dir == "" {
		return "data"
	}
	return c.Dir
}

// Store is a receipt store that keeps the console too: every store this
// package opens is one.
type Store interface {
	receipt.Store
	console.Store
}

// Data is what Open opened: the store, the keys that countersign its
// receipts, and the cookie key.
type Data struct {
	Store     Store
	Keys      *receipt.Keyring
	CookieKey []byte
}

// Close closes the store.
func (d *Data) Close() error { return d.Store.Close() }

// Open creates the data directory when it is missing, makes what is in it
// private to the server's user (warning for each file it had to change),
// reads or creates the cookie key, opens the store and the keys that
// countersigned its receipts.
func Open(cfg Config, log *slog.Logger) (*Data, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := cfg.dir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := tightenModes(dir, log); err != nil {
		return nil, err
	}
	cookieKey, err := loadCookieKey(dir)
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	store, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	keys, err := openKeys(store, filepath.Join(dir, "keys"))
	if err != nil {
		store.Close()
		return nil, err
	}
	return &Data{Store: store, Keys: keys, CookieKey: cookieKey}, nil
}

// OpenStore opens the store cfg names, as Open does, without the keys: for
// the admin and purge commands, which run beside the database, never
// through the web.
func OpenStore(cfg Config) (Store, error) {
	if cfg.DSN == "" {
		if err := os.MkdirAll(cfg.dir(), 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	return openStore(cfg)
}

// errNoConsole refuses a store that keeps no operators.
var errNoConsole = errors.New("the store keeps no operators")
