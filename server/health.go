package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kaiconn/consent/receipt"
)

// checkStore is the health of the receipt store: that it answers (Ping)
// and, for a store that can tell (every durable one), that it can still
// read a receipt and write a row and has found no damaged page. A store
// that answers but cannot keep a decision must not look healthy.
func (s *Server) checkStore(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	if h, ok := s.store.(receipt.HealthChecker); ok {
		return h.CheckHealth(ctx)
	}
	return nil
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
