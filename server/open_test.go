package server

import (
	"crypto/rand"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/memstore"
)

// openData opens the server as the program does (app): the data directory
// of cfg (package datadir), SQLite in it or PostgreSQL by cfg.DSN, and the
// server over it. Its Close closes the store too, last.
func openData(cfg Config, log *slog.Logger) (*Server, error) {
	d, err := datadir.Open(datadir.Config{Dir: cfg.DataDir, DSN: cfg.DSN}, log)
	if err != nil {
		return nil, err
	}
	s, err := New(cfg, Deps{Store: d.Store, Keys: d.Keys, CookieKey: d.CookieKey}, log)
	if err != nil {
		d.Close()
		return nil, err
	}
	s.closers = append([]func() error{d.Close}, s.closers...)
	return s, nil
}

// openMem opens the server over a store in memory, fresh keys and a random
// cookie key: nothing on disk, for the tests that are about pages and
// receipts rather than about the data directory.
func openMem(t testing.TB, cfg Config, log *slog.Logger) *Server {
	t.Helper()
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	cookieKey := make([]byte, 32)
	rand.Read(cookieKey)
	store := memstore.New()
	s, err := New(cfg, Deps{Store: store, Keys: keys, CookieKey: cookieKey}, log)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close()
		store.Close()
	})
	return s
}
