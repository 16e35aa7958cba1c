package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// ConsoleStore is a receipt store that keeps the console too: every store
// the server opens is one.
type ConsoleStore interface {
	receipt.Store
	console.Store
}

// OpenConsoleStore opens the store cfg names, as Open does, for the
// kaiconn admin command: operators are added on the server, beside the
// database, never through the web.
func OpenConsoleStore(cfg Config) (ConsoleStore, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.DSN == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	s, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	cs, ok := s.(ConsoleStore)
	if !ok {
		s.Close()
		return nil, errors.New("the store keeps no operators")
	}
	return cs, nil
}
